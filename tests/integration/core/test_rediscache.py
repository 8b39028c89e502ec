"""ResilientRedisCache: an unreachable Redis is an empty cache, never an exception."""

import pytest

from kolony.core.rediscache import ResilientRedisCache

DEAD = "redis://127.0.0.1:1/0"


def _dead():
    return ResilientRedisCache(DEAD, {"KEY_PREFIX": "t", "OPTIONS": {"socket_connect_timeout": 1}})


@pytest.mark.parametrize(("call", "expected"), [
    (lambda c: c.get("k"), None),
    (lambda c: c.get("k", "fallback"), "fallback"),
    (lambda c: c.get_many(["a", "b"]), {}),
    (lambda c: c.has_key("k"), False),
    (lambda c: "k" in c, False),
    (lambda c: c.set("k", 1), None),
    (lambda c: c.add("k", 1), False),
    (lambda c: c.touch("k"), False),
    (lambda c: c.delete("k"), False),
    (lambda c: c.set_many({"a": 1}), ["a"]),
    (lambda c: c.delete_many(["a"]), None),
    (lambda c: c.get_or_set("k", 5), 5),
    (lambda c: c.clear(), False),
])
def test_every_call_degrades_when_redis_is_down(call, expected):
    cache = _dead()
    assert call(cache) == expected
    assert not cache.available  # the next calls skip Redis for a moment
    assert call(cache) == expected


def test_incr_of_an_unreachable_cache_is_a_missing_key():
    with pytest.raises(ValueError):
        _dead().incr("k")


def test_a_live_redis_works_as_usual(settings, redis_conn):
    cache = ResilientRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "t"})
    cache.set("k", {"a": 1})
    assert cache.get("k") == {"a": 1} and cache.add("k", 2) is False
    assert cache.add("n", 1) and cache.incr("n") == 2
    assert cache.get_many(["k"]) == {"k": {"a": 1}} and cache.available
