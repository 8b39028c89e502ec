import pytest
from django.core.management import call_command

from campaigns import selectors
from campaigns.models import Ad, AdSet, Campaign, InsightDaily
from campaigns.selectors import DateRange
from kolony.accounts.models import Organization

pytestmark = pytest.mark.django_db


def test_seed_demo_is_realistic_and_idempotent(capsys):
    call_command("seed_demo", password="demo-password-123")
    org = Organization.objects.get(name="Aurora Coffee Co.")
    counts = (Campaign.objects.count(), AdSet.objects.count(), Ad.objects.count(), InsightDaily.objects.count())
    assert counts[0] == 8 and counts[3] > 1000
    assert set(Campaign.objects.values_list("status", flat=True)) == {"active", "paused", "draft", "archived"}
    call_command("seed_demo", password="demo-password-123")
    assert (Campaign.objects.count(), AdSet.objects.count(), Ad.objects.count(), InsightDaily.objects.count()) == counts
    k = selectors.kpis_for(organization=org, date_range=DateRange.last(30))
    assert k["spend_minor"] > 0 and 0.003 < k["ctr"] < 0.05 and 0.5 < k["roas"] < 10
    data = selectors.dashboard_data(organization=org, date_range=DateRange.last(30), use_cache=False)
    assert data["changes"]["spend_minor"] is not None and len(data["top_ads"]) == 5
