"""Who a request's user is — the user row and their memberships with organizations — from the
cache every web process shares, in one Redis read instead of two SQL queries per request.

Every signed-in request needs both: the user (Django's session authentication and DRF's token
authentication load it) and the memberships (the tenancy check, the organization switcher). On a
page answered from the page cache these two queries were half of the request's time.

- :func:`user_for_id` ``(user_id) -> User | None`` serves ``CachedModelBackend.get_user`` (the
  session path; Django then still checks the session's password-hash HMAC against the returned
  row, so a stale or foreign row can never pass for the session's user); the returned user
  carries its memberships (:func:`cached_memberships`).
- :func:`user_for_token` ``(key) -> User | None`` serves ``CachedTokenAuthentication`` (the API) and WebSocket
  ``?token=`` clients; :func:`token_for_key` also gives the token's id. Tokens are looked up by
  the SHA-256 of the key (only the hash is stored).

**Freshness.** Each user has an identity version in Redis; an entry (and a token → user entry)
is served only while it carries the current one. ``post_save``/``post_delete`` of ``User``,
``Membership``, ``Organization`` and ``ApiToken`` (:func:`connect_signals`) bump the versions of
the users concerned at once *and* again when the writing transaction commits, so a removed
member, a changed role, a deactivated user or a revoked token counts on the very next request in
every process, and a reader that loaded the old rows while the write was in flight stores them
under a version that is already retired (the scheme of :mod:`kolony.datacache`). Writes that skip
the ORM's per-object signals (``QuerySet.update``, raw SQL; Kolony makes none to these tables)
show within :data:`TIMEOUT` seconds.

**Keys** carry the database's name and its ``pg_database`` oid, so a dropped and recreated
database (a test run, a restore into a fresh database) whose user ids start over never meets the
entries of the old one. The cache is ``CACHES["identity"]``; without it (or with Redis down) every
call reads the database, as Django does.

The cached user row includes its password hash (Django needs it to verify sessions); it lives in
the same Redis as the sessions and job queues.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.db.models.signals import post_delete, post_save

from kolony.datacache import bump_now_and_on_commit, current_version

log = logging.getLogger(__name__)

CACHE_ALIAS = "identity"
TIMEOUT = 60  # seconds; bounds the life of an entry a signal-less write left stale
_epochs: dict[str, str] = {}


def _cache():
    if CACHE_ALIAS not in settings.CACHES:
        return None
    return caches[CACHE_ALIAS]


def _epoch() -> str:
    """``<database name>.<oid>``: differs for every incarnation of the database."""
    name = str(connection.settings_dict.get("NAME"))
    if name not in _epochs:
        oid = ""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
                oid = str(cursor.fetchone()[0])
        _epochs[name] = f"{name}.{oid}"
    return _epochs[name]


def _user_key(user_id: int) -> str:
    return f"user:{_epoch()}:{user_id}"


def _version_key(user_id: int) -> str:
    return f"ver:{_epoch()}:{user_id}"


def _token_key(digest: str) -> str:
    return f"apitoken:{_epoch()}:{digest}"


def _load(user_id):
    from kolony.accounts.models import Membership, User

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    memberships = list(Membership.objects.select_related("organization").filter(user=user).order_by("created_at", "id"))
    return user, memberships


def _read(keys: list[str]) -> dict | None:
    """The stored values of ``keys`` (one round trip); None when there is no usable cache."""
    cache = _cache()
    if cache is None:
        return None
    try:
        return cache.get_many(keys)
    except Exception as exc:  # noqa: BLE001 - a broken cache must not break sign-in
        log.warning("identity cache unavailable: %s", exc)
        return None


def _set(key: str, value) -> None:
    try:
        _cache().set(key, value, TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        log.warning("identity cache unavailable: %s", exc)


def _entry(user_id: int):
    """``(user, memberships, version)`` of ``user_id``, or None when there is no such user;
    ``version`` is the user's identity version the entry is valid for (None without a cache)."""
    key, vkey = _user_key(user_id), _version_key(user_id)
    found = _read([vkey, key])
    if found is None:
        loaded = _load(user_id)
        return (*loaded, None) if loaded else None
    version = current_version(found, vkey, _cache())
    stored = found.get(key)
    if version is not None and isinstance(stored, tuple) and len(stored) == 3 and stored[0] == version:
        return stored[1], stored[2], version
    loaded = _load(user_id)  # read after the version: a write committing meanwhile bumps it past this entry
    if loaded is None:
        return None
    if version is not None:
        _set(key, (version, *loaded))
    return (*loaded, version)


def _attach(user, memberships):
    for membership in memberships:
        membership._state.fields_cache["user"] = user
    user._kolony_memberships = memberships
    return user


def user_for_id(user_id):
    """The user with primary key ``user_id`` (active or not) carrying its memberships, or None
    when there is none. From the cache when there (one Redis round trip), else two queries."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    entry = _entry(user_id)
    return _attach(entry[0], entry[1]) if entry else None


def token_for_key(key: str):
    """``(user, token_id)`` for the API token ``key`` (a :class:`~kolony.accounts.models.ApiToken`
    looked up by the SHA-256 of the key; the user carries its memberships), or None for an
    unknown or revoked key.

    The key → token entry carries the owner's identity version at the time it was confirmed, so
    it lapses with every change of the user, their memberships or their tokens."""
    from kolony.accounts.models import ApiToken
    from kolony.accounts.services import api_token_hash

    digest = api_token_hash(key)
    cache_key = _token_key(digest)
    found = _read([cache_key])
    mapping = found.get(cache_key) if found else None
    if isinstance(mapping, tuple) and len(mapping) == 3:
        entry = _entry(mapping[1])
        if entry is not None and entry[2] is not None and entry[2] == mapping[0]:
            return _attach(entry[0], entry[1]), mapping[2]
    row = ApiToken.objects.filter(key_hash=digest).values_list("user_id", "pk").first()
    if row is None:
        return None
    user_id, token_id = row
    entry = _entry(user_id)
    if entry is None:
        return None
    # Confirmed after the version was read: a revocation that committed before is seen here; one
    # that commits after bumps the version past this mapping.
    if entry[2] is not None and ApiToken.objects.filter(pk=token_id).exists():
        _set(cache_key, (entry[2], user_id, token_id))
    return _attach(entry[0], entry[1]), token_id


def user_for_token(key: str):
    """The user (with memberships) owning the API token ``key``, or None (see :func:`token_for_key`)."""
    found = token_for_key(key)
    return found[0] if found else None


def cached_memberships(user) -> list | None:
    """The memberships (organization loaded, oldest first) that came with ``user`` from this
    module, or None for a user loaded some other way."""
    return getattr(user, "_kolony_memberships", None)


def drop_carried_memberships(user) -> None:
    """Makes ``user`` (a User, a lazy ``request.user`` or None) forget the memberships it came
    with, so the rest of the request reads them from the database (after it joined or left one)."""
    target = getattr(user, "_wrapped", user)
    if target is not None and hasattr(target, "__dict__"):
        target.__dict__.pop("_kolony_memberships", None)


def forget_users(user_ids) -> None:
    """Retires the cached identities and token entries of ``user_ids``: bumps their identity
    versions now and again when the current transaction commits, so a reader that cached the old
    rows in between (it read the version before them) is retired too."""
    keys = [_version_key(pk) for pk in set(user_ids) if pk is not None]
    if keys and _cache() is not None:
        bump_now_and_on_commit(keys, backend=_cache())


def _user_changed(sender, instance, **kwargs):
    forget_users([instance.pk])


def _membership_changed(sender, instance, **kwargs):
    forget_users([instance.user_id])
    drop_carried_memberships(instance._state.fields_cache.get("user"))


def _organization_changed(sender, instance, **kwargs):
    from kolony.accounts.models import Membership

    forget_users(Membership.objects.filter(organization_id=instance.pk).values_list("user_id", flat=True))


def _token_changed(sender, instance, **kwargs):
    forget_users([instance.user_id])  # lapses every token entry of the owner (they carry its version)


def connect_signals() -> None:
    """Connects the invalidation receivers (called once from ``AccountsConfig.ready``)."""
    from kolony.accounts.models import ApiToken, Membership, Organization, User

    for model, receiver in ((User, _user_changed), (Membership, _membership_changed),
                            (Organization, _organization_changed), (ApiToken, _token_changed)):
        for signal in (post_save, post_delete):
            signal.connect(receiver, sender=model, dispatch_uid=f"identity:{model.__name__}:{signal is post_save}")
