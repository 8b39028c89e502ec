"""Brief → scene plan. Two backends behind :func:`plan_scenes`: deterministic rules (default) and
an OpenAI-compatible chat endpoint (``KOLONY_LLM_URL`` / ``KOLONY_LLM_MODEL``) that falls back to
the rules after one failed repair attempt."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from videogen.engine.brief import Brief
from videogen.engine.planner.llm import LLMAttempt, LLMPlanError, plan_with_llm
from videogen.engine.planner.rules import plan_with_rules
from videogen.engine.planner.schema import Scene, ScenePlan, Visual

__all__ = ["Scene", "ScenePlan", "Visual", "PlanResult", "plan_scenes", "llm_settings"]


@dataclass
class PlanResult:
    """The plan plus how it was made: ``backend`` used ("rules" or "llm"), the requests tried,
    and ``fallback_reason`` when the LLM failed and the rules stepped in."""

    plan: ScenePlan
    backend: str
    attempts: list[LLMAttempt] = field(default_factory=list)
    fallback_reason: str | None = None

    def to_trace(self) -> dict:
        return {
            "backend": self.backend,
            "planner": self.plan.planner,
            "retries": max(0, len(self.attempts) - 1),
            "attempts": [asdict(a) for a in self.attempts],
            "fallback": ({"to": "rules", "reason": self.fallback_reason} if self.fallback_reason else None),
        }


def llm_settings(environ: Mapping[str, str] | None = None) -> dict:
    """``{"url", "model", "api_key", "timeout"}`` of the LLM endpoint from ``environ`` (default
    ``os.environ``): ``KOLONY_LLM_URL``, ``KOLONY_LLM_MODEL`` (default "default"),
    ``KOLONY_LLM_API_KEY``, ``KOLONY_LLM_TIMEOUT`` (seconds, default 20). The engine reads no
    Django settings: the Studio passes its own endpoint as ``plan_scenes(..., llm=...)``
    (see ``videogen.services.llm_endpoint``)."""
    env = os.environ if environ is None else environ
    return {
        "url": env.get("KOLONY_LLM_URL", ""),
        "model": env.get("KOLONY_LLM_MODEL", "") or "default",
        "api_key": env.get("KOLONY_LLM_API_KEY", ""),
        "timeout": float(env.get("KOLONY_LLM_TIMEOUT", "") or 20),
    }


def plan_scenes(brief: Brief, *, backend: str | None = None, llm: dict | None = None) -> PlanResult:
    """Plan the scenes of ``brief``.

    ``backend``: "rules", "llm", or None (LLM when an endpoint url is known, else rules).
    ``llm``: the endpoint (keys url, model, api_key, timeout); None: :func:`llm_settings` from the
    environment. A dict given replaces the environment entirely, so a Studio without an LLM url
    gets the rules even when the process environment names one. The LLM path never
    raises: after two failed requests it returns the rule-based plan with ``fallback_reason`` set.
    """
    cfg = llm_settings() if llm is None else {**llm_settings({}), **llm}
    if backend is None:
        backend = "llm" if cfg["url"] else "rules"
    if backend == "rules":
        return PlanResult(plan=plan_with_rules(brief), backend="rules")
    if backend != "llm":
        raise ValueError(f"unknown planner backend {backend!r}; expected 'rules' or 'llm'")
    if not cfg["url"]:
        return PlanResult(plan=plan_with_rules(brief), backend="rules", fallback_reason="no LLM endpoint is set (KOLONY_LLM_URL)")
    attempts: list[LLMAttempt] = []
    try:
        plan = plan_with_llm(brief, url=cfg["url"], model=cfg["model"], api_key=cfg["api_key"],
                             timeout=cfg["timeout"], attempts_out=attempts)
        return PlanResult(plan=plan, backend="llm", attempts=attempts)
    except LLMPlanError as exc:
        return PlanResult(plan=plan_with_rules(brief), backend="rules", attempts=attempts,
                          fallback_reason=f"LLM planner failed after {len(attempts)} attempts: {exc}")
