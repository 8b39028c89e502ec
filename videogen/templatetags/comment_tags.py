"""Comments panel of the review page: ``{% comments_panel render %}`` (what
``videogen/review/_comments.html`` renders), ``{{ seconds|timecode }}`` ("0:03.2") and
``{{ body|comment_body }}`` (escaped text with @mentions highlighted and line breaks kept)."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kolony.tenancy import membership_for_user, role_can
from videogen.review import comments

register = template.Library()


@register.filter
def timecode(seconds) -> str:
    """``Decimal("3.2")`` → ``"0:03.2"``; "" for None."""
    if seconds is None or seconds == "":
        return ""
    try:
        return comments.format_timecode(seconds)
    except (ArithmeticError, ValueError):
        return ""


@register.filter
def comment_body(body) -> SafeString:
    """The comment's text escaped first, then each @mention wrapped in ``<span class="mention">``
    and newlines as ``<br>`` — the only markup ever added to user text."""
    escaped = str(escape(body or ""))
    marked = comments.MENTION_RE.sub(lambda m: f'<span class="mention">{m.group(0)}</span>', escaped)
    return mark_safe(marked.replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308 - escaped above


def _author(comment) -> str:
    return (comment.author.full_name or comment.author.email) if comment.author else "Former member"


def comments_panel_context(*, request, render, errors=None, data=None) -> dict:
    """Context of ``_comments_panel.html``: ``thread`` (top-level comments, replies attached, each
    with ``may_resolve``), ``team`` ([{handle, name}] for the @autocomplete), ``ratios``,
    ``duration`` (seconds or None), ``markers`` ([{id, t, ratio, resolved, label}] for the
    timeline), ``open_count``/``resolved_count``, the form's ``errors`` ({field: [msg]}) and ``data``."""
    organization = render.job.organization
    membership = membership_for_user(request.user, organization.pk)
    role = membership.role if membership else None
    thread = comments.comment_thread(render=render)
    for item in thread:
        # a thread is resolved as a whole, at its top comment
        item.may_resolve = comments.comment_may_resolve(comment=item, user=request.user, role=role)  # type: ignore[attr-defined]
    markers = [{"id": c.pk, "t": float(c.timecode_seconds), "ratio": c.aspect_ratio, "resolved": c.is_resolved,
                "label": f"{comments.format_timecode(c.timecode_seconds)} · {_author(c)}"}
               for c in thread if c.timecode_seconds is not None]
    errors = errors or {}
    return {
        "render": render,
        "thread": thread,
        "team": [{"handle": t.handle, "name": t.name} for t in comments.team_for_mentions(organization)],
        "ratios": sorted((render.outputs or {}).keys()),
        "duration": comments.render_duration_seconds(render),
        "markers": markers,
        "open_count": sum(1 for c in thread if not c.is_resolved),
        "resolved_count": sum(1 for c in thread if c.is_resolved),
        "may_comment": role_can(role, "view"),
        "errors": errors,
        "general_errors": [m for f, msgs in errors.items() if f not in ("body", "timecode_seconds", "aspect_ratio")
                           for m in msgs],
        "data": data or {},
        "max_body": comments.MAX_BODY,
    }


@register.inclusion_tag("videogen/review/_comments_panel.html", takes_context=True)
def comments_panel(context, render):
    context_dict = comments_panel_context(request=context["request"], render=render)
    context_dict["csrf_token"] = context.get("csrf_token")
    context_dict["request"] = context["request"]
    return context_dict
