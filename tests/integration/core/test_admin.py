"""Ops: every model has an admin whose list, search and filters load; the RQ dashboard is staff-only."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from kolony.accounts.models import User

pytestmark = pytest.mark.django_db
OUR_APPS = {"accounts", "campaigns", "videogen", "billing", "notifications"}


@pytest.fixture
def ops_client(client):
    client.force_login(User.objects.create_superuser(email="ops@example.com", password="ops-long-secret-1"))
    return client


def test_every_model_is_in_the_admin():
    missing = [m._meta.label for m in apps.get_models() if m._meta.app_label in OUR_APPS and m not in admin.site._registry]
    assert not missing, f"models without an admin: {missing}"


def test_each_changelist_loads_with_search(ops_client, alice):
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        query = "?q=a" if model_admin.search_fields else ""
        response = ops_client.get(url + query)
        assert response.status_code == 200, f"{url}{query} answered {response.status_code}"


def test_rq_dashboard_is_for_staff_only(client, ops_client, alice):
    assert ops_client.get("/admin/rq/").status_code == 200
    client.force_login(alice)
    response = client.get("/admin/rq/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
