"""The engine (``videogen/engine/``) stands on its own (issue 14 §1): no module under it imports
Django, Django REST framework, Channels, the platform (``kolony``, ``campaigns``, ``billing``) or
the Studio (``videogen.<anything but engine>``) — at the top of a file or lazily inside a
function, by ``import``, ``from … import`` (relative ones resolved) or ``importlib.import_module``
/ ``__import__`` with a literal name. Read from the source (AST), in the style of the tenant
walker, so a new module that reaches into the Studio fails here, not in the GPU worker."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ENGINE = ROOT / "videogen" / "engine"
FORBIDDEN_TOP = ("django", "rest_framework", "channels", "kolony", "campaigns", "billing")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_names(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in ``source`` (module ``module``), at any depth."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, module, is_package)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names if a.name != "*"]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            if name in ("import_module", "__import__"):
                found.append((node.lineno, node.args[0].value))
    return found


def forbidden(name: str) -> bool:
    """True for a name the engine may not import (see the module docstring)."""
    parts = name.split(".")
    if parts[0] in FORBIDDEN_TOP:
        return True
    return parts[0] == "videogen" and len(parts) > 1 and parts[1] != "engine"


def engine_modules() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


def test_the_walker_sees_every_engine_module():
    names = {_module_name(p) for p in engine_modules()}
    for expected in ("videogen.engine.pipeline", "videogen.engine.brief", "videogen.engine.planner",
                     "videogen.engine.render.compositor", "videogen.engine.trace", "videogen.engine.stages.job"):
        assert expected in names


@pytest.mark.parametrize("path", engine_modules(), ids=lambda p: p.relative_to(ENGINE).as_posix())
def test_engine_module_imports_nothing_of_django_or_the_studio(path):
    module = _module_name(path)
    bad = [f"{path.relative_to(ROOT)}:{line}: {name}"
           for line, name in imported_names(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
           if forbidden(name)]
    assert not bad, "the engine must not import Django or the Studio; pass what it needs as arguments:\n" + "\n".join(bad)


@pytest.mark.parametrize("source", [
    "import django",
    "from django.conf import settings",
    "def f():\n    from django.db import transaction\n",
    "import kolony.tenancy",
    "from videogen import models",
    "from videogen.services import work_dir",
    "from ... import uploads",  # videogen.engine.render.x → videogen.uploads
    "from ...models import Asset",
    "import importlib\nimportlib.import_module('rest_framework.views')",
    "__import__('channels.layers')",
    "from campaigns.models import Campaign",
])
def test_the_walker_catches_a_studio_import(source):
    names = [n for _, n in imported_names(source, "videogen.engine.render.x")]
    assert any(forbidden(n) for n in names), names


@pytest.mark.parametrize("source", [
    "from videogen.engine.render import formats",
    "from ..planner.schema import Scene",  # videogen.engine.render.x → videogen.engine.planner.schema
    "from . import ffmpeg",
    "import numpy, PIL.Image",
    "from videogen import engine",
])
def test_the_walker_allows_engine_and_library_imports(source):
    names = [n for _, n in imported_names(source, "videogen.engine.render.x")]
    assert not any(forbidden(n) for n in names), names
