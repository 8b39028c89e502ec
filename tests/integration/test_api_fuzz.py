"""Schemathesis over the whole OpenAPI schema (drf-spectacular's ``/api/v1/schema/``), against the
real WSGI app in-process (test database, Redis db of the run), with a real token of a user whose
organization has data: a campaign tree with insights, an uploaded photo, a planned video job.

Every operation gets positive and negative examples (bounded by ``KOLONY_FUZZ_EXAMPLES``, default
12, derandomized so a run repeats) and four checks: no 5xx (``not_a_server_error``), the token
matters (``ignored_auth``), every status code is documented (``status_code_conformance``) and every
body matches its documented schema (``response_schema_conformance``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, response_schema_conformance, status_code_conformance

from tests.conftest import api_token_key

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MAX_EXAMPLES = int(os.environ.get("KOLONY_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, ignored_auth, status_code_conformance, response_schema_conformance]


@pytest.fixture
def fuzz_token(alice, alice_org, tree, settings):
    """alice's token; her organization holds a campaign → ad set → ad with a week of insights,
    an uploaded photo and a planned video job."""
    from campaigns import services as campaign_services
    from videogen import services as video_services
    from videogen.uploads import asset_create_from_upload

    settings.ALLOWED_HOSTS = ["*"]
    campaign, ad_set, ad = tree
    day = dt.date.today() - dt.timedelta(days=7)
    campaign_services.insights_upsert(ad=ad, rows=[
        {"platform": "meta", "date": day + dt.timedelta(days=i), "impressions": 1000 * (i + 1), "clicks": 10 * i,
         "spend_minor": 500 * i, "conversions": i, "conversion_value_minor": 900 * i} for i in range(7)])
    photo = asset_create_from_upload(organization=alice_org, user=alice,
                                     upload=SimpleUploadedFile("coffee.png", (EXAMPLES / "coffee.png").read_bytes()))
    video_services.video_job_create(organization=alice_org, user=alice, brief_data={
        "product_name": "Aurora Cold Brew", "text_prompt": "Smooth cold brew for busy mornings", "duration": 8,
        "aspect_ratios": ["9:16"], "call_to_action": "Order today", "images": [photo.pk], "seed": 7})
    return api_token_key(alice, "fuzz")


@pytest.fixture(autouse=True)
def _keep_test_connection(redis_conn):
    """Django closes the database connection at the end of each request; in a test that would
    drop the test's transaction, so (as Django's test client does) those handlers are off while the
    fuzzer calls the WSGI app."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _load_schema():
    """The app's own OpenAPI document, generated in-process (what ``/api/v1/schema/`` serves), bound
    to the WSGI app. (``schemathesis.pytest.from_fixture`` would need pytest < 9.)"""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = WSGIHandler()
    loaded.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
    return loaded


schema = _load_schema()


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), database=None, print_blob=True)
def test_api_conforms_to_its_schema(case, fuzz_token):
    case.call_and_validate(headers={"Authorization": f"Token {fuzz_token}"}, checks=CHECKS)
