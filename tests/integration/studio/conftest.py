"""Fixtures for the Video Studio: a real product photo in alice's organization and a planned job."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from videogen import services
from videogen.uploads import asset_create_from_upload

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def upload(org, user, name="coffee.png", data=None, kind=None):
    data = (EXAMPLES / "coffee.png").read_bytes() if data is None else data
    return asset_create_from_upload(organization=org, user=user, upload=SimpleUploadedFile(name, data), kind=kind)


def brief(photo_ids, **overrides):
    data = {
        "product_name": "Aurora Cold Brew",
        "text_prompt": "Smooth cold brew for busy mornings, 20% off this week",
        "duration": 8,
        "aspect_ratios": ["9:16"],
        "call_to_action": "Order today",
        "landing_url": "https://example.com/cold-brew",
        "images": list(photo_ids),
        "seed": 7,
    }
    data.update(overrides)
    return data


@pytest.fixture
def photo(alice_org, alice):
    return upload(alice_org, alice)


@pytest.fixture
def make_brief():
    return brief


@pytest.fixture
def job(alice_org, alice, photo):
    return services.video_job_create(organization=alice_org, user=alice, brief_data=brief([photo.pk]))


@pytest.fixture
def upload_asset():
    """``upload_asset(org, user, name=..., data=..., kind=...)`` → Asset (through the real checks)."""
    return upload
