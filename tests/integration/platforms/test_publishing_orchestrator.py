"""The publish orchestrator (campaigns.platforms.publishing) against an in-memory platform:
resume after a crash at every step, transient retries, permanent errors shown, token refresh then
reconnect, and every bad input refused before anything is queued."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaigns.models import Ad, PlatformConnection, Publication
from campaigns.platforms import publishing
from campaigns.platforms.base import PlatformError
from kolony.accounts.models import AuditEvent
from kolony.notifications.models import Notification
from kolony.outbox.models import OutboxMessage
from tests.integration.platforms.publish_helpers import (
    STEPS,
    Crash,
    ad_set_for,
    approved_render,
    connect,
)


@pytest.fixture
def setup(alice_org, alice, bob, fake):
    connect(alice_org)
    render = approved_render(alice_org, bob)
    ad_set = ad_set_for(alice_org, alice)
    return render, ad_set


def _worker_died(pub):
    """The job was sent to RQ and its worker was killed: no RQ job runs it any more."""
    import django_rq
    from rq.job import Job

    OutboxMessage.objects.filter(rq_job_id=pub.rq_job_id).update(status="sent")
    conn = django_rq.get_connection("publish")
    if Job.exists(pub.rq_job_id, connection=conn):
        Job.fetch(pub.rq_job_id, connection=conn).delete()


def _publish(render, ad_set, user, **kwargs):
    return publishing.publication_create(render=render, ad_set=ad_set, platform="meta", user=user, **kwargs)


def test_publish_runs_every_step_and_links_the_ad(setup, fake, alice, bob):
    render, ad_set = setup
    pub = _publish(render, ad_set, alice)
    assert pub.status == "queued" and pub.aspect_ratio == "9:16"
    render.refresh_from_db()
    assert render.review_status == "publishing"
    assert OutboxMessage.objects.filter(func=publishing.TASK, args=[pub.pk], queue="publish").exists()

    assert publishing.run_publication(pub.pk) == "succeeded"
    pub.refresh_from_db()
    assert [fake.count(s) for s in ("campaign", "ad_set", "video", "creative", "ad")] == [1, 1, 1, 1, 1]
    assert all(pub.step_done(s) for s in STEPS) and pub.progress == 100
    ad = Ad.objects.get(pk=pub.ad_id)
    assert ad.creative_render_id == render.pk and ad.creative_ratio == "9:16"
    assert ad.external["meta"]["id"] == fake.created["ad"][0]
    assert ad.external["meta"]["url"].endswith(fake.created["ad"][0])
    ad_set.refresh_from_db()
    assert ad_set.external["meta"]["id"] == fake.created["ad_set"][0]
    assert ad_set.campaign.external["meta"]["id"] == fake.created["campaign"][0]
    render.refresh_from_db()
    assert render.review_status == "published"
    assert AuditEvent.objects.filter(action="publication.succeeded").exists()
    note = Notification.objects.get(recipient=bob, kind="publishing")
    assert fake.created["ad"][0] in note.message


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("crash_step", [s for s in STEPS])
def test_a_job_killed_after_any_step_resumes_without_duplicates(crash_step, setup, fake, alice):
    render, ad_set = setup
    pub = _publish(render, ad_set, alice)
    fake.crash_after = crash_step
    with pytest.raises(Crash):
        publishing.run_publication(pub.pk)
    pub.refresh_from_db()
    assert pub.status == "running" and pub.step_done(crash_step)  # saved before the crash, in its own transaction
    fake.crash_after = None
    _worker_died(pub)
    pub = publishing.publication_retry(publication=pub, user=alice)  # the worker is gone: Retry takes over
    assert publishing.run_publication(pub.pk) == "succeeded"
    for step in ("campaign", "ad_set", "video", "thumbnail", "creative", "ad"):
        assert fake.count(step) == 1, step
    assert Ad.objects.filter(ad_set=ad_set).count() == 1


def test_retry_of_a_running_publication_is_refused_while_its_job_lives(setup, alice, redis_conn):
    render, ad_set = setup
    pub = _publish(render, ad_set, alice)
    OutboxMessage.objects.filter(rq_job_id=pub.rq_job_id).update(status="pending")  # still waiting to be sent
    with pytest.raises(publishing.PublishConflict, match="still running"):
        publishing.publication_retry(publication=pub, user=alice)


def test_transient_errors_back_off_and_retry(setup, fake, alice, monkeypatch):
    waits = []
    monkeypatch.setattr(publishing, "sleep", waits.append)
    render, ad_set = setup
    fake.fail("video", PlatformError("Calls to this API have exceeded the rate limit.", code="17", transient=True, retry_after=12),
              PlatformError("Service temporarily unavailable", code="2", transient=True))
    pub = _publish(render, ad_set, alice)
    assert publishing.run_publication(pub.pk) == "succeeded"
    assert waits == [12.0, 4.0]  # the platform's retry_after, then exponential
    assert fake.count("video") == 1


def test_transient_errors_that_never_clear_fail_with_the_platform_message(setup, fake, alice):
    render, ad_set = setup
    fake.fail("creative", *[PlatformError("User request limit reached", code="17", transient=True)] * publishing.STEP_ATTEMPTS)
    pub = _publish(render, ad_set, alice)
    assert publishing.run_publication(pub.pk) == "failed"  # outside RQ: no retry left
    pub.refresh_from_db()
    assert pub.error_message == "User request limit reached" and pub.error_code == "17"


def test_permanent_error_shows_the_platform_message_field_and_finished_steps(setup, fake, alice, client_for):
    render, ad_set = setup
    fake.fail("creative", PlatformError("The link in your ad isn't valid.", code="100/1487", field="object_story_spec.link"))
    pub = _publish(render, ad_set, alice)
    assert publishing.run_publication(pub.pk) == "failed"
    pub.refresh_from_db()
    render.refresh_from_db()
    assert render.review_status == "publish_failed"
    assert (pub.error_message, pub.error_code, pub.error_field) == ("The link in your ad isn't valid.", "100/1487",
                                                                    "object_story_spec.link")
    assert pub.steps["creative"]["status"] == "failed"
    page = client_for(alice).get(f"/campaigns/publications/{pub.pk}/").content.decode()
    assert "The link in your ad isn&#x27;t valid." in page and "object_story_spec.link" in page
    for step in ("campaign", "ad_set", "video"):
        assert fake.created[step][0] in page  # nothing half-done hidden
    # Retry after fixing: resumes at the creative, nothing created twice
    pub = publishing.publication_retry(publication=pub, user=alice)
    assert publishing.run_publication(pub.pk) == "succeeded"
    assert fake.count("video") == 1 and fake.count("creative") == 1 and fake.count("ad") == 1


def test_expired_token_is_refreshed_once_then_the_step_succeeds(setup, fake, alice, monkeypatch):
    render, ad_set = setup
    fake.valid_tokens = {"tok-1", "tok-2"}
    fake.fail("ad_set", PlatformError("Error validating access token", code="190", auth=True))
    refreshed = []

    def connection_token(conn, *, force_refresh=False):
        if force_refresh:
            refreshed.append(conn.pk)
            conn.token = "tok-2"
            conn.save()
        return conn.token

    monkeypatch.setattr(publishing, "_connection_token", connection_token)
    pub = _publish(render, ad_set, alice)
    assert publishing.run_publication(pub.pk) == "succeeded"
    assert len(refreshed) == 1 and fake.tokens_seen[-1] == "tok-2"


def test_token_refused_after_refresh_asks_to_reconnect(setup, fake, alice, monkeypatch):
    render, ad_set = setup
    fake.valid_tokens = {"never"}
    monkeypatch.setattr(publishing, "_connection_token", lambda conn, force_refresh=False: conn.token)
    pub = _publish(render, ad_set, alice)
    assert publishing.run_publication(pub.pk) == "failed"
    pub.refresh_from_db()
    assert "Reconnect Meta on the Connections page" in pub.error_message
    assert PlatformConnection.objects.get(organization=pub.organization).status == "needs_reconnect"
    assert fake.calls == ["campaign", "campaign"]  # one retry after the refresh, then stop


def test_disconnected_mid_publish_stops_with_a_clear_message(setup, fake, alice):
    render, ad_set = setup
    pub = _publish(render, ad_set, alice)
    fake.crash_after = "video"
    with pytest.raises(Crash):
        publishing.run_publication(pub.pk)
    PlatformConnection.objects.filter(organization=pub.organization).delete()
    fake.crash_after = None
    _worker_died(pub)
    pub = publishing.publication_retry(publication=pub, user=alice)
    assert publishing.run_publication(pub.pk) == "failed"
    pub.refresh_from_db()
    assert "disconnected while publishing" in pub.error_message and pub.step_done("video")


@pytest.mark.parametrize("state", ["draft", "in_review", "changes_requested"])
def test_only_an_approved_render_publishes(state, setup, alice):
    render, ad_set = setup
    render.review_status = state
    render.save(update_fields=["review_status"])
    with pytest.raises(publishing.PublishConflict) as err:
        _publish(render, ad_set, alice)
    assert render.get_review_status_display().lower() in str(err.value)
    assert not Publication.objects.exists() and not Ad.objects.exists()


def test_a_ratio_the_render_lacks_is_refused(alice_org, alice, fake):
    connect(alice_org)
    render = approved_render(alice_org, alice, ratios=("16:9",))
    ad_set = ad_set_for(alice_org, alice, placements=("instagram_stories",))
    with pytest.raises(ValidationError) as err:
        _publish(render, ad_set, alice)
    assert "aspect_ratio" in err.value.message_dict and "9:16" in str(err.value)
    with pytest.raises(ValidationError) as err:
        _publish(render, ad_set, alice, aspect_ratio="16:9")  # has it, but Stories don't show it
    assert "does not fit" in str(err.value)
    assert not Publication.objects.exists()


def test_another_organizations_ad_set_is_refused(setup, charlie_org, charlie, alice):
    render, _ = setup
    other = ad_set_for(charlie_org, charlie, name="Theirs")
    with pytest.raises(ValidationError) as err:
        _publish(render, other, alice)
    assert "ad_set" in err.value.message_dict


@pytest.mark.parametrize("problem", ["not_connected", "needs_reconnect", "wrong_platform"])
def test_connection_and_platform_problems_are_named(problem, alice_org, alice, fake):
    render = approved_render(alice_org, alice)
    if problem == "needs_reconnect":
        connect(alice_org, status="needs_reconnect")
    elif problem == "wrong_platform":
        connect(alice_org)
    ad_set = ad_set_for(alice_org, alice, platforms=("google",) if problem == "wrong_platform" else ("meta",),
                        placements=())
    with pytest.raises(ValidationError) as err:
        _publish(render, ad_set, alice)
    assert "platform" in err.value.message_dict
    assert {"not_connected": "not connected", "needs_reconnect": "reconnected", "wrong_platform": "not Meta"}[problem] in str(err.value)


@pytest.mark.parametrize("role", ["reviewer", "viewer"])
def test_roles_without_publish_are_refused(role, setup, member_of):
    render, ad_set = setup
    with pytest.raises(PermissionDenied):
        _publish(render, ad_set, member_of(role))


def test_a_second_click_answers_the_running_publication_and_a_live_ad_is_not_pushed_twice(setup, alice):
    render, ad_set = setup
    first = _publish(render, ad_set, alice)
    assert _publish(render, ad_set, alice).pk == first.pk
    publishing.run_publication(first.pk)
    with pytest.raises(publishing.PublishConflict, match="already live"):
        _publish(render, ad_set, alice)


def test_a_second_ad_set_reuses_the_live_campaign(setup, fake, alice):
    render, ad_set = setup
    publishing.run_publication(_publish(render, ad_set, alice).pk)
    from campaigns import services

    second = services.ad_set_create(campaign=ad_set.campaign, actor=alice, name="Stories", budget_minor=1500,
                                    placements=["facebook_stories"])
    publishing.run_publication(_publish(render, second, alice).pk)
    assert fake.count("campaign") == 1 and fake.count("ad_set") == 2 and fake.count("ad") == 2


def test_activate_and_pause_call_the_platform(setup, fake, alice):
    render, ad_set = setup
    pub = _publish(render, ad_set, alice)
    publishing.run_publication(pub.pk)
    ad = Ad.objects.get(pk=pub.ad_id)
    assert publishing.ad_platform_status_change(ad=ad, platform="meta", active=True, user=alice) == "ACTIVE"
    ad.refresh_from_db()
    assert ad.status == "active" and ad.external["meta"]["status"] == "ACTIVE"
    publishing.ad_platform_status_change(ad=ad, platform="meta", active=False, user=alice)
    ad.refresh_from_db()
    assert ad.status == "paused" and ad.external["meta"]["status"] == "PAUSED"
    assert fake.status_calls == [(ad.external["meta"]["id"], True), (ad.external["meta"]["id"], False)]
