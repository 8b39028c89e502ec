"""Comments on a render version: time codes, formats, replies, @mentions, resolve/unresolve.

Rules (issue 12, "Comments" and "Bad input"):

- **Who**: everyone who may watch the render (capability ``view``: owners, admins, editors,
  reviewers *and viewers*) may comment and reply — a viewer's "the logo is cut off" is worth having.
  Resolving (and reopening) is for the comment's author and for those who fix or judge the render
  (capability ``edit`` or ``review``).
- **Body**: 1 … :data:`MAX_BODY` characters after trimming the surrounding whitespace (plain text,
  escaped wherever it is shown).
- **Time code**: seconds, optional; rounded half-up to the 0.1 s grid (``3.24`` → ``3.2``); not
  negative and not past the render's end (:func:`render_duration_seconds`).
- **Format**: optional; one of the render's outputs (``"9:16"``, ``"16:9"`` …).
- **Replies**: one level: the parent is a top-level comment of the same render.
- **Mentions** (:func:`mentions_parse`): ``@handle`` where the handle is a teammate's e-mail local
  part (``@dana`` for dana@example.com, case-insensitive — what the autocomplete inserts), or the
  whole address (``@dana@example.com``) where two teammates share a local part. A mention that
  names nobody in the organization is an error naming it; nothing is saved.
- **Notifications**: everyone mentioned (``comment.mention``), and the parent's author on a reply
  (``comment.reply``, unless mentioned too); never the author. In-app, live, and by e-mail
  (:func:`kolony.notifications.services.notify`).
- **Audit**: ``comment.created``, ``comment.resolved``, ``comment.unresolved`` (target: the job).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kolony.accounts.models import Membership, Organization, User
from kolony.accounts.services import audit_log
from kolony.notifications.models import NotificationKind
from kolony.tenancy import org_queryset, role_can
from videogen.models import Asset, Render
from videogen.review.models import RenderComment

#: Longest comment body, in characters (the model's ``max_length``).
MAX_BODY = 4000
#: Time codes are stored to a tenth of a second (``DecimalField(decimal_places=1)``).
TIMECODE_STEP = Decimal("0.1")
#: The largest time code the column holds (``max_digits=6``), in seconds.
TIMECODE_MAX = Decimal("99999.9")
#: How much of a comment a notification quotes, in characters.
EXCERPT = 160

# "@dana", "@dana.smith", "@dana@example.com" — not the "@example.com" inside "sales@example.com".
MENTION_RE = re.compile(r"(?<![\w@.+\-/])@([A-Za-z0-9][A-Za-z0-9._%+\-]*(?:@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)?)")


# --- reads used by the service, the pages and the API -----------------------------------------

def render_duration_seconds(render: Render) -> float | None:
    """The render's length in seconds: the longest of its output files (``Asset.duration_seconds``,
    measured when the file was stored), else the sum of its plan snapshot's scene durations;
    None when neither is known."""
    asset_ids = [pk for pk in (render.outputs or {}).values() if isinstance(pk, int)]
    durations = [d for d in org_queryset(Asset, render.job.organization).filter(pk__in=asset_ids)
                 .values_list("duration_seconds", flat=True) if d]
    if durations:
        return float(max(durations))
    total = 0.0
    for scene in render.plan_snapshot or []:
        value = scene.get("duration") if isinstance(scene, dict) else None
        if isinstance(value, (int, float)) and value > 0:
            total += float(value)
    return total or None


def format_timecode(seconds) -> str:
    """``Decimal("3.2")`` → ``"0:03.2"``, ``75.0`` → ``"1:15.0"`` (minutes:seconds.tenths)."""
    value = Decimal(str(seconds)).quantize(TIMECODE_STEP, rounding=ROUND_HALF_UP)
    minutes, rest = divmod(value, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def member_handle(user: User) -> str:
    """A teammate's @handle: the e-mail's local part, lower case."""
    return (user.email or "").split("@", 1)[0].lower()


@dataclass(frozen=True)
class Teammate:
    user: User
    handle: str  # what to type after "@": the local part, or the whole address when it is shared

    @property
    def name(self) -> str:
        return self.user.full_name or self.user.email


def team_for_mentions(organization: Organization) -> list[Teammate]:
    """Active members of ``organization`` with the handle that mentions each one (the local part;
    the whole e-mail for teammates whose local parts collide), sorted by name."""
    users = [m.user for m in Membership.objects.filter(organization=organization, user__is_active=True)
             .select_related("user")]
    counts: dict[str, int] = {}
    for user in users:
        counts[member_handle(user)] = counts.get(member_handle(user), 0) + 1
    team = [Teammate(user=u, handle=member_handle(u) if counts[member_handle(u)] == 1 else u.email.lower()) for u in users]
    return sorted(team, key=lambda t: (t.name.lower(), t.handle))


def mentions_parse(*, organization: Organization, body: str) -> list[User]:
    """The teammates ``body`` @mentions, in order of first mention, each once.

    Raises ``ValidationError({"body": [...]})`` naming every mention that is not a member of
    ``organization`` ("@zed is not a member of Alice Co …") or that fits several members."""
    tokens: list[str] = []
    for match in MENTION_RE.finditer(body or ""):
        token = match.group(1).rstrip("._-%+")
        if token and token.lower() not in (t.lower() for t in tokens):
            tokens.append(token)
    if not tokens:
        return []
    members = [m.user for m in Membership.objects.filter(organization=organization, user__is_active=True)
               .select_related("user")]
    found: list[User] = []
    errors: list[str] = []
    for token in tokens:
        key = token.lower()
        if "@" in key:
            hits = [u for u in members if u.email.lower() == key]
        else:
            hits = [u for u in members if member_handle(u) == key]
        if len(hits) == 1:
            if hits[0] not in found:
                found.append(hits[0])
        elif not hits:
            errors.append(f"@{token} is not a member of {organization.name}: only teammates can be mentioned.")
        else:
            emails = ", ".join(sorted(u.email for u in hits))
            errors.append(f"@{token} fits several teammates ({emails}): write the whole address, e.g. @{hits[0].email}.")
    if errors:
        raise ValidationError({"body": errors})
    return found


def comment_thread(*, render: Render) -> list[RenderComment]:
    """Top-level comments of ``render`` in time-code order (unpinned ones last, then oldest first),
    each with ``replies`` (oldest first), authors and mentions loaded."""
    from django.db.models import F, Prefetch

    replies = RenderComment.objects.select_related("author", "resolved_by").order_by("created_at", "id")
    return list(RenderComment.objects.filter(render=render, parent__isnull=True)
                .select_related("author", "resolved_by")
                .prefetch_related(Prefetch("replies", queryset=replies), "mentions")
                .order_by(F("timecode_seconds").asc(nulls_last=True), "created_at", "id"))


def comment_may_resolve(*, comment: RenderComment, user: User, role: str | None) -> bool:
    """Whether ``user`` (with ``role`` in the comment's organization) may resolve or reopen it."""
    return role is not None and (comment.author_id == user.pk or role_can(role, "edit") or role_can(role, "review"))


# --- writes -------------------------------------------------------------------------------------

def _role(user: User, organization: Organization) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return Membership.objects.filter(user=user, organization=organization).values_list("role", flat=True).first()


def _clean_body(body) -> str:
    text = (body if isinstance(body, str) else "").strip()
    if not text:
        raise ValidationError({"body": ["Write something first: the comment is empty."]})
    if len(text) > MAX_BODY:
        raise ValidationError({"body": [f"The comment is {len(text)} characters long; the limit is {MAX_BODY}."]})
    return text


def _clean_timecode(value, render: Render) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError({"timecode_seconds": ["Give the time code in seconds, e.g. 3.2."]})
    try:
        seconds = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"timecode_seconds": [f"“{str(value)[:20]}” is not a time in seconds (e.g. 3.2)."]}) from None
    if not seconds.is_finite():
        raise ValidationError({"timecode_seconds": ["Give the time code in seconds, e.g. 3.2."]})
    if seconds < 0:
        raise ValidationError({"timecode_seconds": ["The time code can't be negative: the video starts at 0:00.0."]})
    seconds = seconds.quantize(TIMECODE_STEP, rounding=ROUND_HALF_UP) if seconds < TIMECODE_MAX * 10 else seconds
    duration = render_duration_seconds(render)
    limit = Decimal(str(duration)).quantize(TIMECODE_STEP, rounding=ROUND_HALF_UP) if duration else TIMECODE_MAX
    if seconds > limit:
        raise ValidationError({"timecode_seconds": [
            f"{format_timecode(min(seconds, TIMECODE_MAX * 10))} is past the end of this version "
            f"({format_timecode(limit)} long)." if duration else f"The time code can't pass {TIMECODE_MAX} s."]})
    return seconds


def _clean_ratio(value, render: Render) -> str:
    ratio = (value if isinstance(value, str) else "").strip()
    if not ratio:
        return ""
    formats = sorted((render.outputs or {}).keys())
    if ratio not in formats:
        raise ValidationError({"aspect_ratio": [
            f"This version has no {ratio[:16]} format; pick one of {', '.join(formats) or '(none)'} or leave it empty."]})
    return ratio


def _clean_parent(parent, render: Render) -> RenderComment | None:
    if parent is None or parent == "":
        return None
    if not isinstance(parent, RenderComment):
        from kolony.core.request_validation import parse_id

        pk = parse_id(parent)
        found = RenderComment.objects.filter(pk=pk, render=render).first() if pk else None
        if found is None:
            raise ValidationError({"parent": [f"There is no comment #{str(parent)[:20]} on this version to reply to."]})
        parent = found
    if parent.render_id != render.pk:
        raise ValidationError({"parent": ["You can only reply to a comment on the same version."]})
    if parent.parent_id is not None:
        raise ValidationError({"parent": ["Reply to the comment at the top of the thread: replies can't have replies."]})
    return parent


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[:EXCERPT - 1] + "…"


def comment_url(comment: RenderComment) -> str:
    """The review page of the comment's render, scrolled to the comment."""
    from django.urls import NoReverseMatch, reverse

    try:
        base = reverse("videogen:review", args=[comment.render_id])
    except NoReverseMatch:  # the review pages are not mounted
        base = reverse("videogen:job", args=[comment.render.job_id])
    return f"{base}#comment-{comment.pk}"


def _where(comment: RenderComment) -> str:
    parts = []
    if comment.timecode_seconds is not None:
        parts.append(f" at {format_timecode(comment.timecode_seconds)}")
    if comment.aspect_ratio:
        parts.append(f" in {comment.aspect_ratio}")
    return "".join(parts)


def _notify(comment: RenderComment, author: User, mentioned: list[User]) -> None:
    from kolony.notifications.services import notify

    render = comment.render
    who = author.full_name or author.email
    label = f"‘{render.job.title}’ v{render.number}"
    quote = f"“{_excerpt(comment.body)}”"
    org = render.job.organization
    url = comment_url(comment)
    notify(organization=org, recipients=mentioned, kind=NotificationKind.COMMENT_MENTION, actor=author, url=url,
           target=comment, message=f"{who} mentioned you on {label}{_where(comment)}: {quote}")
    parent_author = comment.parent.author if comment.parent is not None else None
    if parent_author is not None and parent_author not in mentioned:
        notify(organization=org, recipients=[parent_author], kind=NotificationKind.COMMENT_REPLY, actor=author, url=url,
               target=comment, message=f"{who} replied to your comment on {label}: {quote}")


@transaction.atomic
def comment_create(*, render: Render, author: User, body: str, timecode_seconds=None, aspect_ratio: str = "",
                   parent: RenderComment | int | str | None = None) -> RenderComment:
    """A comment (or a reply, with ``parent``) by ``author`` on ``render``; see the module's rules.

    ``timecode_seconds``: seconds (number, Decimal or text; None/"" for none), stored on the 0.1 s
    grid. ``aspect_ratio``: one of ``render.outputs`` or "". ``parent``: a top-level comment of
    ``render`` (the object or its id). Raises ``PermissionDenied`` when ``author`` may not view
    the render's organization, ``ValidationError({field: [message]})`` for bad input (``body``,
    ``timecode_seconds``, ``aspect_ratio``, ``parent``); nothing is saved then. Notifies the
    mentioned teammates and the parent's author, and writes ``comment.created`` to the audit trail."""
    organization = render.job.organization
    if not role_can(_role(author, organization), "view"):
        raise PermissionDenied("Only members of this organization can comment.")
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    for field, clean in (("body", lambda: _clean_body(body)),
                         ("timecode_seconds", lambda: _clean_timecode(timecode_seconds, render)),
                         ("aspect_ratio", lambda: _clean_ratio(aspect_ratio, render)),
                         ("parent", lambda: _clean_parent(parent, render))):
        try:
            cleaned[field] = clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "body" in cleaned:
        try:
            cleaned["mentions"] = mentions_parse(organization=organization, body=cleaned["body"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    comment = RenderComment.objects.create(render=render, author=author, body=cleaned["body"],
                                           timecode_seconds=cleaned["timecode_seconds"],
                                           aspect_ratio=cleaned["aspect_ratio"], parent=cleaned["parent"])
    if cleaned["mentions"]:
        comment.mentions.set(cleaned["mentions"])
    audit_log(organization=organization, actor=author, action="comment.created", target=render.job,
              metadata={"render": render.pk, "version": render.number, "comment": comment.pk,
                        "reply_to": comment.parent_id, "timecode_seconds": str(comment.timecode_seconds)
                        if comment.timecode_seconds is not None else None, "aspect_ratio": comment.aspect_ratio,
                        "mentions": [u.email for u in cleaned["mentions"]]})
    _notify(comment, author, cleaned["mentions"])
    return comment


def _resolvable(comment: RenderComment, user: User) -> RenderComment:
    locked = RenderComment.objects.select_for_update().select_related("render__job__organization").get(pk=comment.pk)
    organization = locked.render.job.organization
    role = _role(user, organization)
    if role is None:
        raise PermissionDenied("Only members of this organization can resolve comments.")
    if not comment_may_resolve(comment=locked, user=user, role=role):
        raise PermissionDenied("Only the comment's author, editors and reviewers can resolve or reopen it.")
    return locked


@transaction.atomic
def comment_resolve(*, comment: RenderComment, user: User) -> RenderComment:
    """Marks ``comment`` resolved by ``user`` (already resolved: unchanged). Raises PermissionDenied
    (see :func:`comment_may_resolve`). Audited as ``comment.resolved``."""
    locked = _resolvable(comment, user)
    if locked.resolved_at is None:
        locked.resolved_at, locked.resolved_by = timezone.now(), user
        locked.save(update_fields=["resolved_at", "resolved_by"])
        audit_log(organization=locked.render.job.organization, actor=user, action="comment.resolved",
                  target=locked.render.job, metadata={"render": locked.render_id, "version": locked.render.number,
                                                      "comment": locked.pk})
    return locked


@transaction.atomic
def comment_unresolve(*, comment: RenderComment, user: User) -> RenderComment:
    """Reopens ``comment`` (not resolved: unchanged). Raises PermissionDenied. Audited as
    ``comment.unresolved``."""
    locked = _resolvable(comment, user)
    if locked.resolved_at is not None:
        locked.resolved_at, locked.resolved_by = None, None
        locked.save(update_fields=["resolved_at", "resolved_by"])
        audit_log(organization=locked.render.job.organization, actor=user, action="comment.unresolved",
                  target=locked.render.job, metadata={"render": locked.render_id, "version": locked.render.number,
                                                      "comment": locked.pk})
    return locked
