"""The engine's variant proposals (videogen/engine/planner/variants.py) and learnings → plan
(videogen/engine/planner/learnings.py): pure functions, no database."""

from typing import Any

import pytest

from tests.unit.videogen.test_llm_planner import StandIn
from videogen.engine.brief import brief_from_dict
from videogen.engine.planner.learnings import Learning, apply_learnings
from videogen.engine.planner.rules import plan_with_rules
from videogen.engine.planner.variants import FACTORS, HOOK_KINDS, hook_kind, propose_levels


@pytest.fixture
def brief(brief_data, brief_dir):
    brief_data["images"] = ["coffee.png", "rocket.jpg"]
    return brief_from_dict(brief_data, brief_dir)


@pytest.mark.parametrize("factor", FACTORS)
@pytest.mark.parametrize("n", [2, 3, 5])
def test_every_factor_proposes_the_control_first_then_distinct_alternatives(brief, factor, n):
    plan = plan_with_rules(brief)
    levels = propose_levels(brief, plan, factor, n)
    cap = {"layout_family": 3, "first_scene_image": 2}.get(factor, 5)
    assert len(levels) == min(n, cap)
    assert levels[0].source == "control"
    assert all(lv.source == "rules" for lv in levels[1:])
    values = [lv.value.casefold() for lv in levels]
    assert len(set(values)) == len(values), values
    assert all(lv.value and lv.label for lv in levels)
    assert propose_levels(brief, plan, factor, n) == levels  # deterministic


def test_hook_levels_are_one_per_style(brief):
    levels = propose_levels(brief, plan_with_rules(brief), "hook", 5)
    assert sorted(lv.kind for lv in levels) == sorted(HOOK_KINDS)
    assert all(hook_kind(lv.value) == lv.kind for lv in levels)


@pytest.mark.parametrize("line, kind", [("Tired of bitter coffee?", "question"), ("20% off this week: Aurora.", "offer"),
                                        ("Stop scrolling: Aurora is here.", "urgency"), ("Here's why people switch.", "curiosity"),
                                        ("Meet Aurora. Smooth cold brew.", "statement"), ("Order today.", "urgency")])
def test_hook_kind(line, kind):
    assert hook_kind(line) == kind


@pytest.mark.parametrize("factor, n", [("tagline", 3), ("hook", 1), ("hook", 6)])
def test_bad_requests_are_refused(brief, factor, n):
    with pytest.raises(ValueError):
        propose_levels(brief, plan_with_rules(brief), factor, n)


def test_llm_alternatives_come_first_and_rules_fill_the_rest(brief):
    srv = StandIn([{"levels": [{"value": "Tired of bitter coffee?", "kind": "question"}, {"value": "Cold brew, zero wait."}]}])
    try:
        levels = propose_levels(brief, plan_with_rules(brief), "hook", 4, llm={"url": srv.url, "model": "m", "timeout": 5})
    finally:
        srv.close()
    assert [lv.source for lv in levels] == ["control", "llm", "llm", "rules"]
    assert levels[1].value == "Tired of bitter coffee?" and levels[1].kind == "question"
    assert srv.requests[0]["body"]["seed"] == brief.seed


def test_llm_failure_falls_back_to_rules(brief):
    srv = StandIn([500])
    try:
        levels = propose_levels(brief, plan_with_rules(brief), "call_to_action", 3, llm={"url": srv.url, "timeout": 5})
    finally:
        srv.close()
    assert [lv.source for lv in levels] == ["control", "rules", "rules"]


SURE: dict[str, Any] = dict(lift=0.18, ci_low=0.06, ci_high=0.31, tests=4)


def test_learnings_change_the_plan_and_say_why(brief):
    plan = plan_with_rules(brief)
    learnings = [Learning(factor="hook", level="question", beaten_level="statement", summary="Question hooks beat statement hooks", **SURE),
                 Learning(factor="call_to_action", level="Shop now", beaten_level=brief.call_to_action, **SURE),
                 Learning(factor="layout_family", level="card", **SURE),
                 {"factor": "music_mood", "level": "calm", **SURE}]
    new, notes = apply_learnings(plan, brief, learnings)
    assert {n["factor"] for n in notes} == {"hook", "call_to_action", "layout_family", "music_mood"}
    hook = next(s for s in new.scenes if s.role == "hook")
    assert hook_kind(hook.voiceover) == "question" and hook.voiceover != plan.scenes[0].voiceover
    end = new.scenes[-1]
    assert "Shop now" in end.on_screen_text and brief.call_to_action not in end.on_screen_text
    assert all(s.layout == "card" for s in new.scenes)
    for note in notes:
        assert note["badge"] == "based on 4 tests" and note["from"] != note["to"] and note["because"]
    by = {n["factor"]: n for n in notes}
    assert by["hook"]["scene"] == hook.id and by["hook"]["because"] == "Question hooks beat statement hooks"
    assert by["call_to_action"]["brief_field"] == "call_to_action" and by["music_mood"]["brief_field"] == "music.mood"
    assert plan.scenes[0].voiceover != hook.voiceover  # the input plan is untouched
    assert [s.layout for s in plan.scenes] == [s.layout for s in plan_with_rules(brief).scenes]  # layouts untouched too


@pytest.mark.parametrize("learning", [
    Learning(factor="hook", level="question", lift=0.1, ci_low=-0.02, ci_high=0.2, tests=3),  # not sure
    Learning(factor="hook", level="question", lift=0.1, ci_low=0.02, ci_high=0.2, tests=0),  # no finished test
    Learning(factor="first_scene_image", level="1", **SURE),  # photos differ from brief to brief
    Learning(factor="voice", level="fr-fr", **SURE),  # another language
])
def test_unsure_or_untransferable_learnings_change_nothing(brief, learning):
    plan = plan_with_rules(brief)
    new, notes = apply_learnings(plan, brief, [learning])
    assert notes == [] and new == plan
