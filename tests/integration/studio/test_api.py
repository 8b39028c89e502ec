import io

import pytest
from PIL import Image

from videogen.models import JobStatus, VideoJob

pytestmark = pytest.mark.django_db


def _png(name="shot.png"):
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 90, 160)).save(buf, "PNG")
    buf.name = name
    buf.seek(0)
    return buf


def test_upload_then_create_job_returns_202_and_queues(alice_api, redis_conn, django_capture_on_commit_callbacks, make_brief):
    import django_rq

    up = alice_api.post("/api/v1/assets/", {"file": _png()}, format="multipart")
    assert up.status_code == 201 and up.json()["width"] == 320
    with django_capture_on_commit_callbacks(execute=True):
        created = alice_api.post("/api/v1/video-jobs/", make_brief([up.json()["id"]]), format="json")
    assert created.status_code == 202
    body = created.json()
    assert set(body) == {"id", "status", "progress", "ws_url"}
    assert body["status"] == "pending" and body["ws_url"].endswith(f"/ws/video-jobs/{body['id']}/")
    assert django_rq.get_queue("render").count == 1
    detail = alice_api.get(f"/api/v1/video-jobs/{body['id']}/").json()
    assert detail["phase"] == "queued" and len(detail["scenes"]) >= 4 and detail["renders"] == []


def test_invalid_brief_is_400_with_field_errors(alice_api, photo, make_brief):
    response = alice_api.post("/api/v1/video-jobs/", make_brief([photo.pk], duration=3, style="gothic"), format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "duration" in errors and "style" in errors
    assert not VideoJob.objects.exists()


def test_bad_upload_is_400(alice_api):
    response = alice_api.post("/api/v1/assets/", {"file": io.BytesIO(b"")}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["errors"]
    fake = io.BytesIO(b"not an image")
    fake.name = "fake.png"
    response = alice_api.post("/api/v1/assets/", {"file": fake}, format="multipart")
    assert response.status_code == 400 and "not a readable image" in response.json()["errors"]["file"][0]


def test_cancel_and_rerender(alice_api, job, redis_conn, django_capture_on_commit_callbacks):
    planned_only = alice_api.post(f"/api/v1/video-jobs/{job.pk}/cancel/")
    assert planned_only.status_code == 400 and "not rendering" in planned_only.json()["detail"]
    with django_capture_on_commit_callbacks(execute=True):
        queued = alice_api.post(f"/api/v1/video-jobs/{job.pk}/rerender/")
    assert queued.status_code == 202
    busy = alice_api.post(f"/api/v1/video-jobs/{job.pk}/rerender/")
    assert busy.status_code == 400 and "already" in busy.json()["detail"]
    cancelled = alice_api.post(f"/api/v1/video-jobs/{job.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = alice_api.post(f"/api/v1/video-jobs/{job.pk}/cancel/")
    assert again.status_code == 400 and "already cancelled" in again.json()["detail"]
    with django_capture_on_commit_callbacks(execute=True):
        rerender = alice_api.post(f"/api/v1/video-jobs/{job.pk}/rerender/")
    assert rerender.status_code == 202
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.phase == "queued"


def test_viewer_can_read_but_not_create(member_of, api_for, job, make_brief, photo):
    viewer = api_for(member_of("viewer"))
    assert viewer.get(f"/api/v1/video-jobs/{job.pk}/").status_code == 200
    assert viewer.post("/api/v1/video-jobs/", make_brief([photo.pk]), format="json").status_code == 403
    assert viewer.post(f"/api/v1/video-jobs/{job.pk}/cancel/").status_code == 403


def test_templates_and_voices(alice_api, charlie_api, job, alice):
    from videogen.services import workflow_template_save

    workflow_template_save(job=job, user=alice, name="Alice recipe")
    names = [t["name"] for t in alice_api.get("/api/v1/templates/").json()["results"]]
    assert "Product hero 15 s" in names and "Alice recipe" in names
    assert "Alice recipe" not in [t["name"] for t in charlie_api.get("/api/v1/templates/").json()["results"]]
    voices = alice_api.get("/api/v1/voices/").json()
    assert any(v["engine_voice_id"] == "en-us" for v in voices)


def test_job_list_is_scoped(alice_api, charlie_api, job):
    assert [j["id"] for j in alice_api.get("/api/v1/video-jobs/").json()["results"]] == [job.pk]
    assert charlie_api.get("/api/v1/video-jobs/").json()["results"] == []
