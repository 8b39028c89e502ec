"""Render cost arithmetic and plan limits (no database): 1 credit = 1 delivered second per format."""

import pytest

from billing.models import Plan
from billing.services.gate import RenderEstimate, plan_limit_problem, render_cost


@pytest.mark.parametrize(("seconds", "formats", "credits"), [
    (15, 1, 15), (15, 2, 30), (14.2, 1, 15), (15.0000001, 4, 60), (6, 4, 24), (0, 3, 0), (8.01, 2, 18), (-3, 2, 0),
])
def test_cost_is_rounded_up_seconds_times_formats(seconds, formats, credits):
    assert render_cost(seconds=seconds, formats=formats) == credits


FREE = Plan(code="free", name="Free", max_ad_seconds=15, formats_allowed=["9:16", "1:1"], gpu_scenes_allowed=False)
PRO = Plan(code="pro", name="Pro", max_ad_seconds=60, formats_allowed=[], gpu_scenes_allowed=True)


@pytest.mark.parametrize(("plan", "estimate", "expected"), [
    (FREE, RenderEstimate(15, ("9:16",), 0), ""),
    (FREE, RenderEstimate(15.5, ("9:16",), 0), "up to 15 s; this plan is 15.5 s. Shorten the scenes or upgrade the plan."),
    (FREE, RenderEstimate(10, ("9:16", "4:5", "16:9"), 0), "also asks for 4:5, 16:9"),
    (FREE, RenderEstimate(10, ("1:1",), 2), "no generated (GPU) scenes; 2 scene(s)"),
    (PRO, RenderEstimate(61, ("1:1",), 0),
     "The Pro plan renders ads up to 60 s; this plan is 61 s. Shorten the scenes or choose a larger plan."),
    (PRO, RenderEstimate(60, ("9:16", "1:1", "4:5", "16:9"), 5), ""),
])
def test_plan_limits_name_the_plan_and_what_to_do(plan, estimate, expected):
    problem = plan_limit_problem(plan=plan, estimate=estimate)
    assert (problem == "") if expected == "" else (expected in problem and plan.name in problem)


def test_estimate_credits():
    assert RenderEstimate(8, ("9:16", "1:1"), 0).credits == 16
