"""A sync also brings back each published ad's platform status (delivery and review), so the
campaign page's status means what the platform says; a status that can't be read leaves the old one."""

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import Ad
from campaigns.platforms import insights
from campaigns.platforms.base import PlatformError
from campaigns.platforms.registry import override_adapter
from tests.integration.platforms.insights_fakes import FakeInsightsAdapter, connect, publish

pytestmark = pytest.mark.django_db


class StatusAdapter(FakeInsightsAdapter):
    def __init__(self, statuses: dict):
        super().__init__("meta", page_size=3)
        self.statuses = statuses

    def fetch_status(self, *, connection, ad):
        status = self.statuses[ad.external["meta"]["id"]]
        if isinstance(status, Exception):
            raise status
        return status


def test_sync_stores_each_ads_delivery_and_review_status(tree, alice, alice_org):
    campaign, ad_set, ad = tree
    ad2 = services.ad_create(ad_set=ad_set, actor=alice, name="Pour 6s", destination_url="https://aurora.example/")
    publish(ad, "meta", "120001")
    publish(ad2, "meta", "120002")
    before = Ad.objects.get(pk=ad2.pk).external["meta"]
    adapter = StatusAdapter({
        "120001": {"status": "ACTIVE", "effective_status": "WITH_ISSUES", "review": ["Text is cut off in 9:16"]},
        "120002": PlatformError("(#17) User request limit reached", transient=True),
    })
    adapter.put("120001", timezone.localdate(), impressions=10, clicks=1)
    with override_adapter("meta", adapter):
        run = insights.insights_sync(connection=connect(alice_org, alice, "meta"))

    assert run.status == "succeeded", run.error
    first = Ad.objects.get(pk=ad.pk).external["meta"]
    assert (first["status"], first["effective_status"], first["review"]) == ("ACTIVE", "WITH_ISSUES", ["Text is cut off in 9:16"])
    assert first["synced_at"]
    assert Ad.objects.get(pk=ad2.pk).external["meta"] == before  # unreadable: left as it was
