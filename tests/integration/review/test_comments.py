"""Comments on a render version through the service: every validation, @mentions inside and outside
the organization, who is notified (and who never is), resolve/unresolve by role, audit sentences."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kolony.accounts.audit_display import audit_sentence
from kolony.accounts.models import AuditEvent, Membership
from kolony.notifications.models import Notification, NotificationKind
from tests.conftest import make_member
from tests.integration.review.helpers import ROLES
from videogen.review import comments
from videogen.review.comments import comment_create, comment_resolve, comment_unresolve, mentions_parse
from videogen.review.models import RenderComment

pytestmark = pytest.mark.django_db


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


def _nothing_saved():
    assert RenderComment.objects.count() == 0
    assert Notification.objects.count() == 0
    assert not AuditEvent.objects.filter(action="comment.created").exists()


# --- who may comment -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_everyone_who_may_view_may_comment_viewers_included(role, user_as, review_render):
    user = user_as(role)
    comment = comment_create(render=review_render, author=user, body=f"Looks good from the {role}")
    assert RenderComment.objects.get(pk=comment.pk).author == user


def test_outsider_may_not_comment(review_render, charlie):
    with pytest.raises(PermissionDenied):
        comment_create(render=review_render, author=charlie, body="I should not be here")
    _nothing_saved()


# --- body ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["", "   ", "\n\t  \n"])
def test_empty_or_whitespace_body_is_refused(review_render, bob, body):
    with pytest.raises(ValidationError) as excinfo:
        comment_create(render=review_render, author=bob, body=body)
    assert "the comment is empty" in _errors(excinfo)["body"][0]
    _nothing_saved()


def test_body_over_4000_characters_is_refused_but_4000_is_fine(review_render, bob):
    with pytest.raises(ValidationError) as excinfo:
        comment_create(render=review_render, author=bob, body="x" * 4001)
    assert _errors(excinfo)["body"] == ["The comment is 4001 characters long; the limit is 4000."]
    _nothing_saved()
    assert len(comment_create(render=review_render, author=bob, body="y" * 4000).body) == 4000


def test_body_is_trimmed_and_stored_as_written(review_render, bob):
    comment = comment_create(render=review_render, author=bob, body="  <script>alert(1)</script> & more  \n")
    assert RenderComment.objects.get(pk=comment.pk).body == "<script>alert(1)</script> & more"


# --- time code ---------------------------------------------------------------------------------

@pytest.mark.parametrize("given, stored", [
    (0, Decimal("0.0")), (0.04, Decimal("0.0")), (0.05, Decimal("0.1")), ("0.26", Decimal("0.3")),
    (Decimal("0.24"), Decimal("0.2")), (1, Decimal("1.0")), ("1.04", Decimal("1.0")), (" 0.5 ", Decimal("0.5")),
])
def test_timecode_is_rounded_to_the_tenth(review_render, bob, given, stored):
    comment = comment_create(render=review_render, author=bob, body="here", timecode_seconds=given)
    assert RenderComment.objects.get(pk=comment.pk).timecode_seconds == stored


@pytest.mark.parametrize("given", [None, ""])
def test_no_timecode_is_fine(review_render, bob, given):
    assert comment_create(render=review_render, author=bob, body="overall", timecode_seconds=given).timecode_seconds is None


@pytest.mark.parametrize("given, message", [
    (-0.1, "can't be negative"), ("-3", "can't be negative"),
    (1.1, "0:01.1 is past the end of this version (0:01.0 long)."), ("1.06", "past the end"), (10**9, "past the end"),
    ("1e999", "past the end"), ("abc", "is not a time in seconds"), ("nan", "in seconds"), ("inf", "in seconds"),
    (True, "in seconds"),
])
def test_bad_timecode_is_refused(review_render, bob, given, message):
    with pytest.raises(ValidationError) as excinfo:
        comment_create(render=review_render, author=bob, body="here", timecode_seconds=given)
    assert message in _errors(excinfo)["timecode_seconds"][0]
    _nothing_saved()


def test_duration_comes_from_the_plan_when_files_have_none(review_render, bob):
    from videogen.models import Asset

    Asset.objects.filter(pk__in=review_render.outputs.values()).update(duration_seconds=None)
    review_render.plan_snapshot = [{"scene_key": "a", "duration": 2.5}, {"scene_key": "b", "duration": 3}]
    review_render.save()
    assert comments.render_duration_seconds(review_render) == 5.5
    assert comment_create(render=review_render, author=bob, body="ok", timecode_seconds=5.5).timecode_seconds == Decimal("5.5")
    with pytest.raises(ValidationError, match="past the end"):
        comment_create(render=review_render, author=bob, body="too far", timecode_seconds=5.6)


# --- format --------------------------------------------------------------------------------------

@pytest.mark.parametrize("ratio", ["9:16", "16:9", ""])
def test_each_output_format_or_none_is_accepted(review_render, bob, ratio):
    assert comment_create(render=review_render, author=bob, body="x", aspect_ratio=ratio).aspect_ratio == ratio


@pytest.mark.parametrize("ratio", ["1:1", "4:5", "banana"])
def test_a_format_the_version_lacks_is_refused(review_render, bob, ratio):
    with pytest.raises(ValidationError) as excinfo:
        comment_create(render=review_render, author=bob, body="x", aspect_ratio=ratio)
    assert _errors(excinfo)["aspect_ratio"] == [
        f"This version has no {ratio} format; pick one of 16:9, 9:16 or leave it empty."]
    _nothing_saved()


# --- replies -------------------------------------------------------------------------------------

def test_reply_to_a_top_level_comment(review_render, bob, dana):
    top = comment_create(render=review_render, author=dana, body="Logo cut off", timecode_seconds=0.3)
    reply = comment_create(render=review_render, author=bob, body="Fixed", parent=top)
    by_id = comment_create(render=review_render, author=bob, body="Really fixed", parent=str(top.pk))
    assert reply.parent == top and by_id.parent == top
    assert [c.pk for c in comments.comment_thread(render=review_render)[0].replies.all()] == [reply.pk, by_id.pk]


def test_reply_to_a_reply_or_another_version_is_refused(review_render, render_for, alice_org, bob, dana):
    top = comment_create(render=review_render, author=dana, body="Top")
    reply = comment_create(render=review_render, author=bob, body="Reply", parent=top)
    other = render_for(alice_org, bob, job=review_render.job, number=2)
    elsewhere = comment_create(render=other, author=dana, body="On v2")
    cases = [(reply, "replies can't have replies"), (elsewhere, "same version"), (999999, "no comment #999999"),
             ("abc", "no comment #abc")]
    for parent, message in cases:
        with pytest.raises(ValidationError) as excinfo:
            comment_create(render=review_render, author=bob, body="x", parent=parent)
        assert message in _errors(excinfo)["parent"][0], parent
    assert RenderComment.objects.count() == 3


def test_all_bad_fields_are_reported_at_once(review_render, bob):
    with pytest.raises(ValidationError) as excinfo:
        comment_create(render=review_render, author=bob, body=" ", timecode_seconds=-1, aspect_ratio="1:1", parent=12345)
    assert set(_errors(excinfo)) == {"body", "timecode_seconds", "aspect_ratio", "parent"}
    _nothing_saved()


# --- mentions ------------------------------------------------------------------------------------

def test_mentions_by_handle_or_address_case_insensitive(alice_org, alice, bob, dana):
    found = mentions_parse(organization=alice_org, body="@Dana and @bob@EXAMPLE.com, then @dana again. Mail sales@acme.com")
    assert found == [dana, bob]
    assert mentions_parse(organization=alice_org, body="(@dana), @bob: \n@alice.") == [dana, bob, alice]
    assert mentions_parse(organization=alice_org, body="no mentions, just an address: dana@example.com") == []


def test_mention_of_someone_outside_the_organization_names_them_and_saves_nothing(review_render, bob, dana, charlie):
    for body, named in [("@charlie please look", "@charlie"), ("cc @charlie@example.com", "@charlie@example.com"),
                        ("@dana and @nobody", "@nobody")]:
        with pytest.raises(ValidationError) as excinfo:
            comment_create(render=review_render, author=bob, body=body)
        assert _errors(excinfo)["body"] == [f"{named} is not a member of Alice Co: only teammates can be mentioned."]
    _nothing_saved()


def test_shared_local_part_needs_the_whole_address(alice_org, alice, review_render, bob):
    dana_a = make_member(alice_org, "dana@a.example", "reviewer", "Dana A")
    make_member(alice_org, "dana@b.example", "viewer", "Dana B")
    with pytest.raises(ValidationError, match="fits several teammates"):
        mentions_parse(organization=alice_org, body="@dana")
    assert mentions_parse(organization=alice_org, body="@dana@a.example") == [dana_a]
    handles = {t.handle for t in comments.team_for_mentions(alice_org)}
    assert {"dana@a.example", "dana@b.example", "alice", "bob"} <= handles


def test_a_removed_member_can_no_longer_be_mentioned(alice_org, review_render, bob, dana):
    Membership.objects.filter(user=dana).delete()
    with pytest.raises(ValidationError, match="@dana is not a member"):
        comment_create(render=review_render, author=bob, body="@dana?")


# --- notifications --------------------------------------------------------------------------------

def test_mentioned_teammates_are_notified_never_the_author(review_render, alice, bob, dana, member_of,
                                                           django_capture_on_commit_callbacks):
    viewer = member_of("viewer")
    with django_capture_on_commit_callbacks(execute=False):
        comment = comment_create(render=review_render, author=bob, body="@dana @bob @viewer1 logo <b>cut</b> off",
                                 timecode_seconds=0.3, aspect_ratio="9:16")
    rows = Notification.objects.order_by("recipient__email")
    assert [n.recipient for n in rows] == [dana, viewer]  # bob mentioned himself: not told; alice not mentioned
    for n in rows:
        assert n.kind == NotificationKind.COMMENT_MENTION and n.actor == bob and n.read_at is None
        assert n.message == "Bob Editor mentioned you on ‘Cold brew’ v1 at 0:00.3 in 9:16: “@dana @bob @viewer1 logo <b>cut</b> off”"
        assert n.url == f"/studio/renders/{review_render.pk}/#comment-{comment.pk}"
        assert (n.target_type, n.target_id) == ("videogen.RenderComment", str(comment.pk))
    assert set(comment.mentions.all()) == {dana, bob, viewer}


def test_reply_notifies_the_parent_author_once(review_render, bob, dana, alice):
    top = comment_create(render=review_render, author=dana, body="Logo cut off")
    comment_create(render=review_render, author=bob, body="Fixed it", parent=top)
    reply_notes = Notification.objects.filter(kind=NotificationKind.COMMENT_REPLY)
    assert [(n.recipient, n.message) for n in reply_notes] == [
        (dana, "Bob Editor replied to your comment on ‘Cold brew’ v1: “Fixed it”")]
    # mentioned and replied to: one notification (the mention), not two
    comment_create(render=review_render, author=alice, body="@dana is it?", parent=top)
    assert Notification.objects.filter(recipient=dana).count() == 2
    assert Notification.objects.filter(recipient=dana, kind=NotificationKind.COMMENT_MENTION).count() == 1
    # replying to your own comment tells nobody
    before = Notification.objects.count()
    comment_create(render=review_render, author=dana, body="Thanks", parent=top)
    assert Notification.objects.count() == before


def test_a_comment_without_mentions_notifies_nobody(review_render, bob, dana, alice):
    comment_create(render=review_render, author=bob, body="Just a note for myself")
    assert Notification.objects.count() == 0


def test_long_comment_is_quoted_short_in_the_notification(review_render, bob, dana):
    comment_create(render=review_render, author=bob, body="@dana " + "word " * 300)
    message = Notification.objects.get().message
    assert len(message) < 260 and message.endswith("…”")


# --- resolve / unresolve -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_resolve_by_role(role, user_as, review_render, alice):
    comment = comment_create(render=review_render, author=alice, body="Fix the end card")
    user = user_as(role)
    may = role in ("owner", "admin", "editor", "reviewer")
    if not may:
        with pytest.raises(PermissionDenied, match="author, editors and reviewers"):
            comment_resolve(comment=comment, user=user)
        assert RenderComment.objects.get(pk=comment.pk).resolved_at is None
        return
    resolved = comment_resolve(comment=comment, user=user)
    assert resolved.is_resolved and resolved.resolved_by == user
    again = comment_resolve(comment=comment, user=user)  # idempotent
    assert again.resolved_at == resolved.resolved_at
    reopened = comment_unresolve(comment=comment, user=user)
    assert not reopened.is_resolved and reopened.resolved_by is None
    assert AuditEvent.objects.filter(action="comment.resolved").count() == 1
    assert AuditEvent.objects.filter(action="comment.unresolved").count() == 1


def test_viewer_may_resolve_their_own_comment(review_render, member_of):
    viewer = member_of("viewer")
    comment = comment_create(render=review_render, author=viewer, body="Typo in scene 2")
    assert comment_resolve(comment=comment, user=viewer).is_resolved
    assert not comment_unresolve(comment=comment, user=viewer).is_resolved


def test_outsider_may_not_resolve(review_render, alice, charlie):
    comment = comment_create(render=review_render, author=alice, body="Fix")
    with pytest.raises(PermissionDenied):
        comment_resolve(comment=comment, user=charlie)


# --- audit ---------------------------------------------------------------------------------------

def test_audit_events_read_as_sentences(review_render, bob, dana):
    comment = comment_create(render=review_render, author=bob, body="@dana check", timecode_seconds=0.5)
    comment_resolve(comment=comment, user=dana)
    comment_unresolve(comment=comment, user=dana)
    sentences = [audit_sentence(e) for e in AuditEvent.objects.filter(action__startswith="comment.").order_by("id")]
    assert sentences == [
        "Bob Editor commented on version 1 of the video job ‘Cold brew’",
        "Dana Reviewer resolved a comment on version 1 of the video job ‘Cold brew’",
        "Dana Reviewer reopened a comment on version 1 of the video job ‘Cold brew’",
    ]
    created = AuditEvent.objects.get(action="comment.created")
    assert created.metadata["comment"] == comment.pk and created.metadata["mentions"] == ["dana@example.com"]
    assert created.metadata["timecode_seconds"] == "0.5"


def test_format_timecode():
    assert [comments.format_timecode(v) for v in (0, Decimal("3.2"), 59.95, 75, "600.04")] == [
        "0:00.0", "0:03.2", "1:00.0", "1:15.0", "10:00.0"]
