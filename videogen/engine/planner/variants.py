"""Creative variants: the alternatives ("levels") of one factor of an ad, for a test of 2–5
renders that differ in that factor only (issue 17).

:func:`propose_levels` is pure (no Django): from a brief and its scene plan it proposes ``n``
levels of ``factor``, the first being the **control** (what the plan has now), the others
alternatives made by rules — or, for the two copy factors (``hook``, ``call_to_action``), by the
LLM planner's endpoint when one is configured (``llm={"url": ...}``; any failure falls back to the
rules, and ``Level.source`` says which made each level).

Factors and what a level's ``value`` is:

- ``hook``: the hook scene's line (spoken and shown), e.g. ``"Tired of bitter coffee?"``; each
  carries a ``kind`` (:data:`HOOK_KINDS`, see :func:`hook_kind`) so results can be grouped
  ("question hooks beat statement hooks").
- ``voice``: an espeak-ng voice id (``"en-gb+f3"``).
- ``call_to_action``: the call to action (≤ 40 characters), shown on the end card.
- ``music_mood``: a music mood of :mod:`videogen.engine.render.music` (``upbeat``, ``calm``…).
- ``layout_family``: ``full_bleed`` / ``split`` / ``card`` for every scene (:data:`schema.Layout`).
- ``first_scene_image``: the index (as a string) into ``brief.images`` shown by the first scene.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import get_args

from videogen.engine.brief import Brief
from videogen.engine.planner import copy as cp
from videogen.engine.planner.rules import max_words
from videogen.engine.planner.schema import Layout, ScenePlan

FACTORS = ("hook", "voice", "call_to_action", "music_mood", "layout_family", "first_scene_image")
MIN_LEVELS, MAX_LEVELS = 2, 5
#: Hook styles, after the usual direct-response hook types (question, bold statement, offer,
#: curiosity, urgency); :func:`hook_kind` tells them apart.
HOOK_KINDS = ("question", "statement", "offer", "curiosity", "urgency")
#: Calls to action close to the platforms' own CTA buttons (Meta's "Shop now", "Learn more",
#: "Order now", "Sign up", "Get offer"; Google's "Shop now", "Learn more", "Sign up").
CALLS_TO_ACTION = ("Shop now", "Learn more", "Order today", "Get the offer", "Try it today", "Sign up")
#: The style's own music mood (``music.mood = "auto"``): the beds of render/music.py MOODS.
STYLE_MOODS = {"vibrant": "upbeat", "casual": "warm", "minimalist": "calm", "corporate": "confident", "professional": "serious"}
MUSIC_MOODS = ("upbeat", "warm", "calm", "confident", "serious")
LAYOUTS: tuple[str, ...] = get_args(Layout)
#: espeak-ng voices offered by default per language prefix when the Studio passes no list.
DEFAULT_VOICES = {"en": ("en-us", "en-gb", "en-us+f3", "en-gb+m3", "en-us+m7")}


@dataclass(frozen=True)
class Level:
    """One alternative of a factor. ``value``: what the variant uses (see the module docstring);
    ``label``: how people see it; ``kind``: the hook style (hooks only, else ``""``); ``source``:
    ``control`` (the plan's current value), ``rules``, ``llm`` or ``user`` (typed by the marketer)."""

    value: str
    label: str
    kind: str = ""
    source: str = "rules"

    def to_dict(self) -> dict:
        return asdict(self)


def hook_kind(line: str) -> str:
    """The hook style of ``line``: ``question`` (ends with ``?``), ``offer`` (a price, %, "free",
    "off"… — :func:`videogen.engine.planner.copy.is_offer`), ``urgency`` ("now", "today", "last",
    "don't miss", "stop"), ``curiosity`` ("why", "how", "secret", "this is"), else ``statement``."""
    text = " ".join((line or "").split()).lower()
    if text.endswith("?"):
        return "question"
    if cp.is_offer(re.sub(r"\b(today|this week|limited)\b", "", text)):
        return "offer"
    if re.search(r"\b(now|today|last chance|don'?t miss|stop|hurry)\b", text):
        return "urgency"
    if re.search(r"\b(why|how|secret|this is|here's|what)\b", text):
        return "curiosity"
    return "statement"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def hook_line(brief: Brief, kind: str) -> str:
    """A hook line of ``kind`` for ``brief`` by rules (English briefs; other languages get the
    product name with the lead benefit for every kind)."""
    p = brief.product_name
    points = cp.clauses(brief.text_prompt) or [brief.text_prompt]
    benefits = [c for c in points if not cp.is_offer(c)] or points
    offers = [c for c in points if cp.is_offer(c)]
    lead = cp.headline(benefits[0], 8).rstrip(".!?")
    if not brief.language.startswith("en"):
        return f"{p}. {lead}."
    lines = {
        "question": f"Want {_lower_first(lead)}?",
        "statement": f"Meet {p}. {lead}.",
        "offer": f"{cp.headline(offers[0], 8).rstrip('.!?')}: {p}." if offers else f"Try {p} today, on us.",
        "curiosity": f"Here's why people switch to {p}.",
        "urgency": f"Stop scrolling: {p} is here.",
    }
    return lines[kind]


def hook_texts(line: str) -> tuple[str, str]:
    """``(voiceover, on_screen_text)`` of a hook scene saying ``line``: spoken whole, shown whole
    when it is at most 8 words, else as an 8-word headline."""
    line = " ".join(line.split())
    shown = line if cp.word_count(line) <= 8 else cp.headline(line, 8)
    return line[:400], shown[:120]


def _hook_scene(plan: ScenePlan):
    return next((s for s in plan.scenes if s.role == "hook"), plan.scenes[0])


def current_value(brief: Brief, plan: ScenePlan, factor: str) -> str:
    """What the plan (or brief) has now for ``factor``: the control level's value."""
    if factor == "hook":
        scene = _hook_scene(plan)
        return scene.voiceover or scene.on_screen_text
    if factor == "voice":
        return brief.voice.voice
    if factor == "call_to_action":
        return brief.call_to_action
    if factor == "music_mood":
        return STYLE_MOODS.get(brief.style, "upbeat") if brief.music.mood == "auto" else brief.music.mood
    if factor == "layout_family":
        layouts: list[str] = [s.layout for s in plan.scenes if s.layout]
        return max(LAYOUTS, key=lambda name: layouts.count(name)) if layouts else "full_bleed"
    if factor == "first_scene_image":
        index = plan.scenes[0].visual.image_index
        return str(index if index is not None else 0)
    raise ValueError(f"unknown factor {factor!r}; expected one of {', '.join(FACTORS)}")


def level_label(factor: str, value: str) -> str:
    """How a level reads in lists and ad names: the line itself for copy, a readable name else."""
    if factor == "music_mood":
        return value.capitalize()
    if factor == "layout_family":
        return {"full_bleed": "Full bleed", "split": "Split", "card": "Card"}.get(value, value)
    if factor == "first_scene_image":
        return f"Photo {int(value) + 1}" if value.isdigit() else value
    return value


def _fits(brief: Brief, plan: ScenePlan, line: str) -> bool:
    scene = _hook_scene(plan)
    return cp.word_count(line) <= max_words(scene.duration, brief.voice.rate_wpm)


def _rule_alternatives(brief: Brief, plan: ScenePlan, factor: str, *, voices: list[str] | None, control: str) -> list[Level]:
    if factor == "hook":
        out = []
        for kind in HOOK_KINDS:
            line = hook_line(brief, kind)
            out.append((not _fits(brief, plan, line), Level(line, line, kind=kind)))
        return [lv for _, lv in sorted(out, key=lambda t: t[0])]  # lines that fit the hook scene first, stable
    if factor == "voice":
        pool = voices or list(DEFAULT_VOICES.get(brief.language.split("-")[0], (brief.voice.voice,)))
        return [Level(v, v) for v in pool]
    if factor == "call_to_action":
        return [Level(c, c) for c in CALLS_TO_ACTION]
    if factor == "music_mood":
        return [Level(m, level_label(factor, m)) for m in MUSIC_MOODS]
    if factor == "layout_family":
        return [Level(layout, level_label(factor, layout)) for layout in LAYOUTS]
    if factor == "first_scene_image":
        return [Level(str(i), level_label(factor, str(i))) for i in range(len(brief.images))]
    raise ValueError(f"unknown factor {factor!r}; expected one of {', '.join(FACTORS)}")


LLM_PROMPT = """You write alternatives for one element of a short video ad, for an A/B test.
Answer with one JSON object only: {"levels": [{"value": "text", "kind": "question|statement|offer|curiosity|urgency"}]}.
Each value must differ clearly from the current one and from each other, in the brief's language."""


def _llm_alternatives(brief: Brief, plan: ScenePlan, factor: str, n: int, control: str, llm: dict) -> list[Level]:
    """Alternatives from the chat endpoint (as :mod:`videogen.engine.planner.llm` calls it: one
    request, ``temperature`` 0, the brief's seed). Returns [] on any failure (the caller falls back)."""
    import requests

    from videogen.engine.planner.llm import _endpoint, _extract_json

    limit = 40 if factor == "call_to_action" else 120
    what = ("the hook: the first spoken line, that stops the scroll, at most "
            f"{int(max_words(_hook_scene(plan).duration, brief.voice.rate_wpm))} words") if factor == "hook" else \
        "the call to action button text, at most 4 words"
    user = {"element": what, "current": control, "count": n,
            "brief": brief.model_dump(mode="json", include={"product_name", "text_prompt", "language", "call_to_action", "style"})}
    headers = {"Content-Type": "application/json"}
    if llm.get("api_key"):
        headers["Authorization"] = f"Bearer {llm['api_key']}"
    try:
        resp = requests.post(_endpoint(llm["url"]), headers=headers, timeout=float(llm.get("timeout") or 20), json={
            "model": llm.get("model") or "default", "temperature": 0, "seed": brief.seed,
            "response_format": {"type": "json_object"},
            "messages": [{"role": "system", "content": LLM_PROMPT}, {"role": "user", "content": json.dumps(user, ensure_ascii=False)}]})
        if resp.status_code != 200:
            return []
        raw = _extract_json(resp.json()["choices"][0]["message"]["content"])
        out = []
        for item in raw.get("levels", [])[:n]:
            value = " ".join(str(item.get("value", "")).split())[:limit] if isinstance(item, dict) else ""
            if value:
                out.append(Level(value, value, kind=hook_kind(value) if factor == "hook" else "", source="llm"))
        return out
    except (requests.RequestException, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return []


def propose_levels(brief: Brief, plan: ScenePlan, factor: str, n: int, *, voices: list[str] | None = None,
                   llm: dict | None = None) -> list[Level]:
    """``n`` levels (2–5) of ``factor`` for a variant test of ``brief``/``plan``: the control (the
    plan's current value, ``source="control"``) first, then distinct alternatives.

    ``voices``: the voice ids to choose from (the Studio passes its curated voices); ``llm``:
    ``{"url", "model", "api_key", "timeout"}`` of an OpenAI-compatible endpoint, used for ``hook``
    and ``call_to_action`` (rules fill whatever it does not give). Fewer than ``n`` levels come
    back when the factor has fewer values (3 layout families; one per photo of the brief).
    Raises ValueError for an unknown factor or ``n`` outside 2–5."""
    if factor not in FACTORS:
        raise ValueError(f"unknown factor {factor!r}; expected one of {', '.join(FACTORS)}")
    if not MIN_LEVELS <= int(n) <= MAX_LEVELS:
        raise ValueError(f"a variant test has {MIN_LEVELS}–{MAX_LEVELS} levels (got {n})")
    control = current_value(brief, plan, factor)
    levels = [Level(control, level_label(factor, control), kind=hook_kind(control) if factor == "hook" else "", source="control")]
    candidates: list[Level] = []
    if llm and llm.get("url") and factor in ("hook", "call_to_action"):
        candidates += _llm_alternatives(brief, plan, factor, n - 1, control, llm)
    candidates += _rule_alternatives(brief, plan, factor, voices=voices, control=control)
    seen = {control.casefold()}
    kinds = {levels[0].kind}
    for lv in candidates:
        if len(levels) >= n:
            break
        if lv.value.casefold() in seen or (factor == "hook" and lv.kind in kinds and lv.source == "rules"):
            continue  # one line per hook style, so the test compares styles
        seen.add(lv.value.casefold())
        kinds.add(lv.kind)
        levels.append(lv)
    return levels
