"""Issue 11 (H8): the ad set form grouped and in plain words, every error at once; pickers; the
ad set summary; statuses a form may offer; bulk status changes with undo; CSV exports that agree."""

import csv
import io
import re

import pycountry
import pytest
from django.contrib.messages import get_messages

from campaigns import selectors, services
from campaigns.choices import STATUS_TRANSITIONS, Status
from campaigns.models import AdSet, Campaign
from campaigns.selectors import DateRange
from campaigns.validators import clean_targeting

pytestmark = pytest.mark.django_db

DEVELOPER_WORDS = ("ISO", "age_min", "age_max", "[0]", "[1]", "minor units", "is not of type", "must not be above")

AD_SET_OK = {
    "name": "US", "status": "draft", "optimization_goal": "OFFSITE_CONVERSIONS", "billing_event": "IMPRESSIONS",
    "bid_strategy": "LOWEST_COST_WITHOUT_CAP", "budget": "25.00", "countries": ["US"], "age_min": "18", "age_max": "65",
}


def body(response):
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _errors(response):
    return {k: list(v) for k, v in response.context["form"].errors.items()}


def test_ad_set_form_reports_every_error_at_once_on_its_field_in_plain_words(alice_client, tree):
    campaign = tree[0]
    bad = {  # field → (posted value, what the person reads on that field)
        "budget": ("12.345", "USD amounts have 2 decimal places."),
        "countries": (["US", "ZZ", "QQ"], "'ZZ' and 'QQ' are not country codes we know; use two-letter codes such as US, GB or DE."),
        "languages": (["en", "xx"], "'xx' is not a language code we know; use two-letter codes such as en, es or de."),
        "age_min": ("45", "Minimum age can't be above maximum age."),
        "ends_at": ("2026-13-45T99:00", "Enter a valid date/time."),
    }
    data = {**AD_SET_OK, **{field: value for field, (value, _) in bad.items()}, "age_max": "25"}
    response = alice_client.post(f"/campaigns/{campaign.pk}/ad-sets/new/", data)
    assert response.status_code == 400
    errors = _errors(response)
    for field, (_, message) in bad.items():
        assert errors.get(field) == [message], (field, errors)
    assert set(errors) == set(bad), errors
    for messages in errors.values():
        for message in messages:
            assert not any(word in message for word in DEVELOPER_WORDS), message
    html = body(response)
    for _, message in bad.values():
        assert message.replace("'", "&#x27;") in html
    assert AdSet.objects.filter(campaign=campaign).count() == 1  # nothing saved


def test_each_plain_message_alone_lands_on_its_field(alice_client, tree):
    campaign = tree[0]
    cases = {
        "countries": ({"countries": ["XX"]}, "'XX' is not a country code we know"),
        "languages": ({"languages": ["zz", "qq"]}, "'zz' and 'qq' are not language codes we know"),
        "age_min": ({"age_min": "60", "age_max": "20"}, "Minimum age can't be above maximum age."),
        "budget": ({"budget": ""}, "Set the ad set's daily budget in USD."),
        "optimization_goal": ({"optimization_goal": "APP_INSTALLS"}, None),  # a choice the objective lacks: the form says so
        "placements": ({"placements": ["nowhere"]}, None),
    }
    for field, (changes, message) in cases.items():
        response = alice_client.post(f"/campaigns/{campaign.pk}/ad-sets/new/", {**AD_SET_OK, **changes})
        assert response.status_code == 400, field
        errors = _errors(response)
        assert list(errors) == [field], (field, errors)
        if message:
            assert message in errors[field][0], (field, errors)


def test_campaign_and_ad_forms_speak_plainly_and_report_everything(alice_client, tree):
    response = alice_client.post("/campaigns/new/", {
        "name": "", "objective": "sales", "platforms": [], "status": "draft", "budget_level": "campaign",
        "budget_type": "daily", "budget": "5.555", "currency": "XYZ"})
    errors = _errors(response)
    assert errors["budget"] == ["XYZ amounts have 2 decimal places."] or "decimal" in errors["budget"][0]
    assert errors["currency"] == ["'XYZ' is not a currency code we know; use a three-letter code such as USD, EUR or GBP."]
    assert set(errors) >= {"name", "platforms", "budget", "currency"}, errors
    for messages in errors.values():
        assert not any("minor units" in m or "ISO" in m for m in messages), errors


def test_the_api_reports_the_same_targeting_messages(alice_api, tree):
    campaign = tree[0]
    targeting = {"countries": ["US", "ZZ", "QQ"], "age_min": 45, "age_max": 25, "languages": ["xx"]}
    with pytest.raises(Exception) as exc:
        clean_targeting(targeting)
    response = alice_api.post("/api/v1/ad-sets/", {"campaign": campaign.pk, "name": "T", "budget_minor": 100,
                                                   "targeting": targeting}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["targeting"] == exc.value.messages == [
        "countries: 'ZZ' and 'QQ' are not country codes we know; use two-letter codes such as US, GB or DE.",
        "age_min: Minimum age can't be above maximum age.",
        "languages: 'xx' is not a language code we know; use two-letter codes such as en, es or de.",
    ]


def _fieldsets(html):
    out = {}
    for legend, inner in re.findall(r"<fieldset[^>]*>\s*<legend>(.*?)</legend>(.*?)</fieldset>", html, re.S):
        out[legend.replace("&amp;", "&")] = re.findall(r'class="field field-(\w+)', inner)
    return out


def test_ad_set_form_is_grouped_and_pickers_list_every_country_and_language(alice_client, tree):
    campaign, ad_set, _ = tree
    html = body(alice_client.get(f"/campaigns/{campaign.pk}/ad-sets/new/"))
    groups = _fieldsets(html)
    assert list(groups) == ["Ad set", "Budget & schedule", "Audience", "Placements"]
    assert groups["Budget & schedule"][:3] == ["budget", "starts_at", "ends_at"]
    assert groups["Audience"] == ["countries", "age_min", "age_max", "genders", "languages", "interests"]
    assert groups["Placements"] == ["placements"]
    countries = re.search(r'<select name="countries"[^>]*data-filter[^>]*>(.*?)</select>', html, re.S).group(1)
    languages = re.search(r'<select name="languages"[^>]*data-filter[^>]*>(.*?)</select>', html, re.S).group(1)
    for c in pycountry.countries:
        assert f'value="{c.alpha_2}"' in countries, c.alpha_2
    assert languages.count("<option") == sum(1 for lang in pycountry.languages if hasattr(lang, "alpha_2"))
    assert re.search(r'<option value="US"[^>]*selected', countries)  # the default
    for form_html, kind in ((body(alice_client.get(f"/campaigns/{campaign.pk}/edit/")), "campaign"),
                            (body(alice_client.get(f"/campaigns/ads/{tree[2].pk}/edit/")), "ad")):
        assert len(_fieldsets(form_html)) >= 2, kind


def test_edit_form_preselects_saved_codes_and_summary_shows_everything_saved(alice_client, tree):
    campaign, ad_set, _ = tree
    response = alice_client.post(f"/campaigns/ad-sets/{ad_set.pk}/edit/", {
        **AD_SET_OK, "name": "US 25-44", "countries": ["US", "CA"], "languages": ["en", "es"], "genders": ["female"],
        "interests": "coffee, espresso", "age_min": "25", "age_max": "44", "placements": ["instagram_reels"]})
    assert response.status_code == 302, _errors(response)
    ad_set.refresh_from_db()
    assert ad_set.targeting == {"countries": ["US", "CA"], "age_min": 25, "age_max": 44, "genders": ["female"],
                                "languages": ["en", "es"], "interests": ["coffee", "espresso"]}
    html = body(alice_client.get(f"/campaigns/ad-sets/{ad_set.pk}/edit/"))
    for code in ("US", "CA", "en", "es"):
        assert re.search(rf'<option value="{code}"[^>]*selected', html), code
    summary = re.search(r'data-testid="ad-set-summary">(.*?)</dl>', body(alice_client.get(f"/campaigns/{campaign.pk}/")), re.S).group(1)
    text = re.sub(r"<[^>]+>", " ", summary)
    for shown in ("United States, Canada", "25–44", "Women", "English, Spanish", "coffee, espresso", "Instagram Reels", "$25.00 daily"):
        assert shown in text, (shown, text)


@pytest.mark.parametrize("kind", ["campaign", "ad_set", "ad"])
def test_edit_forms_offer_only_statuses_they_accept(alice_client, alice, tree, kind):
    campaign, ad_set, ad = tree
    obj = {"campaign": campaign, "ad_set": ad_set, "ad": ad}[kind]
    url = {"campaign": f"/campaigns/{campaign.pk}/edit/", "ad_set": f"/campaigns/ad-sets/{ad_set.pk}/edit/",
           "ad": f"/campaigns/ads/{ad.pk}/edit/"}[kind]
    for status in (Status.DRAFT, Status.ACTIVE, Status.PAUSED):
        type(obj).objects.filter(pk=obj.pk).update(status=status)
        html = body(alice_client.get(url))
        select = re.search(r'<select name="status"[^>]*>(.*?)</select>', html, re.S).group(1)
        offered = set(re.findall(r'<option value="(\w+)"', select))
        assert offered == ({status} | STATUS_TRANSITIONS[status]) - {Status.ARCHIVED}, (kind, status, offered)
    assert "Draft" not in select  # paused: never back to draft


def test_bulk_change_says_how_many_and_undo_restores_each_previous_status(alice_client, alice, alice_org):
    made = {}
    for name, status in (("Draft one", "draft"), ("Active one", "active"), ("Paused one", "paused"), ("Gone", "archived")):
        c = services.campaign_create(organization=alice_org, actor=alice, name=name, objective="traffic", platforms=["meta"])
        if status != "draft":
            services.campaign_set_status(campaign=c, actor=alice, status="active" if status != "archived" else "archived")
        if status == "paused":
            services.campaign_set_status(campaign=c, actor=alice, status="paused")
        made[name] = c
    ids = [c.pk for c in made.values()]
    html = body(alice_client.get("/campaigns/"))
    assert 'data-testid="bulk-confirm"' in html and 'data-from="draft active"' in html  # the dialog knows who changes
    response = alice_client.post("/campaigns/bulk/", {"ids": ids, "action": "activate"}, follow=True)
    statuses = dict(Campaign.objects.values_list("name", "status"))
    assert statuses == {"Draft one": "active", "Active one": "active", "Paused one": "active", "Gone": "archived"}
    page = body(response)
    assert "Activated 2 campaigns. 2 skipped (already active or archived)." in page
    undo = re.search(r'<form method="post" action="/campaigns/bulk/undo/".*?</form>', page, re.S).group(0)
    previous = sorted(re.findall(r'name="previous" value="([^"]+)"', undo))
    assert previous == sorted([f"{made['Draft one'].pk}:draft", f"{made['Paused one'].pk}:paused"])
    batch = re.search(r'name="batch" value="(\w+)"', undo).group(1)
    response = alice_client.post("/campaigns/bulk/undo/", {"batch": batch, "previous": previous, "next": "/campaigns/"}, follow=True)
    assert "Undone: 2 campaigns back to their previous status." in body(response)
    assert dict(Campaign.objects.values_list("name", "status")) == {
        "Draft one": "draft", "Active one": "active", "Paused one": "paused", "Gone": "archived"}
    # a second undo, or an undo after someone changed the campaign again, changes nothing
    response = alice_client.post("/campaigns/bulk/undo/", {"batch": batch, "previous": previous}, follow=True)
    assert "Undone: 0 campaigns" in body(response) and "2 not changed back" in body(response)
    assert Campaign.objects.get(pk=made["Draft one"].pk).status == "draft"
    # a "previous" that this bulk change did not record is refused (the campaign was activated alone)
    for forged in ({"batch": batch, "previous": [f"{made['Active one'].pk}:draft"]},
                   {"previous": [f"{made['Active one'].pk}:draft"]}):
        alice_client.post("/campaigns/bulk/undo/", forged)
    assert Campaign.objects.get(pk=made["Active one"].pk).status == "active"
    # pausing can be undone; archiving cannot (no undo button) and says so in the dialog
    response = alice_client.post("/campaigns/bulk/", {"ids": [made["Active one"].pk], "action": "pause"}, follow=True)
    assert "Paused 1 campaign." in body(response) and "bulk/undo" in body(response)
    response = alice_client.post("/campaigns/bulk/", {"ids": [made["Active one"].pk], "action": "archive"}, follow=True)
    assert "Archived 1 campaign." in body(response) and "bulk/undo" not in body(response)


def test_undo_is_scoped_to_the_organization(alice_client, charlie, charlie_org):
    theirs = services.campaign_create(organization=charlie_org, actor=charlie, name="Theirs", objective="traffic", platforms=["meta"])
    services.campaign_set_status(campaign=theirs, actor=charlie, status="active")
    response = alice_client.post("/campaigns/bulk/undo/", {"batch": "x", "previous": [f"{theirs.pk}:draft"]}, follow=True)
    assert f"Not found: {theirs.pk}." in [str(m) for m in get_messages(response.wsgi_request)] or "Not found" in body(response)
    assert Campaign.objects.get(pk=theirs.pk).status == "active"


def _csv(client, url):
    return list(csv.DictReader(io.StringIO(body(client.get(url)))))


KPI_HEADER = ["impressions", "reach", "clicks", "spend (major units)", "conversions", "conversion value (major units)",
              "video plays", "thruplays", "ctr (%)", "cpc (major units)", "cpm (major units)", "cpa (major units)",
              "roas (ratio)", "thruplay rate (%)"]


def test_both_csv_exports_agree_on_units_and_columns(alice_client, alice, alice_org, yesterday):
    def campaign(name, currency, spend_minor, value_minor):
        c = services.campaign_create(organization=alice_org, actor=alice, name=name, objective="sales", platforms=["meta"],
                                     currency=currency)
        s = services.ad_set_create(campaign=c, actor=alice, name="All", budget_minor=5000)
        ad = services.ad_create(ad_set=s, actor=alice, name=f"{name} ad")
        services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": yesterday, "impressions": 16_000, "reach": 9_000,
                                               "clicks": 240, "spend_minor": spend_minor, "conversions": 7,
                                               "conversion_value_minor": value_minor, "video_plays": 4_000, "thruplays": 1_500}])
        return c

    made = [campaign("Austin", "USD", 28_974, 69_538), campaign("Tokyo", "JPY", 45_000, 99_000), campaign("Kuwait", "KWD", 12_345, 30_000)]
    day = yesterday.isoformat()
    query = f"range=custom&from={day}&to={day}"
    export = {r["name"]: r for r in _csv(alice_client, f"/campaigns/export.csv?{query}")}
    for group_by in ("campaign", "ad_set", "ad", "day", "platform"):
        report = _csv(alice_client, f"/campaigns/report.csv?group_by={group_by}&{query}")
        assert list(report[0])[-15:] == ["currency", *KPI_HEADER], group_by
        assert {r["currency"] for r in report} == {"USD", "JPY", "KWD"}, group_by
    assert list(next(iter(export.values())))[-len(KPI_HEADER):] == KPI_HEADER
    by_campaign = {r["name"]: r for r in _csv(alice_client, f"/campaigns/report.csv?group_by=campaign&{query}")}
    expected_money = {"Austin": ("289.74", "695.38", "1.2073", "18.1088", "41.3914"),  # $, 2 decimals (+2 for averages)
                      "Tokyo": ("45000", "99000", "187.50", "2812.50", "6428.57"),  # ¥: no minor unit
                      "Kuwait": ("12.345", "30.000", "0.05144", "0.77156", "1.76357")}  # KWD: 3 decimals
    for c in made:
        k = selectors.campaign_kpis(campaign_ids=[c.pk], date_range=DateRange(yesterday, yesterday))[c.pk]
        row, rep = export[c.name], by_campaign[c.name]
        assert row["currency"] == rep["currency"] == c.currency
        for column in KPI_HEADER:
            assert row[column] == rep[column], (c.name, column, row[column], rep[column])
        spend, value, cpc, cpm, cpa = expected_money[c.name]
        assert (row["spend (major units)"], row["conversion value (major units)"]) == (spend, value)
        assert (row["cpc (major units)"], row["cpm (major units)"], row["cpa (major units)"]) == (cpc, cpm, cpa)
        assert row["ctr (%)"] == f"{k['ctr'] * 100:.4f}" == "1.5000"
        assert row["thruplay rate (%)"] == f"{k['thruplay_rate'] * 100:.4f}" == "9.3750"
        assert row["roas (ratio)"] == f"{k['roas']:.4f}"
        assert (row["impressions"], row["clicks"], row["conversions"]) == ("16000", "240", "7")
