"""Production settings: `manage.py check --deploy` is clean with DEBUG=false and real secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _clean_env() -> dict:
    # The test run sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never does.
    return {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY")}


def _check(env_extra):
    env = {**_clean_env(), "DEBUG": "false", **env_extra}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_has_no_warnings():
    result = _check({"SECRET_KEY": "k" * 20 + "-production-secret-" + "z9" * 20, "ALLOWED_HOSTS": "kolony.example.com"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = _clean_env()
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env={**env, "DEBUG": "false"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
