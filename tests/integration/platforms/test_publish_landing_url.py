"""An ad without a landing page URL is refused before anything exists on the platform (Meta and
Google both refuse a call to action without one — after the campaign and the video were made)."""

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Ad, Publication
from campaigns.platforms import publishing
from campaigns.platforms.registry import override_adapter
from tests.integration.platforms.publish_helpers import FakeAdapter, ad_set_for, approved_render, connect

pytestmark = pytest.mark.django_db


def test_publishing_an_ad_without_a_landing_url_is_refused_and_nothing_is_saved(alice_org, alice, bob):
    connect(alice_org)
    render = approved_render(alice_org, bob)
    render.job.brief = {k: v for k, v in render.job.brief.items() if k != "landing_url"}
    render.job.save(update_fields=["brief"])
    ad_set = ad_set_for(alice_org, alice)
    adapter = FakeAdapter()
    with override_adapter("meta", adapter), pytest.raises(ValidationError) as refused:
        publishing.publication_create(render=render, ad_set=ad_set, platform="meta", user=alice)

    assert "no landing page URL" in refused.value.message_dict["destination_url"][0]
    assert not Publication.objects.exists() and not Ad.objects.filter(ad_set=ad_set).exists()
    render.refresh_from_db()
    assert render.review_status == "approved"
