"""Ten renders started at once for three renders' worth of credits: exactly three are queued, the
other seven are told why, and the balance never goes below zero (real PostgreSQL row locks)."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from billing import selectors
from billing.models import CreditLedger, LedgerKind
from billing.services import billing_account_refresh, credit_adjust
from tests.integration.billing.b1_fixtures import make_job, set_plan
from videogen import services
from videogen.models import VideoJob


@pytest.mark.django_db(transaction=True)  # plans: the autouse _plan_catalogue fixture re-seeds them after a flush
def test_ten_concurrent_renders_for_three_renders_worth_of_credits(billing_on, alice_org, alice):
    set_plan(alice_org, "free")
    billing_account_refresh(organization=alice_org)
    jobs = [make_job(alice_org, alice, duration=8) for _ in range(10)]  # 8 credits each
    credit_adjust(organization=alice_org, credits=24 - selectors.credit_balance(organization=alice_org),
                  reason="test: three renders' worth", actor=alice)
    assert selectors.credit_balance(organization=alice_org) == 24

    barrier = threading.Barrier(len(jobs))
    outcomes: dict[int, str] = {}

    def start(job):
        try:
            barrier.wait()
            services.video_job_enqueue_render(job=job, user=alice)
            outcomes[job.pk] = "queued"
        except PermissionDenied as exc:
            outcomes[job.pk] = str(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    queued = [pk for pk, o in outcomes.items() if o == "queued"]
    refused = [o for o in outcomes.values() if o != "queued"]
    assert len(outcomes) == 10
    assert len(queued) == 3
    assert all("Not enough render credits" in o for o in refused) and len(refused) == 7
    assert selectors.credit_balance(organization=alice_org) == 0
    assert CreditLedger.objects.filter(organization=alice_org, kind=LedgerKind.RESERVATION).count() == 3
    assert set(VideoJob.objects.filter(phase="queued").values_list("pk", flat=True)) == set(queued)
