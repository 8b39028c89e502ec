"""Fixtures for campaign tests: a small campaign tree in alice's organization and helpers."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns import services

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def mp4_upload(name="clip.mp4", content=MP4_HEAD):
    return SimpleUploadedFile(name, content, content_type="video/mp4")


@pytest.fixture
def tree(alice, alice_org):
    """alice's campaign → ad set → ad (draft, Meta + Google)."""
    campaign = services.campaign_create(organization=alice_org, actor=alice, name="Cold brew", objective="sales",
                                        platforms=["meta", "google"])
    ad_set = services.ad_set_create(campaign=campaign, actor=alice, name="US 25-44", budget_minor=5000)
    ad = services.ad_create(ad_set=ad_set, actor=alice, name="Pour 15s", destination_url="https://aurora.example/shop")
    return campaign, ad_set, ad


@pytest.fixture
def yesterday():
    from django.utils import timezone

    return timezone.localdate() - dt.timedelta(days=1)


@pytest.fixture
def make_mp4():
    """``make_mp4(name="clip.mp4", content=...)`` → an uploaded file with MP4 magic bytes."""
    return mp4_upload
