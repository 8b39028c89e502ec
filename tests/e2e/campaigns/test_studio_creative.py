"""From Studio to Campaigns in real Chromium: a marketer picks a finished Studio render in the ad
form, sees it on the ad's campaign page, follows it to the render's job page, which lists the ad."""


import pytest

from campaigns import services
from campaigns.models import Ad
from tests.e2e.campaigns.test_campaign_flow import sign_in
from tests.e2e.helpers import screenshot
from tests.integration.campaigns.studio_helpers import make_render

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
def shot(page, name):
    screenshot(page, f"{name}.png", full_page=True)


def test_choose_a_render_in_the_ad_form_and_see_it_on_the_ad_and_the_job_page(live_server, page, alice, alice_org):
    campaign = services.campaign_create(organization=alice_org, actor=alice, name="Cold Brew Launch", objective="traffic",
                                        platforms=["meta"])
    ad_set = services.ad_set_create(campaign=campaign, actor=alice, name="Reels", budget_minor=2500,
                                    placements=["instagram_reels"])
    ad = services.ad_create(ad_set=ad_set, actor=alice, name="Pour 15s")
    render = make_render(alice_org, alice, title="Aurora cold brew", ratios=("16:9", "9:16"))

    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/campaigns/ads/{ad.pk}/edit/")
    groups = page.eval_on_selector_all("#id_studio_render optgroup", "els => els.map(e => e.label)")
    assert groups[0] == "9:16 — fits Instagram Reels"  # the ratio the placement shows comes first
    assert groups[1].startswith("16:9 — fits none")
    page.select_option("#id_studio_render", label="Aurora cold brew · v1 · 9:16")
    shot(page, "ad-form-studio-render")
    page.click("form.campaign-form button[type=submit]")
    page.wait_for_selector("text=Ad “Pour 15s” saved.")

    ad.refresh_from_db()
    assert (ad.creative_render_id, ad.creative_ratio, ad.creative_asset_id) == (render.pk, "9:16", render.outputs["9:16"])
    link = page.locator(f"tr[data-ad-id='{ad.pk}'] [data-testid=ad-render-link]")
    assert link.inner_text() == "Studio video v1 · 9:16"
    services.campaign_set_status(campaign=campaign, actor=alice, status="active")
    services.ad_create(ad_set=ad_set, actor=alice, name="No video yet")
    page.reload()
    shot(page, "campaign-page-with-warnings-and-videos")
    link = page.locator(f"tr[data-ad-id='{ad.pk}'] [data-testid=ad-render-link]")
    link.click()
    page.wait_for_url(f"{live_server.url}/studio/jobs/{render.job_id}/")
    row = page.locator(f"[data-testid=render-ads] tr[data-ad-id='{ad.pk}']")
    shot(page, "job-page-used-in-ads")
    assert "Pour 15s" in row.inner_text() and "Cold Brew Launch" in row.inner_text()
    row.locator("a", has_text="Pour 15s").click()
    page.wait_for_url(f"{live_server.url}/campaigns/ads/{ad.pk}/edit/")
    assert "Aurora cold brew v1" in page.inner_text("[data-testid=current-creative]")
    assert page.eval_on_selector("#id_studio_render", "el => el.value") == f"{render.pk}|9:16"
    assert Ad.objects.get(pk=ad.pk).status == "draft"
