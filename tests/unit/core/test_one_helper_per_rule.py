"""Each rule lives in one helper: the page-cache protocol (kolony.pagecache), the cost rate table
(videogen.engine.cost.cost_estimate), the service-error → form adapter (kolony.core.service_errors).
These checks read the source so that a fifth copy of a protocol fails the suite, not a review."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
APPS = ("kolony", "campaigns", "videogen", "billing")


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_only_the_page_cache_helper_talks_to_the_versioned_cache():
    users = sorted(name for name, text in _sources() if re.search(r"\bversioned_(get|set)\b", text))
    assert users == ["kolony/datacache.py", "kolony/pagecache.py"]


def test_one_cost_rate_table():
    """CPU, GPU and LLM prices live in videogen/engine/cost.py only (issue 15: one rate table)."""
    rates = sorted(name for name, text in _sources()
                   if re.search(r"(CPU|GPU|LLM)_COST\w*\s*=|/\s*3600\b.*cost|cost.*/\s*3600\b", text))
    assert rates == ["videogen/engine/cost.py"]


def test_one_service_error_adapter():
    adapters = sorted(name for name, text in _sources()
                      if re.search(r"def (apply_service_errors|_?errors_as_text|_flash_validation_error)\b", text))
    assert adapters in (["kolony/core/service_errors.py"], ["kolony/accounts/views.py", "kolony/core/service_errors.py"])
    # accounts' flash helper only forwards to the shared one
    flash = next((text for name, text in _sources() if name == "kolony/accounts/views.py"), "")
    if "def _flash_validation_error" in flash:
        body = flash.split("def _flash_validation_error", 1)[1].split("\ndef ", 1)[0]
        assert "errors_as_text(exc)" in body
