"""What won earlier tests feeds the next plan (issue 17): :func:`apply_learnings` takes a fresh
scene plan, its brief and the organization's learnings and starts the plan from the winning levels,
returning notes that say which learning changed which choice (the job's trace keeps them, the
storyboard shows "based on 4 tests — change it").

Pure engine code: learnings come in as plain :class:`Learning` dataclasses, dicts or any object
with the same attributes (the Studio passes ``campaigns.experiments.selectors.learnings_for``'s).

Rules (one per factor; the learning with the most tests wins, then the larger lift):

- only a **sure** learning counts: its lift's 95 % interval lies above zero (``ci_low > 0``) and
  it comes from at least one finished test;
- ``hook``: the hook is rewritten in the winning hook style (``level`` is a style of
  :data:`variants.HOOK_KINDS` or a line whose style :func:`variants.hook_kind` reads);
- ``call_to_action``, ``voice``, ``music_mood``: the brief field changes (``brief_field`` in the
  note; the Studio writes it into the stored brief) and the end card's call to action with it;
  a voice of another language than the brief's is skipped;
- ``layout_family``: every scene takes the winning layout;
- ``first_scene_image``: photos differ from brief to brief, so it is never carried over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from videogen.engine.brief import Brief
from videogen.engine.planner.schema import ScenePlan
from videogen.engine.planner.variants import (
    HOOK_KINDS,
    LAYOUTS,
    MUSIC_MOODS,
    current_value,
    hook_kind,
    hook_line,
    hook_texts,
    level_label,
)

BRIEF_FIELDS = {"call_to_action": "call_to_action", "voice": "voice.voice", "music_mood": "music.mood"}


@dataclass(frozen=True)
class Learning:
    """A level that beat another in finished tests. ``lift``, ``ci_low``, ``ci_high``: relative
    (0.18 = +18 %) on ``metric`` (``ctr``, ``thruplay_rate``…); ``tests``: finished tests behind it;
    ``summary``: the sentence the insights page shows."""

    factor: str
    level: str
    beaten_level: str = ""
    metric: str = "ctr"
    lift: float = 0.0
    ci_low: float = 0.0
    ci_high: float = 0.0
    tests: int = 1
    placement: str | None = None
    objective: str | None = None
    summary: str = ""


def _as_learning(obj: Any) -> Learning:
    if isinstance(obj, Learning):
        return obj
    get = obj.get if isinstance(obj, dict) else (lambda name, default=None: getattr(obj, name, default))
    return Learning(factor=str(get("factor", "")), level=str(get("level", "")), beaten_level=str(get("beaten_level", "") or ""),
                    metric=str(get("metric", "ctr") or "ctr"), lift=float(get("lift", 0) or 0),
                    ci_low=float(get("ci_low", 0) or 0), ci_high=float(get("ci_high", 0) or 0),
                    tests=int(get("tests", 1) or 0), placement=get("placement"), objective=get("objective"),
                    summary=str(get("summary", "") or ""))


def _note(learning: Learning, *, choice: str, before: str, after: str, scene: str | None = None,
          brief_field: str | None = None) -> dict:
    tests = learning.tests
    return {
        "factor": learning.factor, "choice": choice, "scene": scene, "brief_field": brief_field,
        "from": before, "to": after, "metric": learning.metric, "lift": learning.lift,
        "ci": [learning.ci_low, learning.ci_high], "tests": tests, "placement": learning.placement,
        "objective": learning.objective,
        "because": learning.summary or (f"{level_label(learning.factor, learning.level)} beat "
                                        f"{level_label(learning.factor, learning.beaten_level) or 'the others'} on "
                                        f"{learning.metric}: {learning.lift:+.0%}"),
        "badge": f"based on {tests} test{'s' if tests != 1 else ''}",
    }


def best_learnings(learnings) -> dict[str, Learning]:
    """The learning used per factor: sure ones only (``ci_low > 0``, ``tests ≥ 1``), most tests first, then lift."""
    best: dict[str, Learning] = {}
    for raw in learnings or []:
        lr = _as_learning(raw)
        if not lr.level or lr.tests < 1 or lr.ci_low <= 0:
            continue
        held = best.get(lr.factor)
        if held is None or (lr.tests, lr.lift) > (held.tests, held.lift):
            best[lr.factor] = lr
    return best


def apply_learnings(plan: ScenePlan, brief: Brief, learnings) -> tuple[ScenePlan, list[dict]]:
    """``plan`` started from the winning levels of ``learnings``, and one note per change:
    ``{"factor", "choice", "scene" (scene id or None), "brief_field" (dotted brief path or None),
    "from", "to", "metric", "lift", "ci", "tests", "placement", "objective", "because", "badge"}``.
    ``plan`` itself is not modified; with no sure learning the same plan comes back with no notes."""
    best = best_learnings(learnings)
    if not best:
        return plan, []
    out = plan.model_copy(deep=True)
    notes: list[dict] = []
    english = brief.language.startswith("en")
    if (lr := best.get("hook")) and english:
        kind = lr.level if lr.level in HOOK_KINDS else hook_kind(lr.level)
        scene = next((s for s in out.scenes if s.role == "hook"), out.scenes[0])
        before = scene.voiceover or scene.on_screen_text
        if hook_kind(before) != kind:
            line = hook_line(brief, kind)
            scene.voiceover, scene.on_screen_text = hook_texts(line)
            notes.append(_note(lr, choice=f"{kind} hook", before=before, after=line, scene=scene.id))
    if (lr := best.get("call_to_action")) and lr.level != brief.call_to_action and len(lr.level) <= 40:
        old = brief.call_to_action
        for scene in out.scenes:
            for field in ("on_screen_text", "subtext", "voiceover"):
                text = getattr(scene, field)
                if old and old in text:
                    setattr(scene, field, text.replace(old, lr.level)[:400 if field == "voiceover" else 120])
        end = next((s.id for s in out.scenes if s.role == "end_card"), None)
        notes.append(_note(lr, choice="call to action", before=old, after=lr.level, scene=end, brief_field=BRIEF_FIELDS["call_to_action"]))
    if (lr := best.get("voice")) and lr.level != brief.voice.voice and lr.level.split("-")[0] == brief.language.split("-")[0]:
        notes.append(_note(lr, choice="voice", before=brief.voice.voice, after=lr.level, brief_field=BRIEF_FIELDS["voice"]))
    if (lr := best.get("music_mood")) and lr.level in MUSIC_MOODS and lr.level != current_value(brief, plan, "music_mood"):
        notes.append(_note(lr, choice="music mood", before=current_value(brief, plan, "music_mood"), after=lr.level,
                           brief_field=BRIEF_FIELDS["music_mood"]))
    if (lr := best.get("layout_family")) and lr.level in LAYOUTS and any(s.layout != lr.level for s in out.scenes):
        before = current_value(brief, plan, "layout_family") if any(s.layout for s in plan.scenes) else "planner's choice"
        for scene in out.scenes:
            scene.layout = lr.level  # type: ignore[assignment]  # checked against LAYOUTS above
        notes.append(_note(lr, choice="layout", before=before, after=lr.level))
    return ScenePlan.model_validate(out.model_dump()), notes
