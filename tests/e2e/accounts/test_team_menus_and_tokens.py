"""In real Chromium: the header's menus close each other (and on Escape and an outside click), the
team page copies an invitation's link, and the API tokens page makes a token the API accepts and
revokes it."""

import json
import urllib.error
import urllib.request

import pytest

from kolony.accounts.models import Invitation
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")


def _is_open(page, selector) -> bool:
    return page.eval_on_selector(selector, "el => el.open")


def _api_status(live_server, key) -> int:
    request = urllib.request.Request(f"{live_server.url}/api/v1/organizations/",  # noqa: S310 - the live server
                                     headers={"Authorization": f"Token {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the local live server
            json.load(response)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_header_menus_close_each_other_on_escape_and_outside_click(live_server, page, alice, charlie_org):
    from kolony.accounts.models import Membership

    Membership.objects.create(user=alice, organization=charlie_org, role="viewer")  # two organizations to switch
    _sign_in(page, live_server, alice)
    org, user_menu = "details.org-switcher", "details.user-menu"

    page.click("[data-testid=org-switcher]")
    assert _is_open(page, org) and not _is_open(page, user_menu)
    page.click("details.user-menu > summary")
    assert _is_open(page, user_menu) and not _is_open(page, org)  # opening one closed the other
    page.click("[data-testid=org-switcher]")
    assert _is_open(page, org) and not _is_open(page, user_menu)

    page.fill("input[name=name]", "Typing inside")  # a click inside the open menu keeps it open
    assert _is_open(page, org)
    page.keyboard.press("Escape")
    assert not _is_open(page, org)
    assert page.evaluate("document.activeElement.dataset.testid") == "org-switcher"  # focus back on its button

    page.click("details.user-menu > summary")
    assert _is_open(page, user_menu)
    page.click("main h1")  # outside every menu
    assert not _is_open(page, user_menu) and not _is_open(page, org)

    page.click("details.user-menu > summary")
    page.click(f"{user_menu} >> text=Profile and password")
    page.wait_for_url(f"{live_server.url}/accounts/profile/")
    assert page.locator("h1").inner_text() == "Your profile"


def test_phone_nav_and_menus_close_each_other(live_server, phone_page, alice):
    page = phone_page
    _sign_in(page, live_server, alice)
    nav_open = "document.getElementById('primary-nav').classList.contains('open')"
    page.click("[data-nav-toggle]")
    assert page.evaluate(nav_open)
    page.click("details.user-menu > summary")
    assert _is_open(page, "details.user-menu") and not page.evaluate(nav_open)
    page.click("[data-nav-toggle]")
    assert page.evaluate(nav_open) and not _is_open(page, "details.user-menu")
    page.keyboard.press("Escape")
    assert not page.evaluate(nav_open)
    assert page.get_attribute("[data-nav-toggle]", "aria-expanded") == "false"


def test_copy_invite_link_then_accept_it(live_server, browser, alice):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    _sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/accounts/team/")
    page.fill("#id_email", "theo@example.com")
    page.click("text=Send invitation")
    row = page.locator("[data-testid=invitations] tr", has_text="theo@example.com")
    row.locator("text=Copy link").click()
    row.locator("button[data-copied=yes]").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == row.locator("[data-testid=invite-link]").input_value()
    assert "/accounts/invitations/" in copied
    invitation = Invitation.objects.get(email="theo@example.com")
    assert invitation.is_pending

    invitee = browser.new_context().new_page()
    invitee.goto(copied)
    assert "Join Alice Co" in invitee.locator("h1").inner_text()
    invitee.context.close()
    context.close()


def test_make_a_token_use_it_and_revoke_it(live_server, browser, bob):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    _sign_in(page, live_server, bob)
    page.click("details.user-menu > summary")
    page.click("details.user-menu >> text=API tokens")
    page.fill("#id_name", "Reporting script")
    page.click("text=Create token")
    page.locator("[data-testid=new-token]").wait_for()
    page.click("[data-testid=new-token] button[data-copy]")
    page.locator("[data-testid=new-token] button[data-copied=yes]").wait_for()
    key = page.evaluate("navigator.clipboard.readText()")
    assert key.startswith("kol_") and key == page.locator("[data-testid=new-token-key]").input_value()
    assert _api_status(live_server, key) == 200

    page.reload()  # the key is shown once
    assert page.locator("[data-testid=new-token]").count() == 0
    row = page.locator("[data-testid=api-tokens] tr", has_text="Reporting script")
    assert "Never" not in row.inner_text()  # used just now
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("text=Revoke").click()
    page.locator(".messages", has_text="Revoked the token").wait_for()
    assert _api_status(live_server, key) == 401
    context.close()
