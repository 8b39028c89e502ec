"""SMTP comes from one setting (django-environ's EMAIL_URL); without it mail goes to the console."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps([s.EMAIL_BACKEND, "
         "s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.KOLONY_SITE_URL]))")


def _settings(**env) -> list:
    clean = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "EMAIL_BACKEND", "KOLONY_SITE_URL")}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**clean, "DJANGO_SETTINGS_MODULE": "kolony.settings", **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_console_by_default_and_smtp_from_email_url():
    assert _settings()[0] == "django.core.mail.backends.console.EmailBackend"
    smtp = _settings(EMAIL_URL="smtp+tls://mailer:s3cret@smtp.example.com:587", KOLONY_SITE_URL="https://app.example.com/")
    assert smtp == ["django.core.mail.backends.smtp.EmailBackend", "smtp.example.com", 587, "mailer", "s3cret", True,
                    "https://app.example.com"]
