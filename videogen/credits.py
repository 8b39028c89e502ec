"""Whether an organization may render now. The billing issue fills this in with plans and render
credits; until then every organization may render."""


def render_allowed(*, organization, job) -> tuple[bool, str]:
    """(allowed, reason). ``reason`` is shown to the user when not allowed."""
    return True, ""
