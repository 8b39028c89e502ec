"""Fixtures for review and approval tests: a finished render version made by bob (an editor), so
alice (owner) and dana (reviewer) may approve it under the second-pair-of-eyes rule."""

import pytest

from tests.integration.campaigns.studio_helpers import make_render


@pytest.fixture
def review_render(alice_org, bob):
    """v1 of bob's finished job "Cold brew" with tiny real 1-second MP4s in 9:16 and 16:9, in draft."""
    return make_render(alice_org, bob)


@pytest.fixture
def render_for():
    """``render_for(org, user, **kwargs)`` → a Render (see studio_helpers.make_render)."""
    return make_render
