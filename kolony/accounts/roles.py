"""The roles page's words for the one capabilities table (:data:`kolony.tenancy.CAPABILITIES`).

The table itself stays in ``kolony.tenancy``; this module only says, in plain words, what each
capability lets a member do, and turns the table into rows for the page."""

from __future__ import annotations

from kolony.tenancy import CAPABILITIES

from .models import Role

# capability → (short name, what it lets a member do). Every key of CAPABILITIES has one (tested).
CAPABILITY_WORDS: dict[str, tuple[str, str]] = {
    "view": ("See everything", "Open the dashboard, campaigns, videos, renders, reports and the audit log."),
    "edit": ("Create and edit", "Make and change campaigns, ad sets, ads, video briefs, storyboards and brand kits."),
    "submit": ("Submit for review", "Send a render version to the reviewers, or withdraw it while it waits."),
    "review": ("Approve renders", "Approve a render or ask for changes before it can be published."),
    "publish": ("Publish ads", "Connect ad accounts and send approved ads to Meta and Google Ads."),
    "manage_team": ("Manage the team", "Invite people, change their roles and remove members."),
    "manage_billing": ("Manage billing", "Change the plan, buy credits and see invoices."),
    "manage_connections": ("Manage ad connections", "Connect, switch and disconnect the Meta and Google Ads accounts."),
}

ROLE_SUMMARY: dict[str, str] = {
    Role.OWNER: "Runs the organization; the only role that can make someone else an owner.",
    Role.ADMIN: "Runs the team and billing alongside the owners.",
    Role.EDITOR: "Builds campaigns and videos and publishes them.",
    Role.REVIEWER: "Checks and approves renders.",
    Role.VIEWER: "Follows the results without changing anything.",
}


def capability_rows() -> list[dict]:
    """One row per capability, in the table's order: ``{"key", "name", "description",
    "roles": [(role value, role label, allowed: bool), …]}`` over every role (owner first)."""
    rows = []
    for key, holders in CAPABILITIES.items():
        name, description = CAPABILITY_WORDS.get(key, (key.replace("_", " ").capitalize(), ""))
        rows.append({"key": key, "name": name, "description": description,
                     "roles": [(value, label, value in holders) for value, label in Role.choices]})
    return rows


def role_rows() -> list[dict]:
    """One row per role: ``{"value", "label", "summary", "can": [capability short names]}``."""
    return [{"value": value, "label": label, "summary": ROLE_SUMMARY.get(value, ""),
             "can": [CAPABILITY_WORDS.get(k, (k, ""))[0] for k, holders in CAPABILITIES.items() if value in holders]}
            for value, label in Role.choices]
