"""The policy rules' checks over one render: what each looks at (:class:`Context`: the brief as
rendered, the plan's scenes, the output files, the linked campaign, where the render goes) and
what it finds (:class:`Draft` findings, stored by :func:`videogen.review.policy.policy_check`).

Where the render goes: the ad sets of the ads that use this render as their creative, else the ad
sets of the job's linked campaign (archived ones left out). An ad set with no placements is
automatic (every placement of the campaign's platforms); without a campaign every placement
counts as automatic. A spec or safe-zone problem on a placement an ad set *chose* is blocking; on
an automatic placement it is a warning (the platform will not show the file there, or will crop it).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kolony.tenancy import org_queryset
from videogen.review import policy_rules as rules
from videogen.review.models import Severity

logger = logging.getLogger(__name__)

SCENE_TEXT_FIELDS = ("on_screen_text", "subtext", "voiceover")
BRIEF_TEXT_FIELDS = ("product_name", "text_prompt", "call_to_action")
#: A recorded box may cross a safe-zone edge by up to 1 % of the frame (anti-aliasing, shadows).
SAFE_ZONE_TOLERANCE = 0.01


@dataclass
class Draft:
    """A finding before it is stored (fields as :class:`PolicyFinding`)."""

    rule: str
    severity: str
    message: str
    source_url: str = ""
    scene_key: str = ""
    timecode_seconds: float | None = None
    aspect_ratio: str = ""
    placement: str = ""
    field: str = ""
    excerpt: str = ""

    @property
    def fingerprint(self) -> str:
        """Same rule, same place, same words → the same finding across re-checks (SHA-256 hex)."""
        words = rules.normalize(self.excerpt)[0]
        key = "\x00".join((self.rule, self.scene_key, self.aspect_ratio, self.placement, self.field, words))
        return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class Context:
    """What the rules look at: the brief as rendered, the plan's scenes with their start times
    (seconds), each output's asset, the linked campaign, the placements the render goes to
    (placement id → chosen explicitly by an ad set) and the ads' landing pages."""

    render: Any
    brief: dict
    scenes: list[dict]
    starts: list[float]
    assets: dict[str, Any]
    campaign: Any | None
    placements: dict[str, bool]
    destinations: list[str] = field(default_factory=list)

    @property
    def languages(self) -> tuple[str, ...]:
        return rules.languages_for(str(self.brief.get("language") or "en"))

    def where(self, index: int) -> tuple[str, float | None]:
        """(scene key, start in seconds) of scene ``index`` (0-based)."""
        if 0 <= index < len(self.scenes):
            return str(self.scenes[index].get("scene_key") or "")[:40], self.starts[index]
        return "", None

    def start_of(self, scene_key: str) -> float | None:
        for i, s in enumerate(self.scenes):
            if str(s.get("scene_key")) == scene_key:
                return self.starts[i]
        return None


# ---------------------------------------------------------------------------------------------
# Context


def _scene_starts(scenes: list[dict]) -> list[float]:
    """Each scene's start (s) on the ad's timeline: the sum of the durations before it, as the
    compositor lays them out (``ScenePlan.starts``)."""
    out, t = [], 0.0
    for s in scenes:
        out.append(round(t, 3))
        try:
            t += max(0.0, float(s.get("duration") or 0))
        except (TypeError, ValueError):
            pass
    return out


def _placements(render, campaign) -> dict[str, bool]:
    from campaigns.choices import PLACEMENT_PLATFORM, Status
    from campaigns.models import AdSet

    org = render.job.organization
    ad_sets = org_queryset(AdSet, org).filter(ads__creative_render=render).exclude(status=Status.ARCHIVED).distinct()
    if not ad_sets.exists() and campaign is not None:
        ad_sets = org_queryset(AdSet, org).filter(campaign=campaign).exclude(status=Status.ARCHIVED)
    platforms = set(campaign.platforms) if campaign is not None and campaign.platforms else set(PLACEMENT_PLATFORM.values())
    automatic = {p: False for p, plat in PLACEMENT_PLATFORM.items() if plat in platforms and p in rules.PLACEMENT_SPECS}
    chosen: dict[str, bool] = {}
    any_automatic = not ad_sets.exists()
    for ad_set in ad_sets:
        if ad_set.placements:
            chosen.update({p: True for p in ad_set.placements if p in rules.PLACEMENT_SPECS})
        else:
            any_automatic = True
    return (automatic if any_automatic else {}) | chosen


def build_context(render) -> Context:
    """Everything the rules look at for ``render`` (tenant-scoped reads only)."""
    from campaigns.models import Ad, Campaign

    job = render.job
    brief = render.brief_snapshot or job.brief or {}
    scenes = [s for s in (render.plan_snapshot or []) if isinstance(s, dict)]
    campaign = None
    if job.campaign_id:
        campaign = org_queryset(Campaign, job.organization).filter(pk=job.campaign_id).first()
    from videogen.models import Asset

    ids = {ratio: pk for ratio, pk in (render.outputs or {}).items() if isinstance(pk, int)}
    by_id = {a.pk: a for a in org_queryset(Asset, job.organization).filter(pk__in=ids.values())}
    assets = {ratio: by_id[pk] for ratio, pk in ids.items() if pk in by_id}
    destinations: list[str] = []
    if campaign is not None:
        destinations = list(org_queryset(Ad, job.organization).filter(ad_set__campaign=campaign)
                            .exclude(destination_url="").values_list("destination_url", flat=True).distinct())
    return Context(render=render, brief=brief if isinstance(brief, dict) else {}, scenes=scenes,
                   starts=_scene_starts(scenes), assets=assets, campaign=campaign,
                   placements=_placements(render, campaign), destinations=destinations)


# ---------------------------------------------------------------------------------------------
# Rules


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    m, s = divmod(round(seconds, 1), 60)
    return f"{int(m)}:{s:04.1f}"


def check_claims(ctx: Context) -> list[Draft]:
    """Claims in every scene's on-screen text, subtext and voiceover; the captions are the
    voiceover burned into every format (:mod:`videogen.engine.render.captions`), so a voiceover finding
    covers them too (its message says so)."""
    out: list[Draft] = []
    for i, scene in enumerate(ctx.scenes):
        key, start = ctx.where(i)
        for name in SCENE_TEXT_FIELDS:
            # the captions are the voiceover lines burned in (captions.write_ass): one finding says both
            message_end = " It is spoken in the voiceover and shown in the captions." if name == "voiceover" else ""
            for rule in rules.CLAIM_RULES:
                for hit in rule.find(str(scene.get(name) or ""), ctx.languages):
                    out.append(Draft(rule.id, rule.severity, rule.message + message_end, rule.source_url, scene_key=key,
                                     timecode_seconds=start, field=name, excerpt=hit.excerpt[:200]))
    return out


def _texts(ctx: Context) -> Iterable[tuple[str, str, int | None]]:
    """(field, text, scene index or None) of everything the ad says: the brief, then the scenes."""
    for name in BRIEF_TEXT_FIELDS:
        yield f"brief.{name}", str(ctx.brief.get(name) or ""), None
    for line in ctx.brief.get("script") or []:
        yield "brief.script", str(line), None
    for i, scene in enumerate(ctx.scenes):
        for name in SCENE_TEXT_FIELDS:
            yield name, str(scene.get(name) or ""), i


def check_special_categories(ctx: Context) -> list[Draft]:
    """One blocking finding per special ad category the ad is about (first place it shows) that
    the linked campaign does not declare."""
    declared = set(ctx.campaign.special_ad_categories or []) if ctx.campaign is not None else set()
    out: list[Draft] = []
    for rule in rules.SPECIAL_CATEGORY_RULES:
        if rule.category in declared:
            continue
        for name, text, index in _texts(ctx):
            hit = next(iter(rule.find(text, ctx.languages)), None)
            if hit is None:
                continue
            key, start = ctx.where(index) if index is not None else ("", None)
            who = (f"The campaign “{ctx.campaign.name}” does not declare it." if ctx.campaign is not None
                   else "The job is not linked to a campaign that declares it.")
            out.append(Draft(rule.id, rule.severity, f"{rule.message} {who}"[:500], rule.source_url, scene_key=key,
                             timecode_seconds=start, field=name, excerpt=hit.excerpt[:200]))
            break
    return out


_HOST = re.compile(r"(?i)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}")


def registrable_domain(host: str) -> str:
    """The registrable domain of ``host`` ("shop.aurora.co.uk" → "aurora.co.uk") from the Public
    Suffix List snapshot bundled with tldextract (never fetched); a name under a suffix the list
    lacks (e.g. ``.example``) counts as its last two labels; "" for a bare public suffix."""
    ext = _extractor()(host)
    if ext.suffix:
        return ext.top_domain_under_public_suffix.lower()
    labels = host.lower().rstrip(".").split(".")
    return ".".join(labels[-2:]) if len(labels) >= 2 else ""


@functools.cache
def _extractor():
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def check_landing_url(ctx: Context) -> list[Draft]:
    """The brief's ``landing_url``: missing (warning), malformed (blocking), not https (warning),
    on another site than the linked campaign's ads' ``destination_url`` (blocking; compared by
    registrable domain, so www.aurora.com and shop.aurora.com are the same site)."""
    url = str(ctx.brief.get("landing_url") or "").strip()
    f = "landing_url"
    if not url:
        return [Draft("landing_url.missing", Severity.WARNING,
                      "The brief has no landing URL: the end card shows no address and every ad needs a destination. "
                      "Add one, or accept if the ad sends people nowhere (e.g. awareness only).",
                      rules.GOOGLE_DESTINATION_REQUIREMENTS, field=f)]
    parts = urlsplit(url)
    try:
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        host = ""
    domain = registrable_domain(host) if _HOST.fullmatch(host) else ""
    if parts.scheme not in ("http", "https") or not domain or " " in url:
        return [Draft("landing_url.malformed", Severity.BLOCKING,
                      "The landing URL is not a web address on a real domain (expected e.g. https://example.com/offer).",
                      rules.GOOGLE_DESTINATION_REQUIREMENTS, field=f, excerpt=url[:200])]
    out: list[Draft] = []
    if parts.scheme != "https":
        out.append(Draft("landing_url.not_https", Severity.WARNING,
                         "The landing URL uses http, not https: browsers mark the page “Not secure” and platforms may "
                         "reject destinations that do not load safely. Use the https address.",
                         rules.GOOGLE_DESTINATION_REQUIREMENTS, field=f, excerpt=url[:200]))
    sites = {registrable_domain(urlsplit(d).hostname or "") for d in ctx.destinations} - {""}
    if sites and domain not in sites:
        out.append(Draft("landing_url.mismatch", Severity.BLOCKING,
                         f"The landing URL is on {domain}, but the campaign's ads send people to "
                         f"{', '.join(sorted(sites))}. The ad's shown address and its destination must be the same site.",
                         rules.GOOGLE_DESTINATION_MISMATCH, field=f, excerpt=url[:200]))
    return out


def _frame_size(ratio: str, asset) -> tuple[int, int]:
    from videogen.engine.render.formats import FORMATS

    if ratio in FORMATS:
        return FORMATS[ratio].size
    return int(asset.width or 0), int(asset.height or 0)


def _quality(asset) -> dict:
    q = (asset.metadata or {}).get("quality") if asset is not None else None
    return q if isinstance(q, dict) else {}


def check_safe_zones(ctx: Context) -> list[Draft]:
    """Every text box, caption box and logo the engine drew (recorded per scene and format, see
    :class:`videogen.engine.pipeline.PipelineResult`) against each placement's safe zone for that
    format. A render made before boxes were recorded gets one warning asking for a re-render."""
    out: list[Draft] = []
    unrecorded = []
    has_text = any(str(s.get(f) or "").strip() for s in ctx.scenes for f in SCENE_TEXT_FIELDS)
    for ratio, asset in ctx.assets.items():
        quality = _quality(asset)
        if "text_boxes" not in quality:
            unrecorded.append(ratio)
            continue
        width, height = _frame_size(ratio, asset)
        if not width or not height:
            continue
        tol_x, tol_y = width * SAFE_ZONE_TOLERANCE, height * SAFE_ZONE_TOLERANCE
        for placement, explicit in ctx.placements.items():
            zone = rules.PLACEMENT_SPECS[placement].ratios.get(ratio)
            if zone is None:
                continue
            left, top, right, bottom = zone.rect(width, height)
            reported: set[tuple[str, str]] = set()
            for item in quality.get("text_boxes") or []:
                try:
                    bl, bt, br, bb = (int(v) for v in item["box"])
                except (KeyError, TypeError, ValueError):
                    continue
                sides = [name for name, over in (("top", top - bt > tol_y), ("bottom", bb - bottom > tol_y),
                                                 ("left", left - bl > tol_x), ("right", br - right > tol_x)) if over]
                key, kind = str(item.get("scene_key") or "")[:40], str(item.get("kind") or "text")
                if not sides or (key, kind) in reported:
                    continue
                reported.add((key, kind))
                label = rules.PLACEMENT_SPECS[placement].label
                what = {"text": "On-screen text", "captions": "The captions", "logo": "The logo"}.get(kind, "Text")
                out.append(Draft(
                    "safe_zone.outside", Severity.BLOCKING if explicit else Severity.WARNING,
                    f"{what} reaches into the area {label} covers ({', '.join(sides)}; {zone.note}): box "
                    f"{bl},{bt}–{br},{bb} px, safe area {left},{top}–{right},{bottom} px. Move or shorten it.",
                    zone.source_url, scene_key=key, timecode_seconds=ctx.start_of(key) if key else None,
                    aspect_ratio=ratio, placement=placement, field=kind, excerpt=f"{bl},{bt},{br},{bb}"))
    if unrecorded and has_text:
        out.append(Draft("safe_zone.not_recorded", Severity.WARNING,
                         f"This render ({', '.join(unrecorded)}) was made before text boxes were recorded, so its safe "
                         "zones cannot be checked. Re-render to check them, or accept after looking at each format.",
                         rules.META_SAFE_ZONES))
    return out


@contextmanager
def _local_file(asset):
    """A local path of ``asset``'s file (copied to a temp file for remote storage)."""
    try:
        yield Path(asset.file.path)
        return
    except (NotImplementedError, AttributeError, ValueError):
        pass
    with tempfile.NamedTemporaryFile(suffix=".mp4") as tmp, asset.file.open("rb") as src:
        shutil.copyfileobj(src, tmp)
        tmp.flush()
        yield Path(tmp.name)


def _probe(asset) -> dict:
    """The file's facts: the engine's stored probe (``metadata["quality"]["probe"]``) or an
    ffprobe of the file, plus loudness (LUFS, dBTP) when the engine measured it."""
    quality = _quality(asset)
    probe = dict(quality.get("probe") or {})
    if not probe:
        from videogen.engine.render.ffmpeg import ffprobe

        with _local_file(asset) as path:
            data = ffprobe(path)
        v = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"), None) or {}
        probe = {"duration": float(data.get("format", {}).get("duration") or 0), "video_codec": v.get("codec_name"),
                 "avg_frame_rate": v.get("avg_frame_rate"), "width": v.get("width"), "height": v.get("height")}
    probe["integrated_lufs"] = quality.get("integrated_lufs")
    probe["true_peak_dbtp"] = quality.get("true_peak_dbtp")
    return probe


def _fps(rate: Any) -> float | None:
    try:
        num, _, den = str(rate).partition("/")
        value = float(num) / float(den or 1)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None


def _ratio_value(ratio: str) -> float | None:
    a, _, b = ratio.partition(":")
    try:
        return float(a) / float(b)
    except (ValueError, ZeroDivisionError):
        return None


def _spec_problems(spec: rules.PlacementSpec, ratio: str, facts: dict) -> list[tuple[str, str, bool]]:
    """(rule, message, always_warning) of one output against one placement."""
    out: list[tuple[str, str, bool]] = []
    w, h, d = facts["width"], facts["height"], facts["duration"]
    nominal = _ratio_value(ratio)
    if w and h and nominal and abs(w / h - nominal) / nominal > rules.RATIO_TOLERANCE:
        out.append(("spec.ratio", f"The {ratio} file is {w}×{h} px, not {ratio} (±{rules.RATIO_TOLERANCE:.0%}).", False))
    if w and min(w, h or w) < spec.min_width:
        out.append(("spec.size", f"The {ratio} file is {w}×{h} px; {spec.label} needs at least {spec.min_width} px.", False))
    codec = facts.get("video_codec")
    if codec and codec not in spec.codecs:
        out.append(("spec.codec", f"The {ratio} file is {codec}; {spec.label} takes {' or '.join(spec.codecs)} (H.264 recommended).",
                    False))
    fps = _fps(facts.get("avg_frame_rate"))
    if fps is not None and fps > rules.MAX_FPS:
        out.append(("spec.fps", f"The {ratio} file runs at {fps:g} fps; {spec.label} takes at most {rules.MAX_FPS:g}.", False))
    size = facts.get("bytes") or 0
    if size > spec.max_bytes:
        out.append(("spec.file_size", f"The {ratio} file is {size / 1024**3:.1f} GB; {spec.label} takes at most "
                    f"{spec.max_bytes / 1024**3:g} GB.", False))
    if d:
        if spec.bumper and d <= rules.BUMPER_SECONDS + rules.BUMPER_TOLERANCE:
            if abs(d - rules.BUMPER_SECONDS) > rules.BUMPER_TOLERANCE:
                out.append(("spec.duration", f"The ad is {d:.1f} s: a video this short runs on {spec.label} as a bumper ad, "
                            f"which must be exactly {rules.BUMPER_SECONDS:g} s.", False))
        elif spec.bumper and d < rules.SKIPPABLE_MIN_SECONDS:
            out.append(("spec.duration", f"The ad is {d:.1f} s: too long for a {rules.BUMPER_SECONDS:g} s bumper, and Google "
                        f"recommends at least {rules.SKIPPABLE_MIN_SECONDS:g} s for skippable in-stream ads.", True))
        elif spec.min_seconds is not None and d < spec.min_seconds:
            out.append(("spec.duration", f"The ad is {d:.1f} s; {spec.label} needs at least {spec.min_seconds:g} s.", False))
        if spec.max_seconds is not None and d > spec.max_seconds:
            out.append(("spec.duration", f"The ad is {d:.1f} s; {spec.label} takes at most {spec.max_seconds:g} s.", False))
        elif spec.recommended_max_seconds is not None and d > spec.recommended_max_seconds:
            out.append(("spec.duration", f"The ad is {d:.1f} s; {spec.label} plays or recommends at most "
                        f"{spec.recommended_max_seconds:g} s.", True))
    return out


def check_specs(ctx: Context) -> list[Draft]:
    """Every output file against every placement it may go to (:data:`policy_rules.PLACEMENT_SPECS`):
    ratio, size, codec, frame rate, file size, duration (bumper exactly 6 s, skippable ≥ 12 s,
    Reels ≤ 90 s, Stories ≤ 60 s …); loudness once per file. A chosen placement that no output fits
    is blocking. Sizes are the asset's recorded frame size (what the renderer wrote)."""
    out: list[Draft] = []
    for ratio, asset in ctx.assets.items():
        facts = _probe(asset)
        facts["width"] = int(asset.width or facts.get("width") or 0)
        facts["height"] = int(asset.height or facts.get("height") or 0)
        facts["duration"] = float(asset.duration_seconds or facts.get("duration") or 0)
        facts["bytes"] = int(asset.size_bytes or 0)
        for placement, explicit in ctx.placements.items():
            spec = rules.PLACEMENT_SPECS[placement]
            if ratio not in spec.ratios:
                continue
            for rule, message, always_warning in _spec_problems(spec, ratio, facts):
                severity = Severity.BLOCKING if explicit and not always_warning else Severity.WARNING
                out.append(Draft(rule, severity, message, spec.sources[0], aspect_ratio=ratio, placement=placement, field="file"))
        lufs, peak = facts.get("integrated_lufs"), facts.get("true_peak_dbtp")
        if isinstance(lufs, (int, float)) and abs(lufs - rules.TARGET_LUFS) > rules.LUFS_TOLERANCE:
            out.append(Draft("spec.loudness", Severity.WARNING,
                             f"The {ratio} file's loudness is {lufs:.1f} LUFS; aim for {rules.TARGET_LUFS:g} ± "
                             f"{rules.LUFS_TOLERANCE:g} LUFS (platforms turn louder ads down, quieter ones sound weak).",
                             rules.YOUTUBE_UPLOAD_ENCODING, aspect_ratio=ratio, field="audio", excerpt=f"{lufs:.1f} LUFS"))
        if isinstance(peak, (int, float)) and peak > rules.MAX_TRUE_PEAK:
            out.append(Draft("spec.true_peak", Severity.WARNING,
                             f"The {ratio} file peaks at {peak:.1f} dBTP; keep true peak at or below {rules.MAX_TRUE_PEAK:g} dBTP "
                             "so it does not distort after the platform's encoding.",
                             rules.YOUTUBE_UPLOAD_ENCODING, aspect_ratio=ratio, field="audio", excerpt=f"{peak:.1f} dBTP"))
    for placement, explicit in ctx.placements.items():
        spec = rules.PLACEMENT_SPECS[placement]
        if explicit and not set(spec.ratios) & set(ctx.assets):
            out.append(Draft("spec.no_format", Severity.BLOCKING,
                             f"An ad set places this ad on {spec.label}, which needs a {' or '.join(spec.ratios)} file; "
                             f"this render has {', '.join(ctx.assets) or 'no files'}. Add the format and re-render.",
                             spec.sources[0], placement=placement, field="file"))
    return out


RULES: tuple[tuple[str, Callable[[Context], list[Draft]]], ...] = (
    ("claims", check_claims),
    ("special ad categories", check_special_categories),
    ("landing URL", check_landing_url),
    ("safe zones", check_safe_zones),
    ("file specs", check_specs),
)


def run_rules(ctx: Context) -> list[Draft]:
    """Every rule's drafts, each distinct finding once; a rule that crashes becomes a
    ``policy.check_failed`` warning (and is logged)."""
    drafts: list[Draft] = []
    for title, fn in RULES:
        try:
            drafts.extend(fn(ctx))
        except Exception as exc:  # a broken rule must not hide the others nor stop a submit
            logger.exception("policy rule %s failed on render %s", title, ctx.render.pk)
            drafts.append(Draft("policy.check_failed", Severity.WARNING,
                                f"The {title} check could not run ({type(exc).__name__}); run the check again or "
                                "review this by hand.", excerpt=title))
    unique: dict[str, Draft] = {}
    for d in drafts:
        unique.setdefault(d.fingerprint, d)
    return list(unique.values())
