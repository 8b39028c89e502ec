"""No raw codes on screen: objectives and placements by their names, audit events and recent
activity as sentences, an edit's changes as before → after of the changed fields only — for every
objective, placement and audit verb."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from campaigns import services
from campaigns.choices import Objective, Placement, SpecialAdCategory
from kolony.accounts.audit_display import SENTENCES
from kolony.accounts.models import AuditEvent

ROOT = Path(__file__).resolve().parents[3]


class _Text(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style", "template")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style", "template") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible(response) -> str:
    assert response.status_code == 200, response.status_code
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


@pytest.mark.parametrize("objective", Objective.values)
def test_objectives_and_placements_by_name(alice, alice_org, alice_client, objective):
    campaign = services.campaign_create(organization=alice_org, actor=alice, name=f"Launch {objective}", objective=objective,
                                        platforms=["meta", "google"], special_ad_categories=list(SpecialAdCategory.values))
    services.ad_set_create(campaign=campaign, actor=alice, name="Everywhere", budget_minor=5000, placements=list(Placement.values))
    label = Objective(objective).label
    pages = {
        "detail": visible(alice_client.get(reverse("campaigns:detail", args=[campaign.pk]))),
        "list": visible(alice_client.get(reverse("campaigns:list"))),
        "edit": visible(alice_client.get(reverse("campaigns:edit", args=[campaign.pk]))),
    }
    for name, text in pages.items():
        assert "OUTCOME_" not in text and f"({objective})" not in text, name
        assert label in text, name
    for placement in Placement:
        assert placement.label in pages["detail"]
        assert not re.search(rf"\b{placement.value}\b", pages["detail"]), placement.value
    for category in SpecialAdCategory:
        assert category.label in pages["detail"] and not re.search(rf"\b{category.value}\b", pages["detail"])


def _emitted_actions() -> set[str]:
    """Every audit action the code writes (audit_log(action="x.y") and campaigns' _audit(…, "x.y"))."""
    found = set()
    for path in [p for app in ("kolony", "campaigns", "videogen", "billing") for p in ROOT.glob(f"{app}/**/*.py")]:
        source = path.read_text()
        found |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', source))
        found |= set(re.findall(r'_audit\([^,]+,\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)"', source))
        for stem, a, b in re.findall(r'f"([a-z_]+)\.\{\'([a-z_]+)\' if .*? else \'([a-z_]+)\'\}"', source):
            found |= {f"{stem}.{a}", f"{stem}.{b}"}
    return found


def test_every_action_the_code_writes_has_a_sentence():
    actions = _emitted_actions()
    assert {"campaign.created", "video_job.created", "member.role_changed"} <= actions  # the scan works
    assert actions - set(SENTENCES) == set()


METADATA = {
    "invitation.created": {"role": "viewer"}, "invitation.accepted": {"role": "editor"},
    "member.added": {"role": "admin", "email": "dana@example.com"}, "member.removed": {"email": "dana@example.com", "role": "viewer"},
    "member.role_changed": {"email": "dana@example.com", "from": "viewer", "to": "editor"},
    "video_job.rendered": {"version": 2}, "platform.connected": {"platform": "meta"},
}


@pytest.mark.parametrize("action", sorted(SENTENCES))
def test_every_audit_verb_reads_as_a_sentence(alice, alice_org, alice_client, action):
    target = ("Cold Brew (#12)" if action.startswith("video_job")
              else "dana@example.com → Alice Co (viewer)" if action.startswith("invitation") else "Cold Brew")
    AuditEvent.objects.create(organization=alice_org, actor=alice, action=action, target_repr=target,
                              metadata=METADATA.get(action, {}))
    for url in (reverse("accounts:audit_log"), reverse("core:dashboard")):
        text = visible(alice_client.get(url))
        assert action not in text, (url, action)
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text.split("Recent activity")[-1] if "dashboard" in url else text), (url, text)
        assert "Alice Owner " in text, url
        for raw in ("viewer", "editor", "admin", "meta"):
            assert not re.search(rf"\b{raw}\b", text), (url, raw)
    text = visible(alice_client.get(reverse("accounts:audit_log")))
    if action == "video_job.created":
        assert "Alice Owner created the video job ‘Cold Brew’" in text
    if action == "member.role_changed":
        assert "Alice Owner changed dana@example.com's role from Viewer to Editor" in text


def test_changes_show_before_and_after_of_changed_fields_only(alice, alice_org, alice_client):
    campaign = services.campaign_create(organization=alice_org, actor=alice, name="Cold brew", objective="sales",
                                        platforms=["meta"])
    ad_set = services.ad_set_create(campaign=campaign, actor=alice, name="US", budget_minor=5000,
                                    placements=["instagram_reels"])
    services.campaign_update(campaign=campaign, actor=alice, name="Nitro", objective="leads")
    services.ad_set_update(ad_set=services.AdSet.objects.get(pk=ad_set.pk), actor=alice, budget_minor=7550,
                           placements=["instagram_reels", "facebook_feed"], name="US")
    text = visible(alice_client.get(reverse("accounts:audit_log")))
    assert "Alice Owner edited the campaign ‘Nitro’" in text
    assert "Name : Cold brew → Nitro" in text or "Name: Cold brew → Nitro" in text
    assert "Objective: Sales → Leads" in text.replace(" :", ":")
    assert "Placements: Instagram Reels → Instagram Reels, Facebook Feed" in text.replace(" :", ":")
    assert "Budget: 50.00 USD → 75.50 USD" in text.replace(" :", ":")
    for unchanged in ("Currency:", "Status:", "Bid strategy:", "Billing event:"):
        assert unchanged not in text.replace(" :", ":"), unchanged
    assert "instagram_reels" not in text and "budget_minor" not in text
