import pytest
from django.db import connection


@pytest.mark.django_db
def test_healthz_up(client, redis_conn):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"]["ok"] and body["redis"]["ok"]
    assert set(body["queues"]) == {"default", "render", "gpu", "publish"}
    assert body["workers"] == 0


@pytest.mark.django_db
def test_healthz_counts_queued_jobs(client, redis_conn, django_capture_on_commit_callbacks):
    import django_rq

    with django_capture_on_commit_callbacks(execute=True):
        django_rq.get_queue("render").enqueue("builtins.print", "hello")
    assert client.get("/healthz").json()["queues"]["render"] == 1


@pytest.mark.django_db
def test_healthz_redis_down(client, settings):
    import django_rq

    settings.RQ_QUEUES = {name: {"URL": "redis://127.0.0.1:1/0"} for name in ("default", "render", "gpu")}
    django_rq.queues.get_redis_connection.cache_clear() if hasattr(django_rq.queues.get_redis_connection, "cache_clear") else None
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"] and "Connection" in body["redis"]["error"]


@pytest.mark.django_db
def test_healthz_database_down(client, monkeypatch, redis_conn):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert "refused" in response.json()["database"]["error"]
