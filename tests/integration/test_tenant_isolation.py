"""Walks every URL pattern that takes an object id and proves charlie (another organization) gets
404 on alice's objects — for pages (session) and the API (token).

Each app describes its routes in a ``tenant_routes.py`` module anywhere under ``tests/``:

    PUBLIC = {"app:url_name", ...}          # routes whose arguments are not tenant objects
    def routes(ctx) -> dict[str, dict]:     # url name → kwargs naming one of alice's objects
        ...

``ctx`` carries alice, bob (editor), alice_org, charlie, charlie_org. A new route that takes
arguments and appears in neither fails this test, so no route ships unguarded.
"""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

SKIP_NAMESPACES = {"admin", "django_rq"}
TESTS_DIR = Path(__file__).resolve().parents[1]


def _route_modules():
    for path in sorted(TESTS_DIR.rglob("tenant_routes.py")):
        spec = importlib.util.spec_from_file_location(f"_tenant_routes_{abs(hash(path))}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module


def _kwarg_names(pattern) -> set[str]:
    names = set(getattr(pattern.pattern, "converters", None) or pattern.pattern.regex.groupindex)
    return names - {"format"}


def _routes_with_arguments(patterns=None, namespace=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            if ns in SKIP_NAMESPACES:
                continue
            yield from _routes_with_arguments(p.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(p, URLPattern) and p.name and _kwarg_names(p):
            yield f"{namespace}{p.name}"


@pytest.fixture
def ctx(alice, bob, alice_org, charlie, charlie_org):
    return SimpleNamespace(alice=alice, bob=bob, alice_org=alice_org, charlie=charlie, charlie_org=charlie_org)


@pytest.mark.django_db
def test_every_route_with_arguments_is_guarded(ctx, charlie_client, charlie_api):
    public, covered = set(), {}
    for module in _route_modules():
        public |= set(getattr(module, "PUBLIC", set()))
        covered.update(module.routes(ctx))
    names = set(_routes_with_arguments())
    unguarded = sorted(names - public - set(covered))
    assert not unguarded, f"Routes with arguments but no tenant check (add them to a tenant_routes.py): {unguarded}"
    assert covered, "no tenant routes found"

    checked = []
    for name, kwargs in sorted(covered.items()):
        url = reverse(name, kwargs=kwargs)
        client = charlie_api if name.startswith("api:") else charlie_client
        methods = ("get", "patch", "put", "delete", "post") if name.startswith("api:") else ("get", "post")
        statuses = {m: getattr(client, m)(url).status_code for m in methods}
        assert set(statuses.values()) <= {404, 405}, f"{name} {url} leaked to charlie: {statuses}"
        assert 404 in statuses.values(), f"{name} {url}: no method answered 404: {statuses}"
        checked.append(name)
    assert len(checked) == len(covered)


@pytest.mark.django_db
def test_alice_reaches_her_own_objects(ctx, alice_client, alice_api):
    """The same kwargs work for their owner, so the 404s above are about tenancy, not bad ids."""
    calls = []
    for module in _route_modules():
        for name, kwargs in module.routes(ctx).items():
            calls.append((getattr(module, "OWNER_METHOD", {}).get(name, "get"), name, kwargs))
    # Reads first: a POST (remove a member, say) may legitimately delete what a read needs.
    for method, name, kwargs in sorted(calls, key=lambda c: c[0] != "get"):
        url = reverse(name, kwargs=kwargs)
        client = alice_api if name.startswith("api:") else alice_client
        status = getattr(client, method)(url).status_code
        assert status not in (404, 500), f"{name} {url} answered {status} to its owner"
