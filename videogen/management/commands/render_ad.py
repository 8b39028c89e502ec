"""``python manage.py render_ad --brief BRIEF.json --out DIR [--image PATH ...] [--formats 9:16,1:1] [--storyboard-only]``

A thin wrapper over the engine's CLI (``python -m videogen.engine render``, :mod:`videogen.engine.cli`):
the same flags and output; the LLM endpoint comes from Django settings. Bad input: one line per
problem on stderr, exit status 2, nothing written.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from videogen.engine.cli import add_render_arguments, render


class Command(BaseCommand):
    help = "Render a video ad from a brief JSON file (CPU engine): MP4 per aspect ratio, storyboard, trace."

    def add_arguments(self, parser):
        add_render_arguments(parser)

    def handle(self, *args, **opts):
        from videogen.services import llm_endpoint

        self.stdout.ending = self.stderr.ending = ""  # the CLI ends its own lines (and draws a \r progress bar)
        status = render(opts, out=self.stdout, err=self.stderr, llm=llm_endpoint())
        if status:
            sys.exit(status)
