"""The job outbox: written with the transaction, sent once after the commit, never twice."""

import pytest
from django.db import transaction

from kolony.outbox import services as outbox
from kolony.outbox.models import OutboxMessage, OutboxStatus


def _queue(name="default"):
    import django_rq

    return django_rq.get_queue(name)


@pytest.mark.django_db(transaction=True)
def test_sent_after_commit_and_not_on_rollback(redis_conn):
    with transaction.atomic():
        row = outbox.enqueue_on_commit("default", "builtins.print", "hello", kwargs={"end": "!"}, job_timeout=5, retry=2,
                                       retry_intervals=[1, 2])
        assert _queue().count == 0 and OutboxMessage.objects.get(pk=row.pk).status == OutboxStatus.PENDING
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and _queue().job_ids == [row.rq_job_id]
    job = _queue().jobs[0]
    assert job.args == ("hello",) and job.kwargs == {"end": "!"} and job.timeout == 5 and job.retries_left == 2

    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue_on_commit("default", "builtins.print", "never")
        raise RuntimeError("the change failed")
    assert OutboxMessage.objects.count() == 1 and _queue().count == 1


@pytest.mark.django_db(transaction=True)
def test_a_row_becomes_one_rq_job_however_often_it_is_drained(redis_conn, monkeypatch):
    monkeypatch.setattr(outbox, "drain_quietly", lambda **kwargs: 0)  # no after-commit send
    row = outbox.enqueue_on_commit("default", "builtins.print", "once", job_id="outbox-test-once")
    outbox._send(row)  # sent to Redis, then the process died before marking the row sent
    assert OutboxMessage.objects.get(pk=row.pk).status == OutboxStatus.PENDING
    for _ in range(3):
        outbox.outbox_drain()
    assert OutboxMessage.objects.get(pk=row.pk).status == OutboxStatus.SENT
    assert _queue().job_ids == ["outbox-test-once"]
    # Even after the job (and its result) left Redis, the sent marker keeps a reset row from running again.
    _queue().jobs[0].delete()
    OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING)
    outbox.outbox_drain()
    assert _queue().count == 0


@pytest.mark.django_db
def test_bad_calls_are_refused_before_anything_is_saved():
    with pytest.raises(ValueError, match="Unknown RQ queue"):
        outbox.enqueue_on_commit("nope", "builtins.print")
    with pytest.raises(TypeError):
        outbox.enqueue_on_commit("default", "builtins.print", object())
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_purge_keeps_pending_rows(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    rows = [outbox.enqueue_on_commit("default", "builtins.print", n) for n in range(3)]
    OutboxMessage.objects.filter(pk=rows[0].pk).update(status=OutboxStatus.SENT)
    OutboxMessage.objects.filter(pk=rows[1].pk).update(status=OutboxStatus.CANCELLED)
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(days=8))
    assert outbox.outbox_purge() == 2
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [rows[2].pk]
