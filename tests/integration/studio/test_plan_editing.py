import pytest
from django.core.exceptions import ValidationError

from videogen import services
from videogen.models import EditOperation, JobStatus, Scene, VideoJob, WorkflowTemplate

pytestmark = pytest.mark.django_db


def _total(job):
    return round(sum(s.duration_seconds for s in Scene.objects.filter(job=job)), 3)


def _scenes(job):
    return list(Scene.objects.filter(job=job).order_by("number"))


def test_job_is_planned_from_the_brief(job, photo):
    scenes = _scenes(job)
    assert 4 <= len(scenes) <= 8
    assert scenes[0].role == "hook" and scenes[-1].role == "end_card"
    assert _total(job) == pytest.approx(8, abs=0.05)
    assert job.status == JobStatus.PENDING and job.plan_version == 1
    assert any(s.image_id == photo.pk for s in scenes)


def test_brief_errors_name_the_field_and_save_nothing(alice_org, alice, charlie_org, charlie, upload_asset, make_brief):
    charlies_photo = upload_asset(charlie_org, charlie)
    with pytest.raises(ValidationError) as exc:
        services.video_job_create(organization=alice_org, user=alice,
                                  brief_data=make_brief([charlies_photo.pk], duration=90, aspect_ratios=["3:2"]))
    errors = exc.value.message_dict
    assert "no uploaded photo" in errors["images[0]"][0]
    assert "duration" in errors and "aspect_ratios" in errors
    assert not VideoJob.objects.exists()


def test_edit_text_and_duration_keeps_total(job, alice):
    first = _scenes(job)[1]
    services.scene_update(job=job, user=alice, scene_key=first.scene_key,
                          changes={"on_screen_text": "Cold brew, zero wait", "duration": "3.0"}, expected_version=1)
    scenes = _scenes(job)
    assert scenes[1].on_screen_text == "Cold brew, zero wait" and scenes[1].duration_seconds == 3.0
    assert _total(job) == pytest.approx(8, abs=0.01)
    op = EditOperation.objects.get(job=job)
    assert op.op == "edit_scene" and op.plan_version == 2
    assert op.before[1]["on_screen_text"] != "Cold brew, zero wait"


def test_second_tab_is_told_the_plan_changed(job, alice, bob):
    key = _scenes(job)[0].scene_key
    services.scene_update(job=job, user=alice, scene_key=key, changes={"voiceover": "First tab wins."}, expected_version=1)
    stale = VideoJob.objects.get(pk=job.pk)
    stale.plan_version = 1
    with pytest.raises(ValidationError) as exc:
        services.scene_update(job=stale, user=bob, scene_key=key, changes={"voiceover": "Second tab."}, expected_version=1)
    assert "changed since you opened it" in exc.value.message_dict["plan_version"][0]
    assert _scenes(job)[0].voiceover == "First tab wins."


def test_reorder_add_remove_and_undo(job, alice):
    original = [s.scene_key for s in _scenes(job)]
    services.scene_move(job=job, user=alice, scene_key=original[1], to_index=2)
    assert [s.scene_key for s in _scenes(job)][2] == original[1]
    services.scene_add(job=job, user=alice, after_key=original[0])
    assert len(_scenes(job)) == len(original) + 1 and _total(job) == pytest.approx(8, abs=0.01)
    services.scene_remove(job=job, user=alice, scene_key=original[0])
    assert original[0] not in [s.scene_key for s in _scenes(job)]
    for _ in range(3):
        services.edit_undo(job=job, user=alice)
    assert [s.scene_key for s in _scenes(job)] == original
    with pytest.raises(ValidationError, match="nothing to undo"):
        services.edit_undo(job=job, user=alice)


def test_plan_limits_are_enforced(job, alice):
    scenes = _scenes(job)
    with pytest.raises(ValidationError, match="at least 4"):
        for s in scenes:
            services.scene_remove(job=job, user=alice, scene_key=s.scene_key)
    with pytest.raises(ValidationError, match="1–20 s"):
        services.scene_update(job=job, user=alice, scene_key=scenes[0].scene_key, changes={"duration": "0.2"})
    with pytest.raises(ValidationError, match="cannot be edited"):
        services.scene_update(job=job, user=alice, scene_key=scenes[0].scene_key, changes={"role": "offer"})
    assert _total(job) == pytest.approx(8, abs=0.01)


def test_swap_image_only_to_own_photos(job, alice, alice_org, charlie_org, charlie, upload_asset):
    mine = upload_asset(alice_org, alice, name="second.png")
    theirs = upload_asset(charlie_org, charlie)
    key = _scenes(job)[0].scene_key
    services.scene_swap_image(job=job, user=alice, scene_key=key, asset=mine)
    assert _scenes(job)[0].image_id == mine.pk
    with pytest.raises(ValidationError):
        services.scene_swap_image(job=job, user=alice, scene_key=key, asset=theirs)


def test_save_as_template_and_start_from_it(job, alice, alice_org, photo):
    template = services.workflow_template_save(job=job, user=alice, name="Weekly offer")
    assert template.organization == alice_org and len(template.scene_recipe) == len(_scenes(job))
    with pytest.raises(ValidationError, match="already has a template"):
        services.workflow_template_save(job=job, user=alice, name="weekly offer")
    again = services.video_job_create(organization=alice_org, user=alice, template=template,
                                      brief_data={"product_name": "Aurora", "text_prompt": "Cold brew that keeps up with you",
                                                  "images": [photo.pk]})
    assert again.planner == "template"
    assert [s.on_screen_text for s in _scenes(again)] == [s["on_screen_text"] for s in template.scene_recipe]


def test_builtin_templates_and_voices_are_synced():
    assert WorkflowTemplate.objects.filter(organization=None, name="Offer countdown 6 s bumper").exists()
    from videogen.models import Voice

    assert Voice.objects.filter(engine_voice_id="en-us", is_active=True).exists()


def test_cancel_and_queue_rules(job, alice, redis_conn, django_capture_on_commit_callbacks):
    import django_rq

    with django_capture_on_commit_callbacks(execute=True):
        services.video_job_enqueue_render(job=job, user=alice)
    queue = django_rq.get_queue("render")
    assert queue.count == 1
    rq_job = queue.jobs[0]
    assert rq_job.timeout == services.RENDER_JOB_TIMEOUT_S and rq_job.retries_left == services.RENDER_RETRIES
    job.refresh_from_db()
    assert job.phase == "queued" and job.rq_job_ids == [rq_job.id]
    with pytest.raises(ValidationError, match="already"):
        services.video_job_enqueue_render(job=job, user=alice)
    services.video_job_cancel(job=job, user=alice)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.cancel_requested
    assert queue.count == 0
    with pytest.raises(ValidationError, match="nothing to cancel"):
        services.video_job_cancel(job=job, user=alice)


def test_job_can_be_attached_to_own_campaign_only(alice_org, alice, charlie_org, charlie, photo, make_brief):
    from campaigns.services import campaign_create

    mine = campaign_create(organization=alice_org, actor=alice, name="Spring", objective="traffic", platforms=["meta"])
    theirs = campaign_create(organization=charlie_org, actor=charlie, name="Theirs", objective="traffic", platforms=["meta"])
    job = services.video_job_create(organization=alice_org, user=alice, brief_data=make_brief([photo.pk]), campaign_id=mine.pk)
    assert job.campaign == mine and list(mine.video_jobs.all()) == [job]
    with pytest.raises(ValidationError) as exc:
        services.video_job_create(organization=alice_org, user=alice, brief_data=make_brief([photo.pk]), campaign_id=theirs.pk)
    assert "No campaign" in exc.value.message_dict["campaign"][0]
