"""Comments through the API and the review page: 201/400 with field errors, replies, resolve and
reopen per role, tenancy (charlie gets 404 on every route), the panel (escaped bodies, time-code
links, markers, the team for the autocomplete), htmx and plain posts."""

import json
import re

import pytest
from django.urls import reverse

from kolony.notifications.models import Notification
from tests.integration.review.helpers import ROLES
from videogen.review.comments import comment_create
from videogen.review.models import RenderComment

pytestmark = pytest.mark.django_db

XSS = "<script>alert('pwn')</script> @dana"


def _url(render):
    return f"/api/v1/renders/{render.pk}/comments/"


# --- API -----------------------------------------------------------------------------------------

def test_post_and_list_comments(review_render, api_for, bob, dana):
    api = api_for(bob)
    created = api.post(_url(review_render), {"body": "@dana logo cut off", "timecode_seconds": 0.34,
                                             "aspect_ratio": "9:16"}, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data | {"body": "@dana logo cut off", "timecode_seconds": 0.3, "timecode": "0:00.3", "aspect_ratio": "9:16",
                   "parent": None, "resolved": False, "render": review_render.pk} == data
    assert data["author"]["email"] == "bob@example.com" and [m["email"] for m in data["mentions"]] == ["dana@example.com"]
    reply = api_for(dana).post(_url(review_render), {"body": "Agreed", "parent": data["id"]}, format="json")
    assert reply.status_code == 201 and reply.json()["parent"] == data["id"]
    listed = api.get(_url(review_render)).json()
    assert listed["count"] == 2 and [r["body"] for r in listed["results"]] == ["@dana logo cut off", "Agreed"]
    assert Notification.objects.filter(recipient=dana).count() == 1
    assert Notification.objects.filter(recipient=bob, kind="comment.reply").count() == 1


@pytest.mark.parametrize("payload, field, message", [
    ({"body": ""}, "body", "the comment is empty"),
    ({"body": "   "}, "body", "the comment is empty"),
    ({}, "body", "required"),
    ({"body": None}, "body", "null"),
    ({"body": "x" * 4001}, "body", "the limit is 4000"),
    ({"body": "hey @charlie"}, "body", "@charlie is not a member of Alice Co"),
    ({"body": "x", "timecode_seconds": -1}, "timecode_seconds", "can't be negative"),
    ({"body": "x", "timecode_seconds": 1.2}, "timecode_seconds", "past the end of this version"),
    ({"body": "x", "timecode_seconds": "soon"}, "timecode_seconds", "valid number"),
    ({"body": "x", "timecode_seconds": "NaN"}, "timecode_seconds", "valid number"),
    ({"body": "x", "aspect_ratio": "1:1"}, "aspect_ratio", "no 1:1 format"),
    ({"body": "x", "parent": 99999999}, "parent", "no comment #99999999"),
    ({"body": "x", "parent": "abc"}, "parent", "valid integer"),
    ({"body": "x", "parent": 2**70}, "parent", "less than or equal"),
])
def test_bad_input_is_400_naming_the_field_and_saves_nothing(review_render, api_for, bob, charlie, payload, field, message):
    response = api_for(bob).post(_url(review_render), payload, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors and message in " ".join(errors[field]), errors
    assert RenderComment.objects.count() == 0 and Notification.objects.count() == 0


def test_reply_to_a_reply_is_400(review_render, api_for, bob, dana):
    top = comment_create(render=review_render, author=dana, body="Top")
    reply = comment_create(render=review_render, author=bob, body="Reply", parent=top)
    response = api_for(bob).post(_url(review_render), {"body": "deeper", "parent": reply.pk}, format="json")
    assert response.status_code == 400 and "replies can't have replies" in response.json()["errors"]["parent"][0]


@pytest.mark.parametrize("role", ROLES)
def test_api_comment_and_resolve_per_role(role, user_as, api_for, review_render, alice):
    user = user_as(role)
    api = api_for(user)
    assert api.post(_url(review_render), {"body": f"from {role}"}, format="json").status_code == 201
    theirs = comment_create(render=review_render, author=alice, body="Fix the CTA")
    resolved = api.post(f"/api/v1/comments/{theirs.pk}/resolve/")
    if role == "viewer":
        assert resolved.status_code == 403 and "author, editors and reviewers" in resolved.json()["detail"]
        own = RenderComment.objects.get(author=user)
        assert api.post(f"/api/v1/comments/{own.pk}/resolve/").json()["resolved"] is True
        return
    assert resolved.status_code == 200 and resolved.json()["resolved"] is True
    assert resolved.json()["resolved_by"]["email"] == user.email
    reopened = api.post(f"/api/v1/comments/{theirs.pk}/unresolve/")
    assert reopened.status_code == 200 and reopened.json()["resolved"] is False


def test_charlie_gets_404_on_every_comment_route(review_render, alice, charlie_api):
    comment = comment_create(render=review_render, author=alice, body="Alice only")
    assert charlie_api.get(_url(review_render)).status_code == 404
    assert charlie_api.post(_url(review_render), {"body": "sneaky"}, format="json").status_code == 404
    for action in ("resolve", "unresolve"):
        assert charlie_api.post(f"/api/v1/comments/{comment.pk}/{action}/").status_code == 404
    assert RenderComment.objects.count() == 1 and not RenderComment.objects.get().is_resolved


@pytest.mark.parametrize("path", ["/api/v1/renders/0/comments/", "/api/v1/renders/99999999999999999999999/comments/",
                                  "/api/v1/comments/abc/resolve/", "/api/v1/comments/99999999999999999999999/resolve/"])
def test_junk_ids_are_404(alice_api, path):
    assert alice_api.post(path, {"body": "x"}, format="json").status_code == 404


# --- the review page's panel and page views ------------------------------------------------------

def _review(client, render):
    return client.get(reverse("videogen:review", args=[render.pk])).content.decode()


def test_panel_shows_thread_escaped_with_seek_links_markers_and_team(review_render, client_for, bob, dana, alice):
    top = comment_create(render=review_render, author=bob, body=XSS, timecode_seconds=0.3, aspect_ratio="16:9")
    comment_create(render=review_render, author=dana, body="<b>reply</b>", parent=top)
    comment_create(render=review_render, author=alice, body="Overall fine")
    html = _review(client_for(dana), review_render)
    assert "<script>alert(" not in html and "&lt;script&gt;alert(&#x27;pwn&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;reply&lt;/b&gt;" in html
    assert '<span class="mention">@dana</span>' in html
    assert re.search(r'class="timecode" data-seek="0\.3" data-ratio="16:9"[^>]*>0:00\.3</a>', html)
    markers = json.loads(re.search(r'<script id="comment-markers" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert markers == [{"id": top.pk, "t": 0.3, "ratio": "16:9", "resolved": False, "label": "0:00.3 · Bob Editor"}]
    team = json.loads(re.search(r'<script id="comment-team" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert {"handle": "dana", "name": "Dana Reviewer"} in team and all("charlie" not in t["handle"] for t in team)
    assert "2 open · 0 resolved" in html
    assert 'id="review-player"' in html and "review-comments.js" in html


def test_page_post_redirects_to_the_comment_and_keeps_errors_as_messages(review_render, client_for, bob, dana):
    client = client_for(bob)
    url = reverse("videogen:comment_post", args=[review_render.pk])
    response = client.post(url, {"body": "@dana look", "timecode_seconds": "0.5", "aspect_ratio": "9:16"})
    comment = RenderComment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#comment-{comment.pk}")
    assert (comment.timecode_seconds, comment.aspect_ratio, list(comment.mentions.all())) == (0.5, "9:16", [dana])
    bad = client.post(url, {"body": "", "timecode_seconds": "-2"}, follow=True).content.decode()
    assert "the comment is empty" in bad and "can&#x27;t be negative" in bad
    assert RenderComment.objects.count() == 1


def test_htmx_post_answers_the_panel_with_errors_and_the_text_kept(review_render, client_for, bob):
    client = client_for(bob)
    url = reverse("videogen:comment_post", args=[review_render.pk])
    bad = client.post(url, {"body": "<i>keep me</i> @zed", "timecode_seconds": "9"}, HTTP_HX_REQUEST="true")
    html = bad.content.decode()
    assert bad.status_code == 200 and html.lstrip().startswith('<div class="comments" id="comments-panel"')
    assert "@zed is not a member of Alice Co" in html and "past the end of this version" in html
    assert "&lt;i&gt;keep me&lt;/i&gt; @zed</textarea>" in html and 'value="9"' in html
    good = client.post(url, {"body": "Fine now"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Fine now" in good and "1 open · 0 resolved" in good and "keep me" not in good
    top = RenderComment.objects.get()
    reply = client.post(url, {"body": "@nobody", "parent": str(top.pk)}, HTTP_HX_REQUEST="true").content.decode()
    form = re.search(rf'<form[^>]*id="reply-{top.pk}"[^>]*>.*?</form>', reply, re.S).group(0)
    assert " hidden" not in form.split(">", 1)[0] and "@nobody is not a member" in form and "@nobody</textarea>" in form


def test_page_resolve_and_reopen_and_viewer_is_refused(review_render, client_for, bob, member_of, alice):
    comment = comment_create(render=review_render, author=alice, body="Fix")
    viewer_client = client_for(member_of("viewer"))
    html = _review(viewer_client, review_render)
    assert 'data-testid="resolve"' not in html  # no button for someone who may not
    refused = viewer_client.post(reverse("videogen:comment_resolve", args=[comment.pk]), follow=True)
    assert "author, editors and reviewers" in refused.content.decode()
    client = client_for(bob)
    assert 'data-testid="resolve"' in _review(client, review_render)
    client.post(reverse("videogen:comment_resolve", args=[comment.pk]))
    assert RenderComment.objects.get(pk=comment.pk).is_resolved
    html = _review(client, review_render)
    assert 'data-testid="resolved"' in html and "0 open · 1 resolved" in html and 'data-testid="unresolve"' in html
    swapped = client.post(reverse("videogen:comment_unresolve", args=[comment.pk]), HTTP_HX_REQUEST="true")
    assert "1 open · 0 resolved" in swapped.content.decode()


def test_charlie_pages_are_404(review_render, alice, charlie_client):
    comment = comment_create(render=review_render, author=alice, body="Fix")
    assert charlie_client.post(reverse("videogen:comment_post", args=[review_render.pk]), {"body": "x"}).status_code == 404
    for name in ("videogen:comment_resolve", "videogen:comment_unresolve"):
        assert charlie_client.post(reverse(name, args=[comment.pk])).status_code == 404
    assert RenderComment.objects.count() == 1


def test_empty_panel(review_render, client_for, bob):
    html = _review(client_for(bob), review_render)
    assert 'data-testid="no-comments"' in html and 'data-testid="comment-form"' in html
