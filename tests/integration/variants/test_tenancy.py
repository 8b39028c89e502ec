"""Every variant route answers 404 to another organization (pages and API) and works for its owner
(the same walk as tests/integration/test_tenant_isolation.py, over this app's routes only)."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
_spec = importlib.util.spec_from_file_location("_variant_tenant_routes", Path(__file__).with_name("tenant_routes.py"))
assert _spec is not None and _spec.loader is not None
tenant_routes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tenant_routes)


@pytest.fixture
def ctx(alice, bob, alice_org, charlie, charlie_org):
    return SimpleNamespace(alice=alice, bob=bob, alice_org=alice_org, charlie=charlie, charlie_org=charlie_org)


def test_other_organizations_get_404_and_the_owner_gets_through(ctx, charlie_client, charlie_api, alice_client, alice_api):
    routes = tenant_routes.routes(ctx)
    for name, kwargs in sorted(routes.items()):
        url = reverse(name, kwargs=kwargs)
        client = charlie_api if name.startswith("api:") else charlie_client
        methods = ("get", "patch", "put", "delete", "post") if name.startswith("api:") else ("get", "post")
        statuses = {m: getattr(client, m)(url).status_code for m in methods}
        assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), f"{name} leaked to charlie: {statuses}"
    for name, kwargs in sorted(routes.items(), key=lambda kv: kv[0] in tenant_routes.OWNER_METHOD):
        url = reverse(name, kwargs=kwargs)
        client = alice_api if name.startswith("api:") else alice_client
        status = getattr(client, tenant_routes.OWNER_METHOD.get(name, "get"))(url).status_code
        assert status not in (404, 500), f"{name} {url} answered {status} to its owner"
