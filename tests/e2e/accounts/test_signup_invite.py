"""A new marketer signs up, invites a teammate, and both see the dashboard — in real Chromium."""

import pytest
from django.core import mail

from kolony.accounts.models import Membership

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_signup_invite_teammate_and_dashboard(live_server, page, browser):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_full_name", "Maya Marketer")
    page.fill("#id_email", "maya@example.com")
    page.fill("#id_password", "maya-long-secret-8")
    page.fill("#id_organization_name", "Maya Media")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.locator("h1").inner_text() == "Maya Media"
    assert "Welcome to Kolony" in page.locator(".messages").inner_text()

    page.click("nav >> text=Team")
    page.fill("#id_email", "theo@example.com")
    page.select_option("#id_role", "editor")
    page.click("text=Send invitation")
    assert "Invitation sent to theo@example.com" in page.locator(".messages").inner_text()
    assert "theo@example.com" in page.locator("[data-testid=invitations]").inner_text()

    body = mail.outbox[-1].body
    link = next(word for word in body.split() if "/accounts/invitations/" in word)

    teammate = browser.new_context().new_page()
    teammate.goto(link)
    assert "Join Maya Media" in teammate.locator("h1").inner_text()
    teammate.click("text=Create an account as theo@example.com")
    teammate.fill("#id_password", "theo-long-secret-8")
    teammate.click("button[type=submit]")
    teammate.click("text=Accept invitation")
    teammate.wait_for_url(f"{live_server.url}/dashboard/")
    assert "You joined Maya Media as Editor" in teammate.locator(".messages").inner_text()
    assert teammate.locator("[data-testid=org-switcher]").inner_text().startswith("Maya Media")
    assert Membership.objects.get(user__email="theo@example.com", organization__name="Maya Media").role == "editor"

    page.reload()
    page.click("nav >> text=Team")
    assert "theo@example.com" in page.locator("[data-testid=members]").inner_text()
    page.goto(f"{live_server.url}/dashboard/")
    activity = page.locator("body").inner_text()
    assert "accepted the invitation and joined as Editor" in activity and "invitation.accepted" not in activity


def test_navigation_works_at_phone_width(live_server, phone_page, django_user_model):
    from kolony.accounts.services import user_signup

    user_signup(email="pia@example.com", password="pia-long-secret-8", organization_name="Pia Co")
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "pia@example.com")
    page.fill("#id_password", "pia-long-secret-8")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert not page.locator("#primary-nav").is_visible()
    page.click("[data-nav-toggle]")
    page.click("#primary-nav >> text=Team")
    assert page.locator("h1").inner_text().startswith("Team")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page overflows the phone screen ({width}px)"
