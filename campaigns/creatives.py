"""From Studio to Campaigns: which aspect ratios fit an ad set's placements, and the organization's
finished Studio renders an ad can use as its creative (the ad form's picker and
``GET /api/v1/ad-sets/<id>/creative-options/``).

Ratios are the Studio's output formats (``videogen.engine.render.formats.RATIOS``: 9:16, 1:1, 4:5, 16:9).
Which ratio each placement shows comes from the platforms' published video specs (Meta's ads
guide per placement; Google Ads' Demand Gen and YouTube video specs; DESIGN.md §6).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from kolony.tenancy import org_queryset

from .choices import Placement

#: placement → the ratios it shows without cropping or letterboxing, best first.
PLACEMENT_RATIOS: dict[str, tuple[str, ...]] = {
    Placement.FACEBOOK_FEED: ("4:5", "1:1", "16:9"),
    Placement.FACEBOOK_REELS: ("9:16",),
    Placement.FACEBOOK_STORIES: ("9:16",),
    Placement.INSTAGRAM_FEED: ("4:5", "1:1", "16:9"),
    Placement.INSTAGRAM_REELS: ("9:16",),
    Placement.INSTAGRAM_STORIES: ("9:16",),
    Placement.AUDIENCE_NETWORK: ("9:16", "1:1", "16:9"),
    Placement.YOUTUBE_INSTREAM: ("16:9",),
    Placement.YOUTUBE_SHORTS: ("9:16",),
    Placement.DISCOVER: ("16:9", "1:1", "4:5", "9:16"),
    Placement.GMAIL: ("16:9", "1:1"),
}
ALL_RATIOS: tuple[str, ...] = ("9:16", "1:1", "4:5", "16:9")
# Two ratios within 2 % of each other count as the same (1080×1920 and 1088×1920 are both 9:16).
RATIO_TOLERANCE = 0.02


def ratio_of(width: int | None, height: int | None) -> str:
    """The aspect ratio of a ``width``×``height`` px video: one of :data:`ALL_RATIOS` when within
    :data:`RATIO_TOLERANCE`, else the reduced fraction ("4:3", "2:1"); "" when unknown."""
    if not width or not height:
        return ""
    actual = width / height
    for ratio in ALL_RATIOS:
        w, h = (int(x) for x in ratio.split(":"))
        if abs(actual - w / h) / (w / h) <= RATIO_TOLERANCE:
            return ratio
    f = Fraction(width, height).limit_denominator(20)
    return f"{f.numerator}:{f.denominator}"


def placement_ratios(placements: list[str] | None) -> tuple[str, ...]:
    """The ratios that fit at least one of ``placements``, in :data:`ALL_RATIOS` order; every ratio
    for automatic placements (an empty list)."""
    if not placements:
        return ALL_RATIOS
    fitting = {r for p in placements for r in PLACEMENT_RATIOS.get(p, ())}
    return tuple(r for r in ALL_RATIOS if r in fitting)


def placements_for_ratio(ratio: str, placements: list[str] | None) -> list[str]:
    """Which of ``placements`` (all placements when automatic) show ``ratio``."""
    pool = placements or [p.value for p in Placement]
    return [p for p in pool if ratio in PLACEMENT_RATIOS.get(p, ())]


@dataclass(frozen=True)
class RenderOption:
    """One format of one finished render: ``value`` is what the ad form posts
    (``"<render id>|<ratio>"``), ``fits`` whether the ratio suits the ad set's placements."""

    render_id: int
    ratio: str
    asset_id: int
    job_id: int
    job_title: str
    version: int
    width: int | None
    height: int | None
    fits: bool
    created_at: object

    @property
    def value(self) -> str:
        return f"{self.render_id}|{self.ratio}"

    @property
    def label(self) -> str:
        return f"{self.job_title} · v{self.version} · {self.ratio}"

    def as_dict(self) -> dict:
        return {"render": self.render_id, "ratio": self.ratio, "asset": self.asset_id, "job": self.job_id,
                "job_title": self.job_title, "version": self.version, "width": self.width, "height": self.height,
                "fits_placements": self.fits, "label": self.label, "created_at": self.created_at}


def render_queryset(organization):
    """The organization's renders whose job finished, newest first.

    Approval hook: once renders have reviews, approved ones go first — order by the review state
    here (``.order_by(<approved first>, "-created_at", "-id")``); every caller reads through this."""
    from videogen.models import JobStatus, Render

    return (org_queryset(Render, organization).filter(job__status=JobStatus.COMPLETED)
            .select_related("job").order_by("-created_at", "-id"))


def render_options(*, organization, placements: list[str] | None, limit: int = 60) -> list[RenderOption]:
    """Every format of the organization's finished renders (at most ``limit`` renders), those whose
    ratio fits ``placements`` first, then newest first. Two queries."""
    from videogen.models import Asset

    renders = list(render_queryset(organization)[:limit])
    asset_ids = [a for r in renders for a in (r.outputs or {}).values() if isinstance(a, int)]
    assets = {a.pk: a for a in org_queryset(Asset, organization).filter(pk__in=asset_ids)}
    fitting = set(placement_ratios(placements))
    out = []
    for render in renders:
        for ratio, asset_id in sorted((render.outputs or {}).items(),
                                      key=lambda kv: ALL_RATIOS.index(kv[0]) if kv[0] in ALL_RATIOS else 99):
            asset = assets.get(asset_id)
            if asset is None:
                continue
            out.append(RenderOption(
                render_id=render.pk, ratio=ratio, asset_id=asset.pk, job_id=render.job_id, job_title=render.job.title,
                version=render.number, width=asset.width, height=asset.height, fits=ratio in fitting,
                created_at=render.created_at))
    return sorted(out, key=lambda o: not o.fits)  # stable: newest first inside each group


def grouped_choices(options: list[RenderOption], placements: list[str] | None) -> list:
    """Django choices for the ad form's picker: ``[("", "No Studio render"), (group label,
    [(value, label), …]), …]`` grouped by ratio, fitting ratios first, each group saying which
    placements show it ("9:16 — fits Instagram Reels, Facebook Stories")."""
    labels = dict(Placement.choices)
    by_ratio: dict[str, list[RenderOption]] = {}
    for option in options:
        by_ratio.setdefault(option.ratio, []).append(option)
    groups = []
    for ratio, items in by_ratio.items():
        shown = placements_for_ratio(ratio, placements)
        if items[0].fits:
            head = f"{ratio} — fits {', '.join(labels.get(p, p) for p in shown)}" if placements else f"{ratio} — automatic placements"
        else:
            head = f"{ratio} — fits none of this ad set's placements"
        groups.append((head, [(o.value, o.label) for o in items]))
    return [("", "No Studio render"), *groups]


def resolve_render_choice(*, organization, render_id, ratio: str = "", placements: list[str] | None = None):
    """The (render, ratio, asset) an ad links to. ``render_id``: one of the organization's finished
    renders; ``ratio``: one of its formats — when empty, the first format fitting ``placements``
    (else its first format). Raises ``ValidationError`` on ``creative_render`` (unknown, another
    organization's or unfinished render: "No finished Studio render with id N in your
    organization.") or ``creative_ratio`` (a format the render does not have)."""
    from django.core.exceptions import ValidationError

    from videogen.models import Asset, Render

    try:
        pk = int(render_id)
        if not 0 < pk < 2**63:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({"creative_render": [f"Expected a render id (a whole number), got {render_id!r}."]}) from None
    try:
        render = render_queryset(organization).get(pk=pk)
    except Render.DoesNotExist:
        raise ValidationError({"creative_render": [
            f"No finished Studio render with id {render_id} in your organization."]}) from None
    outputs = render.outputs or {}
    if not ratio:
        fitting = placement_ratios(placements)
        ratio = next((r for r in fitting if r in outputs), next(iter(sorted(outputs, key=_ratio_rank)), ""))
    if ratio not in outputs:
        have = ", ".join(sorted(outputs, key=_ratio_rank)) or "none"
        raise ValidationError({"creative_ratio": [f"Render v{render.number} of “{render.job.title}” has no {ratio or 'video'} "
                                                  f"format (it has {have})."]})
    asset = org_queryset(Asset, organization).filter(pk=outputs[ratio]).first()
    if asset is None:
        raise ValidationError({"creative_ratio": [f"The {ratio} video of this render is no longer stored."]})
    return render, ratio, asset


def _ratio_rank(ratio: str) -> int:
    return ALL_RATIOS.index(ratio) if ratio in ALL_RATIOS else 99
