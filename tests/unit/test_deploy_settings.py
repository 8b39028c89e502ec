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


def _settings_in(env_extra) -> dict:
    import json

    env = {**_clean_env(), "DEBUG": "false", "SECRET_KEY": "k" * 20 + "-production-secret-" + "z9" * 20,
           "ALLOWED_HOSTS": "kolony.example.com", **env_extra}
    code = ("import json; from django.conf import settings as s; from rest_framework.settings import api_settings as a; "
            "print(json.dumps({'ssl': getattr(s, 'SECURE_PROXY_SSL_HEADER', None), 'host': s.USE_X_FORWARDED_HOST, "
            "'proxies': a.NUM_PROXIES, 'axes_ip': s.AXES_CLIENT_IP_CALLABLE}))")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_proxy_headers_are_believed_only_behind_the_configured_proxies():
    direct = _settings_in({})
    assert direct == {"ssl": None, "host": False, "proxies": 0, "axes_ip": "kolony.accounts.security.client_ip"}
    behind = _settings_in({"KOLONY_TRUSTED_PROXY_COUNT": "1"})
    assert behind == {"ssl": ["HTTP_X_FORWARDED_PROTO", "https"], "host": True, "proxies": 1,
                      "axes_ip": "kolony.accounts.security.client_ip"}


def test_check_deploy_is_clean_behind_a_proxy_too():
    result = _check({"SECRET_KEY": "k" * 20 + "-production-secret-" + "z9" * 20, "ALLOWED_HOSTS": "kolony.example.com",
                     "KOLONY_TRUSTED_PROXY_COUNT": "2"})
    assert result.returncode == 0, result.stdout + result.stderr
