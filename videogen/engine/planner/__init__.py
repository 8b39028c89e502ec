"""Brief → scene plan. Two backends behind :func:`plan_scenes`: deterministic rules (default) and
an OpenAI-compatible chat endpoint (``KOLONY_LLM_URL`` / ``KOLONY_LLM_MODEL``) that falls back to
the rules after one failed repair attempt."""

from __future__ import annotations

import os
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


def llm_settings() -> dict:
    """``url``, ``model``, ``api_key``, ``timeout`` from Django settings when configured, else the
    environment (``KOLONY_LLM_URL``, ``KOLONY_LLM_MODEL``, ``KOLONY_LLM_API_KEY``, ``KOLONY_LLM_TIMEOUT``)."""
    def get(name, default=""):
        try:
            from django.conf import settings

            if settings.configured and hasattr(settings, name):
                return getattr(settings, name) or default
        except ImportError:
            pass
        return os.environ.get(name, default)

    return {
        "url": get("KOLONY_LLM_URL"),
        "model": get("KOLONY_LLM_MODEL") or "default",
        "api_key": get("KOLONY_LLM_API_KEY"),
        "timeout": float(get("KOLONY_LLM_TIMEOUT", "20") or 20),
    }


def plan_scenes(brief: Brief, *, backend: str | None = None, llm: dict | None = None) -> PlanResult:
    """Plan the scenes of ``brief``.

    ``backend``: "rules", "llm", or None (LLM when ``KOLONY_LLM_URL`` is set, else rules).
    ``llm`` overrides :func:`llm_settings` (keys url, model, api_key, timeout). The LLM path never
    raises: after two failed requests it returns the rule-based plan with ``fallback_reason`` set.
    """
    cfg = {**llm_settings(), **(llm or {})}
    if backend is None:
        backend = "llm" if cfg["url"] else "rules"
    if backend == "rules":
        return PlanResult(plan=plan_with_rules(brief), backend="rules")
    if backend != "llm":
        raise ValueError(f"unknown planner backend {backend!r}; expected 'rules' or 'llm'")
    if not cfg["url"]:
        return PlanResult(plan=plan_with_rules(brief), backend="rules", fallback_reason="KOLONY_LLM_URL is not set")
    attempts: list[LLMAttempt] = []
    try:
        plan = plan_with_llm(brief, url=cfg["url"], model=cfg["model"], api_key=cfg["api_key"],
                             timeout=cfg["timeout"], attempts_out=attempts)
        return PlanResult(plan=plan, backend="llm", attempts=attempts)
    except LLMPlanError as exc:
        return PlanResult(plan=plan_with_rules(brief), backend="rules", attempts=attempts,
                          fallback_reason=f"LLM planner failed after {len(attempts)} attempts: {exc}")
