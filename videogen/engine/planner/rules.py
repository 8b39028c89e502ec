"""Deterministic rule-based planner (the default backend).

Structure follows the common direct-response ad arc: hook → benefits → product → offer → end
card with call to action. Scene count scales with duration (4 scenes for a 6 s bumper, up to 8).
Voiceover lines are shortened to what fits each scene at the brief's speaking rate by rephrasing
or dropping whole clauses (``planner/copy.py``), never inside the product name, the call to action,
a price, a percentage or a URL, and never so that a line ends on a stop word.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from videogen.engine.brief import Brief, load_image
from videogen.engine.planner import copy as cp
from videogen.engine.planner.schema import (
    MAX_SCENES,
    MIN_SCENES,
    Motion,
    Scene,
    ScenePlan,
    SceneRole,
    TextAnimation,
    Transition,
    Visual,
    quantize_durations,
)
from videogen.engine.render.music import music_look, snap_to_beats
from videogen.engine.render.styles import assign_layouts, make_look

FPS = 30
VOICE_LEAD_IN = 0.25  # seconds of silence before a scene's voiceover starts
VOICE_TAIL = 0.3  # seconds left free at a scene's end

STYLE_TRANSITIONS: dict[str, list[Transition]] = {
    "vibrant": ["slideleft", "smoothleft", "circleopen", "slideup"],
    "casual": ["slideup", "smoothleft", "fade"],
    "minimalist": ["dissolve", "fade"],
    "professional": ["fade", "wipeleft", "smoothleft"],
    "corporate": ["wipeleft", "fade", "fadeblack"],
}
STYLE_TEXT_ANIMATION: dict[str, list[TextAnimation]] = {
    "vibrant": ["pop", "slide_up"],
    "casual": ["pop", "slide_up"],
    "minimalist": ["fade"],
    "professional": ["slide_up", "fade"],
    "corporate": ["slide_up"],
}
MOTIONS: list[Motion] = ["pan_right", "pan_left", "pan_up", "pan_right", "pan_left"]  # pans are cheap (crop); the hook zooms
CUT_OFFSET = 7 / FPS  # half the compositor's 14-frame cross-fade: the middle of a transition is the cut

HOOK_TEMPLATES = {
    "marketing_video": "Meet {p}.",
    "explainer": "Here's how {p} works.",
    "product_demo": "This is {p}.",
    "social_media": "You need to see {p}.",
    "story": "Every great day starts somewhere. Ours starts with {p}.",
}


def scene_count(duration: float) -> int:
    """4 scenes for 6–13 s, one more per ~3 s after that, at most 8 (30 s and longer)."""
    return max(MIN_SCENES, min(MAX_SCENES, round(duration / 3.0)))


def frames(seconds: float) -> int:
    return int(round(seconds * FPS))


def split_durations(total: float, roles: Sequence[str]) -> list[float]:
    """Split ``total`` seconds over ``roles``: the end card gets 20 % (1.5–4 s), the hook a bit
    less than the rest. Durations are multiples of 0.1 s (whole frames at 30 fps, and steps of the
    Studio's Seconds field) and add up to ``total`` rounded to 0.1 s (exactly, for whole seconds)."""
    end = max(1.5, min(4.0, total * 0.2))
    weights = [0.85 if r == "hook" else 1.1 if r == "product" else 1.0 for r in roles[:-1]]
    rest = total - end
    return quantize_durations([rest * w / sum(weights) for w in weights] + [end], total)


def max_words(duration: float, rate_wpm: int) -> float:
    """Words that fit in a scene of ``duration`` seconds at ``rate_wpm`` words per minute."""
    return max(1.0, rate_wpm / 60.0 * max(0.5, duration - VOICE_LEAD_IN - VOICE_TAIL) * 0.92)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?。！？" else text + "."


def plan_with_rules(brief: Brief) -> ScenePlan:
    """Brief → :class:`ScenePlan`, deterministically from ``brief.seed``. Never raises for a valid brief."""
    rng = random.Random(brief.seed)  # noqa: S311 - seeded for reproducible output, not for security
    english = brief.language.startswith("en")
    p = brief.product_name
    lang = brief.language
    protect = (p, brief.call_to_action)  # atomic: never cut (planner/copy.py)
    points = cp.clauses(brief.text_prompt)
    if brief.source_text:
        points += [s for s in cp.summarize(brief.source_text, brief.product_name + " " + brief.text_prompt, 4)]
    offers = [c for c in points if cp.is_offer(c)]
    benefits = [c for c in points if not cp.is_offer(c)] or [brief.text_prompt]

    n = scene_count(brief.duration)
    middle = n - 2  # between hook and end card
    roles: list[SceneRole] = ["hook"]
    has_offer = bool(offers) and middle >= 2
    n_benefit = middle - (1 if has_offer else 0) - (1 if middle >= 3 else 0)
    roles += ["benefit"] * n_benefit
    if middle >= 3:
        roles.append("product")
    if has_offer:
        roles.append("offer")
    roles.append("end_card")
    durations = split_durations(brief.duration, roles)
    look = make_look(brief.style, brief.brand.colors)
    bed = music_look(look, brief.music.mood, brief.music.tempo_bpm)
    if bed is not None:  # cuts on the beat of the music bed made for this ad
        durations = snap_to_beats(durations, bed.music_bpm, offset=CUT_OFFSET)

    transitions = STYLE_TRANSITIONS[brief.style]
    animations = STYLE_TEXT_ANIMATION[brief.style]
    n_images = len(brief.images)
    scenes: list[Scene] = []
    b_i = 0
    img_i = 0
    clip_i = 0
    script = list(brief.script or [])
    for i, (role, dur) in enumerate(zip(roles, durations, strict=True)):
        budget = max_words(dur, brief.voice.rate_wpm)
        visual = Visual(source="solid_brand")
        if role in ("hook", "benefit") and clip_i < len(brief.clips):
            # each uploaded clip is shown once, in order, by the opening scenes
            visual = Visual(source="uploaded_clip", clip_index=clip_i, image_index=0 if n_images else None)
            clip_i += 1
        elif role in ("hook", "benefit", "product") and n_images:
            visual = Visual(source="product_image", image_index=img_i % n_images)
            img_i += 1
        elif role == "offer" and n_images and brief.style in ("minimalist", "professional"):
            visual = Visual(source="product_image", image_index=img_i % n_images)
        sub = ""
        if role == "hook":
            lead = benefits[0]
            text = p
            sub = cp.headline(lead, 7, lang=lang, protect=protect)
            # the longest intro that fits the scene: the template, "Meet {p}.", the name alone
            intros = [HOOK_TEMPLATES[brief.request_type].format(p=p), f"Meet {p}.", f"{p}."] if english else [f"{p}."]
            intro = cp.first_fitting(intros, budget) or intros[-1]
            # the hook's line: the intro, plus the lead benefit when it fits whole
            vo = intro + " " + _sentence(lead) if cp.word_count(intro + " " + lead) <= budget else intro
        elif role == "benefit":
            b = benefits[(b_i + 1) % len(benefits)] if len(benefits) > 1 else benefits[0]
            b_i += 1
            text = cp.headline(b, 5, lang=lang, protect=protect)
            vo = _sentence(b)
        elif role == "product":
            text = p
            sub = cp.headline(benefits[0] if len(benefits) == 1 else benefits[-1], 6, lang=lang, protect=protect)
            vo = f"{p}. {_sentence(sub)}" if cp.word_count(f"{p} {sub}") <= budget else f"{p}." 
            if brief.request_type == "product_demo" and english:
                vo = cp.first_fitting([f"See {p} in action."], budget) or f"{p}."
        elif role == "offer":
            text = cp.headline(offers[0], 6, lang=lang, protect=protect)
            sub = brief.call_to_action if english else ""
            vo = _sentence(offers[0])
        else:
            text = brief.call_to_action
            sub = brief.display_url
            vo = _sentence(f"{brief.call_to_action} at {brief.display_url}" if (english and brief.display_url) else brief.call_to_action)
        if script:
            if role == "end_card" or len(script) == 1 or i == n - 1:
                vo = " ".join(script)
                script = []
            else:
                vo = script.pop(0)
        elif role != "end_card":
            vo = cp.fit_words(vo, budget, lang=lang, protect=protect)
            if vo and vo[-1] not in ".!?。！？":
                vo += "."
        scenes.append(
            Scene(
                id=f"s{i + 1}",
                role=role,
                duration=dur,
                voiceover=cp.fit_chars(vo, 400, lang=lang, protect=protect),
                on_screen_text=cp.fit_chars(text, 120, lang=lang, protect=protect),
                subtext=cp.fit_chars(sub, 160, lang=lang, protect=protect),
                visual=visual,
                motion="static" if role == "end_card" else "zoom_in" if role == "hook" else rng.choice(MOTIONS),
                text_animation=animations[0] if role in ("hook", "end_card") else rng.choice(animations),
                transition=rng.choice(transitions),
            )
        )
    layouts = assign_layouts([s.role for s in scenes], [s.visual.source for s in scenes], [None] * len(scenes), look.layouts)
    subjects: dict[int, tuple[float, float]] = {}
    for i, (scene, layout) in enumerate(zip(scenes, layouts, strict=True)):
        scene.layout = layout  # type: ignore[assignment]
        if scene.visual.source == "product_image" and scene.role != "hook":
            k = scene.visual.image_index or 0
            if k not in subjects:
                subjects[k] = _subject(brief, k)
            scene.motion = motion_toward(subjects[k], i)
    return ScenePlan(planner="rules", seed=brief.seed, scenes=scenes)


def _subject(brief: Brief, k: int) -> tuple[float, float]:
    from videogen.engine.render.layers import find_subject

    try:
        return find_subject(load_image(brief.images[k])).center
    except (OSError, ValueError):
        return (0.5, 0.5)


def motion_toward(subject: tuple[float, float], index: int) -> Motion:
    """The camera move for a photo scene whose subject's centre is at ``subject`` (fractions of
    the photo): a pan toward the side the subject is off-centre to (horizontal or vertical,
    whichever is larger; "pan_up" ends on the top). A centred subject (within 6 %) alternates
    right and left by scene ``index``, so consecutive scenes move differently."""
    dx, dy = subject[0] - 0.5, subject[1] - 0.5
    if max(abs(dx), abs(dy)) < 0.06 or (abs(dy) > abs(dx) and dy > 0):
        return "pan_right" if index % 2 else "pan_left"
    if abs(dx) >= abs(dy):
        return "pan_right" if dx > 0 else "pan_left"
    return "pan_up"
