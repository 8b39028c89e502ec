"""Tenant-scoped routes of the media view (see tests/integration/test_tenant_isolation.py); every
kind of customer file is checked one by one in tests/integration/core/test_media.py."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from videogen.uploads import asset_create_from_upload

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def routes(ctx):
    photo = asset_create_from_upload(organization=ctx.alice_org, user=ctx.alice,
                                     upload=SimpleUploadedFile("coffee.png", (EXAMPLES / "coffee.png").read_bytes()))
    return {"media": {"kind": "asset", "key": str(photo.pk)}}
