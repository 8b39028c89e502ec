import pytest
from rest_framework.test import APIClient

from kolony.accounts.models import Invitation, Membership, Role

pytestmark = pytest.mark.django_db


def test_token_auth_round_trip(alice):
    client = APIClient()
    bad = client.post("/api/v1/auth/token/", {"email": "alice@example.com", "password": "nope"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"]["non_field_errors"] == ["Email or password is incorrect."]
    missing = client.post("/api/v1/auth/token/", {"email": "not-an-email"}, format="json")
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"email", "password"}
    ok = client.post("/api/v1/auth/token/", {"email": "ALICE@example.com", "password": "correct-horse-battery-9"}, format="json")
    token = ok.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    orgs = client.get("/api/v1/organizations/").json()
    assert [(o["name"], o["role"]) for o in orgs["results"]] == [("Alice Co", "owner")]


def test_unauthenticated_api_is_401_with_json_error():
    response = APIClient().get("/api/v1/members/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided.", "errors": {}}


def test_schema_and_docs_served_locally(alice_client):
    schema = alice_client.get("/api/v1/schema/")
    assert schema.status_code == 200 and b"openapi: 3" in schema.content and b"/api/v1/auth/token/" in schema.content
    assert b"tokenAuth:" in schema.content and b"name: Authorization" in schema.content  # how to send the API token
    docs = alice_client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html


def test_members_api_roles(alice_api, bob, api_for, alice):
    members = alice_api.get("/api/v1/members/").json()["results"]
    assert {m["email"] for m in members} == {"alice@example.com", "bob@example.com"}
    bob_m = Membership.objects.get(user=bob)
    assert alice_api.patch(f"/api/v1/members/{bob_m.pk}/", {"role": "reviewer"}, format="json").json()["role"] == "reviewer"
    bad_role = alice_api.patch(f"/api/v1/members/{bob_m.pk}/", {"role": "emperor"}, format="json")
    assert bad_role.status_code == 400 and "role" in bad_role.json()["errors"]
    bob_api = api_for(bob)
    alice_m = Membership.objects.get(user=alice)
    denied = bob_api.patch(f"/api/v1/members/{alice_m.pk}/", {"role": "viewer"}, format="json")
    assert denied.status_code == 403 and "cannot" in denied.json()["detail"]
    last = alice_api.patch(f"/api/v1/members/{alice_m.pk}/", {"role": "viewer"}, format="json")
    assert last.status_code == 400 and "last owner" in str(last.json()["errors"])


def test_invitations_api(alice_api, api_for, bob):
    created = alice_api.post("/api/v1/invitations/", {"email": "new@example.com", "role": "viewer"}, format="json")
    assert created.status_code == 201 and created.json()["email"] == "new@example.com"
    dup = alice_api.post("/api/v1/invitations/", {"email": "new@example.com"}, format="json")
    assert dup.status_code == 400 and "pending" in dup.json()["errors"]["email"][0]
    assert api_for(bob).post("/api/v1/invitations/", {"email": "z@example.com"}, format="json").status_code == 403
    assert api_for(bob).get("/api/v1/invitations/").status_code == 403
    inv = Invitation.objects.get()
    assert alice_api.delete(f"/api/v1/invitations/{inv.pk}/").status_code == 204
    inv.refresh_from_db()
    assert inv.revoked_at is not None


def test_forged_organization_header_is_404(alice_api, charlie_org):
    response = alice_api.get("/api/v1/members/", HTTP_X_KOLONY_ORGANIZATION=str(charlie_org.pk))
    assert response.status_code == 404
    assert alice_api.get("/api/v1/members/", HTTP_X_KOLONY_ORGANIZATION="garbage").status_code == 404


def test_viewer_can_read_but_not_write(member_of, api_for):
    viewer = api_for(member_of(Role.VIEWER))
    assert viewer.get("/api/v1/members/").status_code == 200
    assert viewer.get("/api/v1/audit-events/").status_code == 200
    assert viewer.post("/api/v1/invitations/", {"email": "q@example.com"}, format="json").status_code == 403
