"""Warnings (never blocks) where a campaign's hierarchy doesn't make sense: shown on the pages
where they can be fixed (the campaign page, the ad set and ad forms).

:func:`hierarchy_warnings` is the one place that computes them. Kinds (:data:`KINDS`):

- ``ad_active_in_inactive_ad_set`` — an active ad in a draft or paused ad set (it won't deliver);
- ``ad_set_active_in_draft_campaign`` — an active ad set in a campaign still in draft;
- ``active_campaign_without_ads`` — an active campaign with no ads at all;
- ``active_campaign_ad_without_creative`` — an ad of an active campaign with no video (neither an
  upload nor a Studio render);
- ``creative_ratio_mismatch`` — a creative whose aspect ratio fits none of its ad set's
  placements (a 9:16 video on a 16:9-only YouTube in-stream ad set).

Archived campaigns, ad sets and ads get none.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from .choices import Placement, Status
from .creatives import placement_ratios, placements_for_ratio

KINDS = (
    "ad_active_in_inactive_ad_set", "ad_set_active_in_draft_campaign", "active_campaign_without_ads",
    "active_campaign_ad_without_creative", "creative_ratio_mismatch",
)


@dataclass(frozen=True)
class HierarchyWarning:
    """One warning: ``kind`` (one of :data:`KINDS`), a sentence, the objects it is about (ids;
    None when it concerns a level above) and where to fix it (``fix_url``, ``fix_label``)."""

    kind: str
    message: str
    campaign_id: int
    ad_set_id: int | None
    ad_id: int | None
    fix_url: str
    fix_label: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message, "campaign": self.campaign_id, "ad_set": self.ad_set_id,
                "ad": self.ad_id, "fix_url": self.fix_url, "fix_label": self.fix_label}


def _names(placements) -> str:
    labels = dict(Placement.choices)
    return ", ".join(labels.get(p, p) for p in placements)


def hierarchy_warnings(*, campaign, ad_set=None, ad=None) -> list[HierarchyWarning]:
    """The warnings of ``campaign`` (an already org-checked Campaign), or only those about
    ``ad_set`` (and its ads) or about ``ad`` when given. Two queries (its ad sets, its ads)."""
    from kolony.tenancy import org_queryset

    from .models import Ad, AdSet

    if campaign.status == Status.ARCHIVED:
        return []
    org = campaign.organization_id
    ad_sets = list(org_queryset(AdSet, org).filter(campaign=campaign).exclude(status=Status.ARCHIVED).order_by("created_at", "id"))
    ads = list(org_queryset(Ad, org).filter(ad_set__campaign=campaign).exclude(status=Status.ARCHIVED).order_by("created_at", "id"))
    out: list[HierarchyWarning] = []
    cid = campaign.pk

    sets = {s.pk: s for s in ad_sets}
    if campaign.status == Status.ACTIVE and not any(a.ad_set_id in sets for a in ads):
        first = ad_sets[0] if ad_sets else None
        out.append(HierarchyWarning(
            "active_campaign_without_ads", f"Campaign “{campaign.name}” is active but has no ads, so nothing can run.",
            cid, None, None,
            reverse("campaigns:ad_create", args=[first.pk]) if first else reverse("campaigns:ad_set_create", args=[cid]),
            "Add an ad" if first else "Add an ad set"))
    for s in ad_sets:
        if s.status == Status.ACTIVE and campaign.status == Status.DRAFT:
            out.append(HierarchyWarning(
                "ad_set_active_in_draft_campaign",
                f"Ad set “{s.name}” is active, but the campaign is still a draft: nothing runs until you activate the campaign.",
                cid, s.pk, None, reverse("campaigns:detail", args=[cid]), "Activate the campaign"))
    for a in ads:
        s = sets.get(a.ad_set_id)
        if s is None:  # its ad set is archived
            continue
        edit = reverse("campaigns:ad_edit", args=[a.pk])
        if a.status == Status.ACTIVE and s.status in (Status.DRAFT, Status.PAUSED):
            out.append(HierarchyWarning(
                "ad_active_in_inactive_ad_set",
                f"Ad “{a.name}” is active, but its ad set “{s.name}” is {s.get_status_display().lower()}, "
                "so the ad won't run: activate the ad set or pause the ad.",
                cid, s.pk, a.pk, reverse("campaigns:ad_set_edit", args=[s.pk]), "Edit the ad set"))
        if campaign.status == Status.ACTIVE and not a.has_creative:
            out.append(HierarchyWarning(
                "active_campaign_ad_without_creative",
                f"Ad “{a.name}” has no video, but the campaign is active: upload a video or choose a Studio render.",
                cid, s.pk, a.pk, edit, "Add a video"))
        if a.has_creative and a.creative_ratio and s.placements and a.creative_ratio not in placement_ratios(s.placements):
            fitting = placement_ratios(s.placements)
            shows = placements_for_ratio(a.creative_ratio, [])
            hint = f" or add a placement that shows {a.creative_ratio} ({_names(shows)})" if shows else ""
            out.append(HierarchyWarning(
                "creative_ratio_mismatch",
                f"Ad “{a.name}” uses a {a.creative_ratio} video, but its ad set's placements ({_names(s.placements)}) "
                f"show {' or '.join(fitting) or 'other ratios'}: choose a {' or '.join(fitting)} video{hint}.",
                cid, s.pk, a.pk, edit, "Change the video"))
    if ad is not None:
        return [w for w in out if w.ad_id == ad.pk or (w.ad_id is None and w.ad_set_id == ad.ad_set_id)]
    if ad_set is not None:
        return [w for w in out if w.ad_set_id == ad_set.pk]
    return out
