"""Graph API errors through the real SDK → PlatformError: throttling (with the
X-Business-Use-Case-Usage wait), transient, auth, permanent with the blamed field, a hung server."""

from __future__ import annotations

import json

import pytest

from campaigns.platforms import meta
from campaigns.platforms.base import PlatformError
from tests.integration.platforms.meta_helpers import context

pytestmark = pytest.mark.django_db


def run_campaign(alice_org, alice, tmp_path):
    ctx, steps = context(alice_org, alice, tmp_path)
    with pytest.raises(PlatformError) as exc:
        meta.ADAPTER.run_step(ctx, "campaign")
    assert "campaign" not in steps
    return exc.value


@pytest.mark.parametrize("minutes", [1, 7])
def test_throttle_is_transient_and_waits_what_meta_says(alice_org, alice, tmp_path, meta_settings, meta_graph, minutes):
    meta_graph.fail("/campaigns", "throttle", minutes=minutes)
    err = run_campaign(alice_org, alice, tmp_path)
    assert err.transient and not err.auth
    assert err.code == "80004/2446079" and err.retry_after == minutes * 60
    assert "too many calls" in err.message


@pytest.mark.parametrize("code", [4, 17, 613, 80000, 80014])
def test_every_rate_limit_code_is_transient(alice_org, alice, tmp_path, meta_settings, meta_graph, code):
    meta_graph.fail("/campaigns", "permanent", code=code, subcode=0, message="(#%d) limit" % code, user_msg="Slow down.")
    err = run_campaign(alice_org, alice, tmp_path)
    assert err.transient and err.code.split("/")[0] == str(code)


def test_code_outside_the_rate_limit_range_is_permanent(alice_org, alice, tmp_path, meta_settings, meta_graph):
    meta_graph.fail("/campaigns", "permanent", code=80015, subcode=0, user_msg="Nope.")
    assert not run_campaign(alice_org, alice, tmp_path).transient


def test_is_transient_flag_is_transient(alice_org, alice, tmp_path, meta_settings, meta_graph):
    meta_graph.fail("/campaigns", "transient")
    err = run_campaign(alice_org, alice, tmp_path)
    assert err.transient and err.code == "2" and err.retry_after is None


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_bad_token_is_auth(alice_org, alice, tmp_path, meta_settings, meta_graph, how):
    from tests.integration.platforms.meta_helpers import TOKEN

    if how == "expired":
        meta_graph.fail("/campaigns", "auth")
    else:
        meta_graph.revoke(TOKEN)
    err = run_campaign(alice_org, alice, tmp_path)
    assert err.auth and not err.transient and err.code.startswith("190/")


def test_permanent_error_shows_metas_words_and_field(alice_org, alice, tmp_path, meta_settings, meta_graph):
    meta_graph.fail("/campaigns", "permanent", user_msg="The campaign name is too long.", blame="name")
    err = run_campaign(alice_org, alice, tmp_path)
    assert not err.transient and not err.auth
    assert err.message == "Invalid parameter: The campaign name is too long." and err.field == "name"
    assert err.details["fbtrace_id"]


def test_hung_server_is_a_transient_network_error(alice_org, alice, tmp_path, meta_settings, meta_graph):
    meta_settings.META_HTTP_TIMEOUT_S = 1
    meta_graph.fail("/campaigns", "hang", hang_s=3)
    err = run_campaign(alice_org, alice, tmp_path)
    assert err.transient and err.code == "network"


def test_sdk_validation_errors_from_the_real_api_are_mapped():
    """Meta's real bodies: error_data may be a JSON string; blame_field_specs nest."""
    from facebook_business.exceptions import FacebookRequestError  # type: ignore[import-untyped]

    body = {"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100, "error_subcode": 1487079,
                      "is_transient": False, "error_user_title": "Location missing",
                      "error_user_msg": "Add a location to your targeting.",
                      "error_data": json.dumps({"blame_field_specs": [["targeting", "geo_locations"]]}),
                      "fbtrace_id": "AbC"}}
    exc = FacebookRequestError("Call was not successful", {"method": "POST", "path": "/x"}, 400, {}, json.dumps(body))
    err = meta.platform_error(exc)
    assert (err.message, err.code, err.field, err.transient) == (
        "Location missing: Add a location to your targeting.", "100/1487079", "targeting.geo_locations", False)


@pytest.mark.parametrize("header", ["", "not json", json.dumps({"1": [{"estimated_time_to_regain_access": 0}]})])
def test_usage_header_without_a_wait_gives_no_retry_after(header):
    assert meta._retry_after({"X-Business-Use-Case-Usage": header} if header else {}) is None


def test_standin_refuses_campaign_without_special_ad_categories_or_budget_sharing(meta_graph):
    """What the adapter always sends, the stand-in (like Meta) requires."""
    import requests

    url = f"{meta_graph.url}/v26.0/act_1234567890/campaigns"
    base = {"access_token": "t", "name": "x", "objective": "OUTCOME_SALES", "status": "PAUSED"}
    r = requests.post(url, data=base, timeout=5).json()["error"]
    assert r["code"] == 100 and "special_ad_categories" in r["message"]
    r = requests.post(url, data={**base, "special_ad_categories": "[]"}, timeout=5).json()["error"]
    assert r["error_subcode"] == 4834011
    r = requests.post(url, data={**base, "objective": "CONVERSIONS", "special_ad_categories": "[]",
                                 "is_adset_budget_sharing_enabled": "false"}, timeout=5).json()["error"]
    assert "objective" in r["message"]
    ok = requests.post(url, data={**base, "special_ad_categories": "[]", "is_adset_budget_sharing_enabled": "false"},
                       timeout=5).json()
    assert ok["id"]
