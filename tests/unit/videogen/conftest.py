"""Fixtures for the video engine's unit tests: briefs built from the bundled example photos."""

import json
import shutil
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def brief_dir(tmp_path) -> Path:
    """A folder holding a copy of the example photo, logo and coffee brief."""
    for name in ("coffee.png", "rocket.jpg", "aurora_logo.png", "coffee_brief.json"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path


@pytest.fixture
def brief_data(brief_dir) -> dict:
    return json.loads((brief_dir / "coffee_brief.json").read_text())
