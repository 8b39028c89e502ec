"""The one rate table of the project: what a render costs in USD.

A render's cost is CPU-seconds (the render worker's wall time) plus GPU-seconds (generated scenes,
as the GPU worker reports them) plus LLM tokens (the AI planner), each times its price. The trace's
``cost_estimate`` and ``Render.performance["cost_usd"]`` both come from :func:`cost_estimate`, and
nothing else in the code base holds a price (``tests/unit/core/test_one_helper_per_rule.py``).

Default prices (USD), each overridable by an environment variable read at call time (so a worker
and the web app agree as long as they share the environment; see ``.env.example``):

- CPU second: $0.00002 — a 2-vCPU cloud worker at about $0.07/h (``KOLONY_PRICE_CPU_USD_PER_SECOND``);
- GPU second: $0.00025 — a 24 GB L4-class cloud GPU at about $0.90/h (``KOLONY_PRICE_GPU_USD_PER_SECOND``);
- 1,000 LLM tokens: $0.0005 — a small hosted chat model's list price (``KOLONY_PRICE_LLM_USD_PER_1K_TOKENS``).

Django-free (the engine never imports the Studio).
"""

from __future__ import annotations

import os

CPU_COST_PER_SECOND = 0.00002
GPU_COST_PER_SECOND = 0.00025
LLM_COST_PER_1K_TOKENS = 0.0005

#: rate name → (default USD, environment variable that overrides it)
RATE_TABLE: dict[str, tuple[float, str]] = {
    "cpu_usd_per_second": (CPU_COST_PER_SECOND, "KOLONY_PRICE_CPU_USD_PER_SECOND"),
    "gpu_usd_per_second": (GPU_COST_PER_SECOND, "KOLONY_PRICE_GPU_USD_PER_SECOND"),
    "llm_usd_per_1k_tokens": (LLM_COST_PER_1K_TOKENS, "KOLONY_PRICE_LLM_USD_PER_1K_TOKENS"),
}


def rates() -> dict[str, float]:
    """The prices in force: ``{"cpu_usd_per_second", "gpu_usd_per_second", "llm_usd_per_1k_tokens"}``
    (USD). Raises ValueError naming the variable when an override is not a non-negative number."""
    out = {}
    for name, (default, var) in RATE_TABLE.items():
        raw = os.environ.get(var, "").strip()
        if not raw:
            out[name] = default
            continue
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{var}: expected a price in USD (a number ≥ 0), got {raw!r}") from None
        if not value >= 0:
            raise ValueError(f"{var}: expected a price in USD (a number ≥ 0), got {raw!r}")
        out[name] = value
    return out


def cost_estimate(cpu_seconds: float, llm_tokens: int = 0, gpu_seconds: float = 0.0) -> dict:
    """The estimated cost of a render: ``{"usd", "basis", "cpu_seconds", "gpu_seconds", "llm_tokens",
    "rates"}`` — ``usd`` rounded to 6 places, ``basis`` a sentence saying how (for people),
    ``rates`` the prices used (:func:`rates`). ``cpu_seconds``/``gpu_seconds`` are wall seconds
    (≥ 0), ``llm_tokens`` a token count."""
    r = rates()
    cpu, gpu, tokens = max(0.0, float(cpu_seconds)), max(0.0, float(gpu_seconds)), max(0, int(llm_tokens))
    usd = cpu * r["cpu_usd_per_second"] + gpu * r["gpu_usd_per_second"] + tokens / 1000 * r["llm_usd_per_1k_tokens"]
    basis = f"{cpu:.1f} s CPU wall time × ${r['cpu_usd_per_second']}/s"
    if gpu:
        basis += f" + {gpu:.1f} GPU-seconds × ${r['gpu_usd_per_second']}/s"
    basis += f" + {tokens} LLM tokens × ${r['llm_usd_per_1k_tokens']}/1k"
    return {"usd": round(usd, 6), "basis": basis, "cpu_seconds": round(cpu, 3), "gpu_seconds": round(gpu, 3),
            "llm_tokens": tokens, "rates": r}
