"""``manage.py platform_standins``: runs every ad platform stand-in of tests/fakes/ until Ctrl-C —
the OAuth stand-in (Meta login + Graph token endpoints, Google OAuth), the Graph API stand-in
(tests/fakes/meta_graph.py, behind the OAuth one so one META_GRAPH_URL serves both, like
graph.facebook.com) and the Google Ads gRPC + YouTube upload stand-in (tests/fakes/google_ads.py)
when those modules exist (imported lazily) — and writes the settings that point Kolony at them
(``--env-file``, shell ``export`` lines, for ``make run``). ``--connect-demo`` connects the demo
organization (``seed_demo``) to both platforms with tokens issued by the stand-ins."""

from __future__ import annotations

import datetime as dt
import importlib
import shlex
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone


class Command(BaseCommand):
    help = "Run the Meta / Google stand-ins (OAuth, Graph API, Google Ads) and print the settings that use them."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8440, help="OAuth + Graph API port (META_GRAPH_URL)")
        parser.add_argument("--graph-port", type=int, default=8441, help="Graph API stand-in's own port (video uploads)")
        parser.add_argument("--google-grpc-port", type=int, default=8442)
        parser.add_argument("--google-http-port", type=int, default=8443)
        parser.add_argument("--env-file", default="", help="write `export NAME=value` lines here")
        parser.add_argument("--connect-demo", action="store_true", help="connect the demo organization to the stand-ins")

    def handle(self, *args, port, graph_port, google_grpc_port, google_http_port, env_file, connect_demo, **options):
        from tests.fakes.oauth_standin import OAuthStandin

        env: dict[str, str] = {}
        graph = None
        try:
            graph_mod = importlib.import_module("tests.fakes.meta_graph")
        except ImportError:
            graph_mod = None
        oauth_standin = OAuthStandin(port=port)
        if graph_mod is not None:
            graph = graph_mod.MetaGraphStandIn(port=graph_port, token_check=oauth_standin.token_info).start()
            oauth_standin.server.graph_upstream = graph.url
            env["META_GRAPH_VIDEO_URL"] = graph.url
            self.stdout.write(f"Meta Graph API stand-in at {graph.url} (behind {oauth_standin.base_url})")
        oauth_standin.start()
        env.update(oauth_standin.settings(settings.META_API_VERSION))
        self.stdout.write(f"OAuth stand-in (Meta + Google) at {oauth_standin.base_url}")
        google = None
        try:
            google_mod = importlib.import_module("tests.fakes.google_ads")
        except ImportError:
            google_mod = None
        if google_mod is not None:
            google = google_mod.GoogleAdsStandin(token_check=oauth_standin.token_info).start(
                grpc_port=google_grpc_port, http_port=google_http_port)
            env.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in google.settings().items()})
            self.stdout.write(f"Google Ads stand-in: gRPC {env.get('GOOGLE_ADS_ENDPOINT')}")
        if connect_demo:
            for name, value in env.items():  # this process writes the demo rows with the same settings
                setattr(settings, name, value)
            self._connect_demo(oauth_standin)
        if env_file:
            path = Path(env_file)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(env.items())))
            tmp.replace(path)  # appears whole: make run waits for it
        else:
            for k, v in sorted(env.items()):
                self.stdout.write(f"export {k}={shlex.quote(v)}")
        self.stdout.write(self.style.SUCCESS("Stand-ins running; Ctrl-C stops them."))
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            oauth_standin.stop()
            if graph is not None:
                graph.stop()
            if google is not None:
                google.stop()

    def _connect_demo(self, standin) -> None:
        from campaigns.platforms import connections
        from campaigns.platforms.base import AccountChoice, TokenSet
        from kolony.accounts.models import Membership
        from kolony.core.demo import DEMO_EMAIL

        membership = Membership.objects.select_related("organization", "user").filter(user__email=DEMO_EMAIL).order_by("id").first()
        if membership is None:
            self.stdout.write("No demo organization (run `manage.py seed_demo`): nothing connected.")
            return
        for platform, account in (("meta", AccountChoice(id="act_1234567890", name="Aurora Coffee – Ads", currency="EUR")),
                                  ("google", AccountChoice(id="1234567890", name="Aurora Coffee", currency="EUR"))):
            grant = standin.grant_tokens(platform)
            tokens = TokenSet(access_token=grant["access_token"], refresh_token=grant.get("refresh_token", ""),
                              expires_at=timezone.now() + dt.timedelta(seconds=int(grant["expires_in"])),
                              scopes="ads_management" if platform == "meta" else "https://www.googleapis.com/auth/adwords")
            connections.connection_create_from_oauth(organization=membership.organization, actor=membership.user,
                                                     platform=platform, tokens=tokens, accounts=[account],
                                                     ad_account_id=account.id)
            self.stdout.write(f"Connected the demo organization to the {platform} stand-in ({account.id}).")
