"""Two undos at once (two tabs, two connections): each undoes its own edit, or the second finds
nothing — the same edit is never undone twice into a no-op history entry."""

import threading

import pytest
from django.db import connection, connections, transaction

from videogen import services
from videogen.models import EditOperation, VideoJob

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
        return cursor.fetchone()[0] > 0


@pytest.mark.parametrize("edits", [1, 2])
def test_parallel_undos_never_record_a_no_op(job, alice, edits):
    keys = [s.scene_key for s in job.scenes.order_by("number")]
    for n in range(edits):
        services.scene_update(job=job, user=alice, scene_key=keys[n], changes={"voiceover": f"Edit number {n}."})
    locked, go, errors = threading.Event(), threading.Event(), []

    def first():  # holds the job's row lock while the second undo arrives, then undoes
        try:
            with transaction.atomic():
                VideoJob.objects.select_for_update().get(pk=job.pk)
                locked.set()
                go.wait(30)
                services.edit_undo(job=VideoJob.objects.get(pk=job.pk), user=alice)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def second():
        try:
            services.edit_undo(job=VideoJob.objects.get(pk=job.pk), user=alice)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    t1 = threading.Thread(target=first)
    t1.start()
    assert locked.wait(30)
    t2 = threading.Thread(target=second)
    t2.start()
    for _ in range(3000):  # until the second undo waits for the lock (or has finished)
        if _waiting_on_a_lock() or not t2.is_alive():
            break
        threading.Event().wait(0.01)
    go.set()
    t1.join(60)
    t2.join(60)

    undos = list(EditOperation.objects.filter(job=job, op=EditOperation.Op.UNDO).order_by("id"))
    assert all(u.before != u.after for u in undos), "an undo recorded a no-op"
    assert len({u.summary for u in undos}) == len(undos)
    assert len(undos) == min(2, edits)
    if edits == 1:
        assert len(errors) == 1 and "nothing to undo" in str(errors[0])
    else:
        assert errors == []
    assert not EditOperation.objects.filter(job=job, undone=False).exclude(op=EditOperation.Op.UNDO).exists()
    assert [s.voiceover for s in job.scenes.order_by("number")][:edits] != [f"Edit number {n}." for n in range(edits)]
