"""Notifications: the notify() contract (members only, never the actor, no duplicates, after-commit
e-mail and live push that can fail without undoing anything), marking read, the list page, the
header bell's count on every page, the escaped e-mail, and the API."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from kolony.notifications import services
from kolony.notifications.models import Notification, NotificationKind
from kolony.notifications.tasks import notification_emails_send
from kolony.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

XSS = "<script>alert('x')</script> & <b>bold</b>"


def _notify(org, recipients, *, actor=None, message="Bob mentioned you", url="/studio/", **kwargs):
    return services.notify(organization=org, recipients=recipients, kind=NotificationKind.COMMENT_MENTION,
                           message=message, actor=actor, url=url, **kwargs)


# --- notify() ------------------------------------------------------------------------------------

def test_one_per_member_never_the_actor_no_duplicates_no_outsiders(alice_org, alice, bob, dana, charlie):
    made = _notify(alice_org, [dana, bob, dana, None, charlie, alice], actor=bob)
    assert [n.recipient for n in made] == [dana, alice]
    assert Notification.objects.count() == 2
    assert all(n.organization == alice_org and n.actor == bob and n.read_at is None for n in made)


def test_target_and_long_message(alice_org, alice, dana):
    made = _notify(alice_org, [dana], actor=alice, message="m" * 900, target=alice_org)
    assert len(made[0].message) == 500 and (made[0].target_type, made[0].target_id) == ("accounts.Organization", str(alice_org.pk))


def test_unknown_kind_is_an_error(alice_org, dana):
    with pytest.raises(ValueError, match="Unknown notification kind"):
        services.notify(organization=alice_org, recipients=[dana], kind="nope", message="x")


def test_email_is_queued_through_the_outbox_and_sent_after_commit(alice_org, alice, dana, bob):
    made = _notify(alice_org, [dana, bob], actor=alice, message=XSS, url="/studio/renders/4/#comment-9")
    row = OutboxMessage.objects.get(func="kolony.notifications.tasks.notification_emails_send")
    assert row.args == [[n.pk for n in made]] and row.queue == "default"
    assert notification_emails_send(*row.args) == 2
    assert {m.to[0] for m in mail.outbox} == {"dana@example.com", "bob@example.com"}
    message = next(m for m in mail.outbox if m.to == ["dana@example.com"])
    assert XSS in message.body  # plain text: as written
    assert "http://localhost:8000/studio/renders/4/#comment-9" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert "<script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert message.subject.startswith("[Alice Co] <script>")  # a subject is plain text too
    # a retried job sends nothing twice
    assert notification_emails_send(*row.args) == 0 and len(mail.outbox) == 2
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_email_false_queues_nothing(alice_org, alice, dana):
    _notify(alice_org, [dana], actor=alice, email=False)
    assert not OutboxMessage.objects.filter(func="kolony.notifications.tasks.notification_emails_send").exists()


def test_foreign_link_is_not_put_in_the_email(alice_org, alice, dana):
    made = _notify(alice_org, [dana], actor=alice, url="//evil.example/phish")
    notification_emails_send([made[0].pk])
    assert "evil.example" not in mail.outbox[0].body and "evil.example" not in mail.outbox[0].alternatives[0][0]


def test_a_failing_mail_server_keeps_the_notification_and_retries(alice_org, alice, dana, monkeypatch):
    made = _notify(alice_org, [dana], actor=alice)

    def broken(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    with pytest.raises(RuntimeError, match="not sent"):
        notification_emails_send([made[0].pk])
    assert Notification.objects.get(pk=made[0].pk).emailed_at is None  # the claim was given back
    monkeypatch.undo()
    assert notification_emails_send([made[0].pk]) == 1


@pytest.mark.django_db(transaction=True)
def test_redis_and_mail_failures_never_undo_the_caller(alice_org, alice, dana, monkeypatch):
    from kolony.outbox import services as outbox

    async def no_redis(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr("channels_redis.core.RedisChannelLayer.group_send", no_redis)
    monkeypatch.setattr(outbox, "drain_quietly", lambda **kwargs: 0)  # Redis down for RQ too: the row waits
    with transaction.atomic():
        _notify(alice_org, [dana], actor=alice)
    assert Notification.objects.filter(recipient=dana).count() == 1
    assert OutboxMessage.objects.filter(func="kolony.notifications.tasks.notification_emails_send").count() == 1


def test_rolled_back_caller_leaves_nothing(alice_org, alice, dana):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            _notify(alice_org, [dana], actor=alice)
            raise RuntimeError("the caller failed")
    assert Notification.objects.count() == 0 and not OutboxMessage.objects.exists()


# --- reading -----------------------------------------------------------------------------------

def test_mark_read_and_mark_all_read(alice_org, alice, dana, bob):
    first, second = (_notify(alice_org, [dana], actor=alice)[0] for _ in range(2))
    other = _notify(alice_org, [bob], actor=alice)[0]
    services.notification_mark_read(notification=first, user=dana)
    assert Notification.objects.get(pk=first.pk).read_at is not None
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.notification_mark_read(notification=other, user=dana)
    assert services.notification_mark_all_read(organization=alice_org, user=dana) == 1
    assert Notification.objects.get(pk=second.pk).read_at is not None
    assert Notification.objects.get(pk=other.pk).read_at is None  # bob's stays unread


def test_list_page_shows_own_notifications_escaped_and_marks_read(alice_org, alice, dana, bob, client_for):
    mine = _notify(alice_org, [dana], actor=alice, message=XSS, url="/studio/approvals/")[0]
    _notify(alice_org, [bob], actor=alice, message="For Bob only")
    client = client_for(dana)
    page = client.get(reverse("notifications:list"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html and "<script>alert(" not in html
    assert "For Bob only" not in html
    assert 'data-testid="bell-count">1<' in html
    # clicking it marks it read and goes to its link
    response = client.post(reverse("notifications:read", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == "/studio/approvals/"
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert 'data-testid="bell-count">0<' in client.get(reverse("notifications:list")).content.decode()
    assert "No unread notifications" in client.get(reverse("notifications:list") + "?unread=true").content.decode()


def test_mark_read_stays_on_the_list_and_mark_all(alice_org, alice, dana, client_for):
    items = [_notify(alice_org, [dana], actor=alice, url="/studio/")[0] for _ in range(3)]
    client = client_for(dana)
    response = client.post(reverse("notifications:read", args=[items[0].pk]), {"stay": "1"})
    assert response["Location"] == reverse("notifications:list")
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "Marked 2 notifications as read." in response.content.decode()
    assert Notification.objects.filter(recipient=dana, read_at__isnull=True).count() == 0


def test_unsafe_link_is_not_followed(alice_org, alice, dana, client_for):
    item = _notify(alice_org, [dana], actor=alice, url="https://evil.example/")[0]
    response = client_for(dana).post(reverse("notifications:read", args=[item.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_another_persons_notification_is_404(alice_org, alice, dana, bob, client_for):
    bobs = _notify(alice_org, [bob], actor=alice)[0]
    assert client_for(dana).post(reverse("notifications:read", args=[bobs.pk])).status_code == 404
    assert Notification.objects.get(pk=bobs.pk).read_at is None


@pytest.mark.parametrize("query", ["?page=abc", "?page=0", "?unread=maybe", "?page=99999999999999999999"])
def test_list_page_bad_query_is_400_not_500(dana, client_for, query):
    assert client_for(dana).get(reverse("notifications:list") + query).status_code == 400


def test_bell_count_on_every_page_per_organization(alice_org, charlie_org, alice, dana, charlie, client_for):
    from kolony.accounts.models import Membership

    Membership.objects.create(user=dana, organization=charlie_org, role="viewer")
    for _ in range(3):
        _notify(alice_org, [dana], actor=alice, message="In Alice Co")
    _notify(charlie_org, [dana], actor=charlie, message="In Charlie Ltd")
    client = client_for(dana)
    for url in (reverse("core:dashboard"), reverse("videogen:studio"), reverse("notifications:list")):
        html = client.get(url).content.decode()
        assert 'data-testid="bell-count">3<' in html, url
        assert "In Charlie Ltd" not in html
    assert client.get(reverse("notifications:count")).json() == {"unread": 3}
    client.post(reverse("accounts:organization_switch", args=[charlie_org.pk]))
    assert 'data-testid="bell-count">1<' in client.get(reverse("core:dashboard")).content.decode()


def test_bell_shows_latest_and_empty_state(alice_org, alice, dana, client_for):
    html = client_for(dana).get(reverse("core:dashboard")).content.decode()
    assert 'data-testid="bell-count">0<' in html and "Nothing yet" in html
    _notify(alice_org, [dana], actor=alice, message=XSS)
    html = client_for(dana).get(reverse("core:dashboard")).content.decode()
    assert "&lt;script&gt;alert" in html and "<script>alert(" not in html


# --- API -----------------------------------------------------------------------------------------

def test_api_list_unread_read_and_read_all(alice_org, alice, dana, bob, api_for):
    items = [_notify(alice_org, [dana], actor=alice, message=f"n{i}")[0] for i in range(3)]
    _notify(alice_org, [bob], actor=alice, message="bob's")
    api = api_for(dana)
    listed = api.get("/api/v1/notifications/").json()
    assert listed["count"] == 3 and [r["message"] for r in listed["results"]] == ["n2", "n1", "n0"]
    assert listed["results"][0] | {"actor": "alice@example.com", "read": False, "kind": "comment.mention"} == listed["results"][0]
    read = api.post(f"/api/v1/notifications/{items[0].pk}/read/")
    assert read.status_code == 200 and read.json()["read"] is True
    assert api.get("/api/v1/notifications/?unread=true").json()["count"] == 2
    assert api.get("/api/v1/notifications/?unread=false").json()["count"] == 3
    bad = api.get("/api/v1/notifications/?unread=maybe")
    assert bad.status_code == 400 and "unread" in bad.json()["errors"]
    done = api.post("/api/v1/notifications/read-all/")
    assert done.status_code == 200 and done.json() == {"marked_read": 2, "unread": 0}
    assert api.get("/api/v1/notifications/?unread=true").json()["count"] == 0
    # someone else's notification is not found
    bobs = Notification.objects.get(recipient=bob)
    assert api.post(f"/api/v1/notifications/{bobs.pk}/read/").status_code == 404


def test_api_charlie_sees_nothing_of_alice_org(alice_org, alice, dana, charlie_api):
    item = _notify(alice_org, [dana], actor=alice)[0]
    assert charlie_api.get("/api/v1/notifications/").json()["count"] == 0
    assert charlie_api.post(f"/api/v1/notifications/{item.pk}/read/").status_code == 404
    assert charlie_api.post("/api/v1/notifications/read-all/").json()["marked_read"] == 0
    assert Notification.objects.get(pk=item.pk).read_at is None
