"""A photo too small for the placements picked in the brief: Chromium shows the warning on upload
(and marks the thumbnail), and the storyboard's scenes with it say it will look soft."""

import io

import pytest
from PIL import Image

from tests.e2e.campaigns.test_campaign_flow import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_small_photo_warns_on_upload_and_in_the_storyboard(live_server, page, alice, tmp_path):
    photo = tmp_path / "tiny-can.png"
    buf = io.BytesIO()
    Image.new("RGB", (451, 300), (180, 110, 60)).save(buf, "PNG")
    photo.write_bytes(buf.getvalue())

    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/studio/new/")
    for box in page.locator("input[name=aspect_ratios]").all():
        if box.get_attribute("value") != "9:16":
            box.uncheck()
        else:
            box.check()
    page.fill("#id_product_name", "Aurora Cold Brew")
    page.fill("#id_text_prompt", "Smooth cold brew for busy mornings")
    page.fill("#id_duration", "8")
    page.set_input_files("[data-file-input]", str(photo))
    warning = page.wait_for_selector("[data-testid=upload-warning]")
    text = warning.inner_text()
    assert "tiny-can.png: 451×300 is small for 9:16 (1080×1920)" in text and "will look soft" in text
    assert "16:9" not in text  # only the placements picked in the brief
    assert page.inner_text("[data-selected-thumbs] figure.thumb figcaption") == "Low resolution"

    page.click("[data-testid=make-plan]")
    page.wait_for_selector("#storyboard")
    soft = page.locator("[data-testid=soft-photo]")
    assert soft.count() >= 1
    for i in range(soft.count()):
        assert "will look soft" in soft.nth(i).inner_text() and "451×300 is small for 9:16" in soft.nth(i).inner_text()
