"""The Studio's render gate: credits are reserved before a render is queued, delivered seconds
are debited, a failed or cancelled render gives its credits back, and a refused render says why
and offers the free storyboard preview and an upgrade."""

import math

import pytest
from django.urls import reverse

from billing import selectors
from billing.models import CreditLedger, LedgerKind, MeterEventRecord
from billing.services import billing_account_refresh, credit_adjust
from billing.services.gate import render_estimate
from kolony.outbox.models import OutboxMessage
from tests.integration.billing.b1_fixtures import give_credits, make_job, set_plan
from videogen import credits, rendering, services
from videogen.models import JobStatus, Render, VideoJob
from videogen.views import job_url

pytestmark = pytest.mark.django_db


def _render_form(client, job):
    return client.post(reverse("videogen:job_render", args=[job.pk]), follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("ratios", [("9:16",), ("9:16", "1:1")])
def test_estimate_is_seconds_times_formats(billing_on, alice_org, alice, ratios):
    job = make_job(alice_org, alice, duration=8, ratios=ratios)
    estimate = render_estimate(job=job)
    assert estimate.credits == math.ceil(round(sum(s.duration_seconds for s in job.scenes.all()), 2)) * len(ratios)
    assert estimate.credits == 8 * len(ratios)


def test_render_reserves_then_delivery_debits_actual_seconds(billing_on, alice_org, alice):
    set_plan(alice_org, "pro")
    give_credits(alice_org, 100)
    job = make_job(alice_org, alice, duration=8, ratios=("9:16", "1:1"))
    services.video_job_enqueue_render(job=job, user=alice)
    assert selectors.credit_balance(organization=alice_org) == 100 - 16  # held while it renders
    render = Render.objects.create(job=job, number=1)
    credits.render_delivered(job=job, render=render, seconds=7.2, formats=1)  # only one format made it, 7.2 s
    assert selectors.credit_balance(organization=alice_org) == 100 - 8
    credits.render_delivered(job=job, render=render, seconds=7.2, formats=1)  # a retried store: debited once
    assert selectors.credit_balance(organization=alice_org) == 92
    assert CreditLedger.objects.filter(organization=alice_org, kind=LedgerKind.DEBIT).count() == 1


@pytest.mark.parametrize("how", ["failed", "worker died", "cancelled"])
def test_failed_or_cancelled_render_gives_the_credits_back(billing_on, alice_org, alice, how):
    set_plan(alice_org, "pro")
    give_credits(alice_org, 20)
    job = make_job(alice_org, alice, duration=8)
    services.video_job_enqueue_render(job=job, user=alice)
    assert selectors.credit_balance(organization=alice_org) == 12
    if how == "failed":
        VideoJob.objects.filter(pk=job.pk).update(status=JobStatus.RENDERING)
        rendering._fail(job.pk, "Render failed: boom")
    elif how == "worker died":
        from videogen.tasks import render_video_job_failed

        class RqJob:
            args = [job.pk]
            retries_left = 0

        render_video_job_failed(RqJob(), None, RuntimeError, RuntimeError("killed"), None)
    else:
        services.video_job_cancel(job=job, user=alice)
    assert selectors.credit_balance(organization=alice_org) == 20
    assert CreditLedger.objects.filter(organization=alice_org, kind=LedgerKind.REFUND).count() == 1
    rendering._fail(job.pk, "again")  # nothing left to refund
    assert selectors.credit_balance(organization=alice_org) == 20


def test_out_of_credits_names_it_and_offers_storyboard_and_upgrade(billing_on, alice_org, alice, alice_client):
    job = make_job(alice_org, alice, duration=8, ratios=("9:16", "1:1"))
    set_plan(alice_org, "free")
    billing_account_refresh(organization=alice_org)  # this month's Free top-up: 60 credits
    assert selectors.credit_balance(organization=alice_org) == 60
    credit_adjust(organization=alice_org, credits=-55, reason="test: spent elsewhere", actor=alice)
    response = _render_form(alice_client, job)
    text = " ".join(_messages(response))
    assert "Not enough render credits" in text and "needs 16 credits" in text and "has 5 left on the Free plan" in text
    html = response.content.decode()
    assert 'data-testid="render-refused"' in html
    assert f'href="{job_url(job)}#storyboard">Preview the storyboard (free)</a>' in html
    assert f'href="{reverse("billing:pricing")}">Compare plans and upgrade</a>' in html
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.phase != "queued"
    assert not OutboxMessage.objects.filter(func="videogen.tasks.render_video_job").exists()
    assert selectors.credit_balance(organization=alice_org) == 5


def test_refused_render_over_the_api_is_403_with_the_reason(billing_on, alice_org, alice, alice_api):
    set_plan(alice_org, "free")
    job = make_job(alice_org, alice, duration=8, ratios=("16:9",))
    response = alice_api.post(f"/api/v1/video-jobs/{job.pk}/rerender/")
    assert response.status_code == 403
    assert "The Free plan renders 9:16, 1:1 only" in response.json()["detail"]


@pytest.mark.parametrize(("plan", "duration", "ratios", "gpu", "expected"), [
    ("free", 20, ("9:16",), False, "The Free plan renders ads up to 15 s"),
    ("free", 8, ("9:16", "16:9"), False, "The Free plan renders 9:16, 1:1 only; this job also asks for 16:9"),
    ("free", 8, ("9:16",), True, "The Free plan has no generated (GPU) scenes"),
    ("pro", 8, ("9:16", "16:9", "4:5", "1:1"), True, ""),
])
def test_plan_limits_are_checked_with_a_reason(billing_on, alice_org, alice, plan, duration, ratios, gpu, expected):
    set_plan(alice_org, plan)
    give_credits(alice_org, 1000)
    job = make_job(alice_org, alice, duration=duration, ratios=ratios)
    if gpu:
        job.scenes.filter(number=1).update(visual_source="generated_clip")
    allowed, reason = credits.render_allowed(organization=alice_org, job=job)
    assert allowed is (expected == "")
    assert expected in reason
    assert CreditLedger.objects.filter(kind=LedgerKind.RESERVATION).count() == (1 if allowed else 0)


def test_queued_again_after_a_lost_render_holds_one_reservation(billing_on, alice_org, alice):
    give_credits(alice_org, 100)
    job = make_job(alice_org, alice, duration=8)
    set_plan(alice_org, "pro")
    credits.render_allowed(organization=alice_org, job=job)
    credits.render_allowed(organization=alice_org, job=job)
    assert selectors.credit_balance(organization=alice_org) == 92
    assert selectors.open_reservation_for_job(job_id=job.pk) is not None
    held = CreditLedger.objects.filter(job=job).values_list("kind", "credits")
    assert sum(c for _, c in held) == -8


def test_overage_on_a_paid_plan_is_metered_once_per_render(billing_on, alice_org, alice):
    set_plan(alice_org, "pro", stripe_customer_id="cus_alice")
    give_credits(alice_org, 5)
    job = make_job(alice_org, alice, duration=8, ratios=("9:16", "1:1"))
    services.video_job_enqueue_render(job=job, user=alice)  # allowed: Pro bills what's over as usage
    render = Render.objects.create(job=job, number=1)
    credits.render_delivered(job=job, render=render, seconds=8, formats=2)
    credits.render_delivered(job=job, render=render, seconds=8, formats=2)
    assert selectors.credit_balance(organization=alice_org) == 0
    record = MeterEventRecord.objects.get()
    assert (record.identifier, record.value, record.stripe_customer_id) == (f"render-{render.pk}", 11, "cus_alice")
    assert OutboxMessage.objects.filter(func="billing.metering.meter_event_send", args=[record.pk]).count() == 1


def test_billing_disabled_always_allows_and_records_nothing(settings, alice_org, alice):
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_ENABLED = False
    job = make_job(alice_org, alice, duration=60, ratios=("9:16", "16:9", "4:5", "1:1"))
    job.scenes.filter(number=1).update(visual_source="generated_clip")
    services.video_job_enqueue_render(job=job, user=alice)
    render = Render.objects.create(job=job, number=1)
    credits.render_delivered(job=job, render=render, seconds=60, formats=4)
    assert not CreditLedger.objects.exists()
    assert selectors.effective_plan(organization=alice_org).code == "internal"
    assert selectors.billing_mode_label().startswith("Billing disabled")
    assert selectors.seats_available(organization=alice_org) is None


@pytest.mark.slow
def test_a_real_render_debits_its_delivered_seconds_and_a_crashed_one_refunds(billing_on, alice_org, alice, monkeypatch):
    set_plan(alice_org, "pro")
    give_credits(alice_org, 50)
    job = make_job(alice_org, alice, duration=6)
    services.video_job_enqueue_render(job=job, user=alice)
    render = rendering.video_job_render(job.pk)
    assert render is not None
    debit = CreditLedger.objects.get(kind=LedgerKind.DEBIT, render=render)
    assert debit.credits == -6 and list(render.outputs) == ["9:16"]
    assert selectors.credit_balance(organization=alice_org) == 44

    def crash(*args, **kwargs):
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr(rendering, "run_pipeline", crash)
    services.video_job_enqueue_render(job=job, user=alice)
    assert selectors.credit_balance(organization=alice_org) == 38
    assert rendering.video_job_render(job.pk) is None
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "encoder exploded" in job.error_message
    assert selectors.credit_balance(organization=alice_org) == 44
