"""The insights sync: paging, exact conversion, back-fill, the re-sync window, failures recorded
and retried (RQ Retry, the admin's action), the hourly schedule, the "Sync now" buttons, tenancy."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rq import SimpleWorker

from campaigns import services
from campaigns.models import InsightDaily, InsightSyncRun, PlatformConnection, Publication
from campaigns.platforms import insights
from campaigns.platforms.base import PlatformError, micros_to_minor, money_to_minor
from campaigns.platforms.registry import override_adapter
from kolony.outbox.models import OutboxMessage
from tests.integration.platforms.insights_fakes import FakeInsightsAdapter, bare_render, connect, publish, transient

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def fake():
    adapter = FakeInsightsAdapter("meta", page_size=3)
    with override_adapter("meta", adapter):
        yield adapter


@pytest.fixture
def live(tree, alice, alice_org):
    """alice's ad live on Meta as 120001, a second ad live as 120002, a draft ad never published."""
    campaign, ad_set, ad = tree
    ad2 = services.ad_create(ad_set=ad_set, actor=alice, name="Pour 6s", destination_url="https://aurora.example/")
    services.ad_create(ad_set=ad_set, actor=alice, name="Draft", destination_url="https://aurora.example/")
    return publish(ad, "meta", "120001"), publish(ad2, "meta", "120002")


@pytest.fixture
def meta(alice, alice_org):
    return connect(alice_org, alice, "meta")


def days_ago(n):
    return TODAY() - dt.timedelta(days=n)


def stored(ad):
    return {r.date: r for r in InsightDaily.objects.filter(ad=ad, platform="meta")}


def test_every_page_is_followed_and_numbers_are_exact(fake, live, meta):
    ad1, ad2 = live
    # Meta sends spend as decimal strings; Google as micros. Summed as floats these drift.
    spends = ["0.10", "0.20", "12.345", "0.005"]
    for i, spend in enumerate(spends):
        fake.put("120001", days_ago(i), impressions=1000 + i, clicks=10 + i, spend_minor=money_to_minor(spend),
                 conversions=1, conversion_value_minor=money_to_minor("19.99"), thruplays=300, video_p25=500,
                 video_p50=400, video_p75=300, video_p100=200, reach=900)
        fake.put("120002", days_ago(i), impressions=50, clicks=1, spend_minor=micros_to_minor(1_235_000))
    fake.put("999999", days_ago(0), impressions=7)  # an ad Kolony does not know: ignored

    run = insights.insights_sync(connection=meta, since=days_ago(5))

    assert run.status == "succeeded", run.error
    assert run.rows_upserted == 8
    assert run.pages_fetched == 3  # 9 rows (one unknown) at 3 a page
    rows = stored(ad1)
    assert [rows[days_ago(i)].spend_minor for i in range(4)] == [10, 20, 1235, 1]
    assert sum(r.spend_minor for r in rows.values()) == 1266
    assert rows[days_ago(2)].conversion_value_minor == 1999 and rows[days_ago(2)].video_p100 == 200
    assert {r.spend_minor for r in stored(ad2).values()} == {124}  # 1.235 USD → 123.5 cents → 124 (half up)
    assert not InsightDaily.objects.filter(impressions=7).exists()


def test_first_sync_backfills_from_the_publication_day(fake, live, meta, alice, alice_org, tree):
    ad1, ad2 = live
    render = bare_render(alice_org, alice)
    Publication.objects.create(organization=alice_org, render=render, ad_set=tree[1], ad=ad1, platform="meta",
                               aspect_ratio="9:16", status="succeeded",
                               finished_at=timezone.now() - dt.timedelta(days=12))
    for i in range(14):
        fake.put("120001", days_ago(i), impressions=100, clicks=1)

    run = insights.insights_sync(connection=meta)

    assert run.status == "succeeded"
    windows = {ids: (since, until) for ids, since, until in fake.calls}
    assert windows[("120001",)] == (days_ago(12), TODAY())
    assert sorted(stored(ad1)) == [days_ago(i) for i in range(12, -1, -1)]  # publication day .. today, every day
    assert (run.since, run.until) == (min(days_ago(12), windows[("120002",)][0]), TODAY())


def test_missing_days_are_backfilled_and_recent_days_resynced(fake, live, meta):
    ad1, ad2 = live
    services.insights_upsert(ad=ad1, rows=[{"platform": "meta", "date": days_ago(d), "impressions": 10, "clicks": 1}
                                           for d in range(20, 7, -1)])  # stored up to 8 days ago: a gap since
    services.insights_upsert(ad=ad2, rows=[{"platform": "meta", "date": days_ago(d), "impressions": 10, "clicks": 1}
                                           for d in range(10, 0, -1)])  # stored up to yesterday
    for d in range(21):
        for ext in ("120001", "120002"):
            fake.put(ext, days_ago(d), impressions=99, clicks=9)  # the platform restated everything

    run = insights.insights_sync(connection=meta)

    assert run.status == "succeeded"
    calls = {ids: since for ids, since, _ in fake.calls}
    assert calls == {("120001",): days_ago(7), ("120002",): days_ago(insights.RESYNC_DAYS)}
    ad1_rows, ad2_rows = stored(ad1), stored(ad2)
    assert all(ad1_rows[days_ago(d)].impressions == 99 for d in range(8))      # the gap, filled
    assert all(ad1_rows[days_ago(d)].impressions == 10 for d in range(8, 21))   # older days untouched
    assert [ad2_rows[days_ago(d)].impressions for d in range(4)] == [99, 99, 99, 99]  # re-sync window overwritten
    assert ad2_rows[days_ago(4)].impressions == 10


def test_a_failed_sync_is_recorded_and_writes_nothing(fake, live, meta):
    ad1, _ = live
    services.insights_upsert(ad=ad1, rows=[{"platform": "meta", "date": days_ago(1), "impressions": 10}])
    for d in range(7):
        fake.put("120001", days_ago(d), impressions=500)
        fake.put("120002", days_ago(d), impressions=500)
    fake.failures = [(2, transient())]  # the first call dies on its second page

    run = insights.insights_sync(connection=meta, since=days_ago(6))

    assert run.status == "failed" and run.finished_at is not None
    assert "User request limit reached" in run.error and "code 17" in run.error
    assert stored(ad1)[days_ago(1)].impressions == 10  # the rows of page 1 were not half-written
    assert InsightDaily.objects.count() == 1


def test_a_row_the_database_refuses_fails_the_sync_naming_the_ad(fake, live, meta):
    fake.put("120001", days_ago(1), impressions=100)
    fake.put("120002", days_ago(1), impressions=100, video_p25=1, video_p50=5)  # quartiles increase

    run = insights.insights_sync(connection=meta, since=days_ago(1))

    assert run.status == "failed"
    assert "Pour 6s" in run.error and "quartiles" in run.error
    assert not InsightDaily.objects.exists()


def test_a_connection_that_needs_reconnecting_fails_without_a_call(fake, live, meta):
    PlatformConnection.objects.filter(pk=meta.pk).update(status="needs_reconnect", status_message="Token revoked.")
    meta.refresh_from_db()
    run = insights.insights_sync(connection=meta)
    assert run.status == "failed" and "reconnected" in run.error and "Token revoked." in run.error
    assert fake.calls == []


def test_other_organizations_ads_are_never_fetched(fake, live, meta, charlie, charlie_org):
    c = services.campaign_create(organization=charlie_org, actor=charlie, name="Rival", objective="sales", platforms=["meta"])
    s = services.ad_set_create(campaign=c, actor=charlie, name="Set", budget_minor=5000)
    rival = publish(services.ad_create(ad_set=s, actor=charlie, name="Rival ad", destination_url="https://r.example/"),
                    "meta", "777")
    fake.put("777", days_ago(0), impressions=5)
    insights.insights_sync(connection=meta)
    assert all("777" not in ids for ids, _, _ in fake.calls)
    assert not InsightDaily.objects.filter(ad=rival).exists()


def _work(redis_conn):
    SimpleWorker(["default"], connection=redis_conn).work(burst=True)


def test_rq_retries_a_failed_sync_on_the_same_run(fake, live, meta, redis_conn, monkeypatch,
                                                  django_capture_on_commit_callbacks):
    monkeypatch.setattr(insights, "RETRY_INTERVALS_S", [0, 0, 0])
    fake.put("120001", days_ago(0), impressions=42)
    fake.failures = [transient(), PlatformError("Service temporarily unavailable", code="2", transient=True)]
    with django_capture_on_commit_callbacks(execute=True):
        assert insights.insights_sync_request(connection=meta) is True

    _work(redis_conn)

    run = InsightSyncRun.objects.get()
    assert (run.status, run.attempts, run.trigger, run.error) == ("succeeded", 3, "manual", "")
    assert len(fake.calls) == 3
    assert stored(live[0])[days_ago(0)].impressions == 42


def test_a_sync_that_keeps_failing_stays_failed_and_the_admin_retries_it(
        fake, live, meta, redis_conn, monkeypatch, django_capture_on_commit_callbacks, client, django_user_model):
    monkeypatch.setattr(insights, "RETRY_INTERVALS_S", [0])
    fake.put("120001", days_ago(0), impressions=42)
    fake.failures = [transient("first"), transient("second")]
    with django_capture_on_commit_callbacks(execute=True):
        insights.insights_sync_request(connection=meta)
    _work(redis_conn)
    run = InsightSyncRun.objects.get()
    assert (run.status, run.attempts) == ("failed", 2) and "second" in run.error

    admin = django_user_model.objects.create_superuser(email="ops@kolony.test", password="pw-12345678")
    client.force_login(admin)
    page = client.get(reverse("admin:campaigns_insightsyncrun_changelist"))
    assert page.status_code == 200 and "second" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:campaigns_insightsyncrun_changelist"),
                               {"action": "retry_failed", "_selected_action": [run.pk]}, follow=True)
    assert "Queued 1 sync(s) again." in response.content.decode()
    _work(redis_conn)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == ("succeeded", 3, "")
    assert InsightSyncRun.objects.count() == 1
    assert client.get(reverse("admin:campaigns_insightsyncrun_change", args=[run.pk])).status_code == 200


def test_admin_shows_publications_read_only_with_steps(client, django_user_model, tree, alice, alice_org):
    render = bare_render(alice_org, alice)
    pub = Publication.objects.create(organization=alice_org, render=render, ad_set=tree[1], platform="meta",
                                     aspect_ratio="9:16", status="failed", error_message="Budget too low",
                                     error_field="daily_budget",
                                     steps={"campaign": {"status": "done", "external_id": "23850001", "at": "2026-01-01"}})
    admin = django_user_model.objects.create_superuser(email="ops@kolony.test", password="pw-12345678")
    client.force_login(admin)
    listing = client.get(reverse("admin:campaigns_publication_changelist")).content.decode()
    assert "Budget too low" in listing
    detail = client.get(reverse("admin:campaigns_publication_change", args=[pub.pk])).content.decode()
    assert "23850001" in detail and "daily_budget" in detail
    assert 'name="_save"' not in detail  # read-only


def test_the_schedule_queues_one_sync_per_active_connection_per_hour(meta, charlie, charlie_org, alice):
    google = connect(charlie_org, charlie, "google")
    dormant = connect(alice.memberships.first().organization, alice, "google")
    PlatformConnection.objects.filter(pk=dormant.pk).update(status="needs_reconnect")
    at = timezone.now().replace(minute=5)

    assert insights.insights_schedule_due(now=at) == 2
    assert insights.insights_schedule_due(now=at + dt.timedelta(minutes=50)) == 0  # same hour: nothing new
    assert insights.insights_schedule_due(now=at + dt.timedelta(hours=1)) == 2
    jobs = OutboxMessage.objects.filter(func=insights.SYNC_TASK)
    assert sorted(j.args[0] for j in jobs) == sorted([meta.pk, google.pk] * 2)
    assert all(j.options["retry"] == len(insights.RETRY_INTERVALS_S) for j in jobs)


def test_the_sweep_runs_the_schedule(meta, monkeypatch):
    from kolony.outbox import sweep

    monkeypatch.setattr(sweep, "_insights_scheduled_at", [0.0])
    monkeypatch.setattr(sweep, "reap_dead_jobs", lambda connection=None: 0)
    monkeypatch.setattr(sweep, "drain_quietly", lambda **kw: 0)
    monkeypatch.setattr("django.db.close_old_connections", lambda: None)  # keep the test's transaction
    sweep.sweep_once()
    assert OutboxMessage.objects.filter(func=insights.SYNC_TASK, args=[meta.pk]).count() == 1


@pytest.mark.parametrize("role,allowed", [("owner", True), ("admin", True), ("editor", True), ("reviewer", False),
                                          ("viewer", False)])
def test_sync_now_buttons_by_role(role, allowed, meta, tree, member_of, client_for, django_capture_on_commit_callbacks):
    client = client_for(member_of(role))
    for url in (reverse("campaigns:connection_sync_insights", args=[meta.pk]),
                reverse("campaigns:campaign_sync_insights", args=[tree[0].pk])):
        OutboxMessage.objects.all().delete()
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(url, follow=True)
        if allowed:
            assert response.status_code == 200
            assert "Syncing results from Meta" in response.content.decode()
            assert OutboxMessage.objects.filter(func=insights.SYNC_TASK, args=[meta.pk]).count() == 1
        else:
            assert response.status_code == 403
            assert not OutboxMessage.objects.exists()


def test_sync_now_twice_and_when_reconnect_is_needed(meta, tree, alice_client):
    url = reverse("campaigns:connection_sync_insights", args=[meta.pk])
    alice_client.post(url)
    again = alice_client.post(url, follow=True).content.decode()
    assert "was just requested" in again
    assert OutboxMessage.objects.filter(func=insights.SYNC_TASK).count() == 1
    assert alice_client.get(url).status_code == 405

    PlatformConnection.objects.filter(pk=meta.pk).update(status="needs_reconnect")
    page = alice_client.post(reverse("campaigns:campaign_sync_insights", args=[tree[0].pk]), follow=True).content.decode()
    assert "Reconnect Meta on the Connections page before syncing." in page
    assert OutboxMessage.objects.filter(func=insights.SYNC_TASK).count() == 1


def test_charlie_cannot_sync_alices_connection_or_campaign(meta, tree, charlie_client):
    assert charlie_client.post(reverse("campaigns:connection_sync_insights", args=[meta.pk])).status_code == 404
    assert charlie_client.post(reverse("campaigns:campaign_sync_insights", args=[tree[0].pk])).status_code == 404
    assert not OutboxMessage.objects.exists()
