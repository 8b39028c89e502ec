"""An in-memory ad platform for the publish orchestrator's tests: the steps of Meta's flow, a
"server" that counts every object it creates (so a duplicate shows), and controls to fail a
step transiently / permanently / with an expired token, or to crash the job right after a step."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from campaigns import services as campaign_services
from campaigns.models import PlatformConnection
from campaigns.platforms.base import PlatformError
from tests.integration.campaigns.studio_helpers import make_render

STEPS = ("campaign", "ad_set", "video", "video_ready", "thumbnail", "creative", "ad")
CREATING = {"campaign", "ad_set", "video", "thumbnail", "creative", "ad"}


class Crash(BaseException):
    """The worker dies (SIGKILL): nothing after it runs, not even ``except Exception``."""


@dataclass
class FakeAdapter:
    platform: str = "meta"
    steps: tuple[str, ...] = STEPS
    created: dict[str, list[str]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    crash_after: str | None = None
    failures: dict[str, list[PlatformError]] = field(default_factory=dict)  # step → errors raised in turn
    status_calls: list[tuple[str, bool]] = field(default_factory=list)
    tokens_seen: list[str] = field(default_factory=list)
    valid_tokens: set[str] | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    def fail(self, step: str, *errors: PlatformError) -> None:
        self.failures.setdefault(step, []).extend(errors)

    def run_step(self, ctx, step: str) -> None:
        self.calls.append(step)
        token = ctx.connection.token
        self.tokens_seen.append(token)
        if self.valid_tokens is not None and token not in self.valid_tokens:
            raise PlatformError("Error validating access token: Session has expired.", code="190", auth=True)
        queue = self.failures.get(step) or []
        if queue:
            raise queue.pop(0)
        if ctx.done(step):
            return
        assert ctx.video_path.exists()
        if step in CREATING:
            ext = f"{step}-{next(self._ids)}"
            self.created.setdefault(step, []).append(ext)
            ctx.record(step, ext, name=step)
        else:
            ctx.progress(step, 0.5)
            ctx.record(step, "", polled=True)
        if self.crash_after == step:
            raise Crash(step)

    def set_status(self, *, connection, ad, active: bool) -> str:
        self.status_calls.append((ad.external["meta"]["id"], active))
        return "ACTIVE" if active else "PAUSED"

    def fetch_status(self, *, connection, ad) -> dict:
        ad_id = ad.external[self.platform]["id"]
        return {"status": "PAUSED", "effective_status": "PAUSED", "review": [],
                "url": f"https://adsmanager.example/ads/{ad_id}"}

    def count(self, step: str) -> int:
        return len(self.created.get(step, []))


def connect(org, platform="meta", *, token="tok-1", status="active"):  # noqa: S107 - a test token
    conn = PlatformConnection(organization=org, platform=platform,
                              ad_account_id="act_1234" if platform == "meta" else "1234567890", status=status)
    conn.token = token
    conn.refresh_token = "refresh-1"
    conn.save()
    return conn


def approved_render(org, user, *, ratios=("9:16", "16:9"), title="Cold brew"):
    render = make_render(org, user, ratios=ratios, title=title)
    render.job.brief = {**render.job.brief, "landing_url": "https://aurora.example/shop"}  # every platform needs one
    render.job.save(update_fields=["brief"])
    render.review_status = "approved"
    render.submitted_by = user
    render.save(update_fields=["review_status", "submitted_by"])
    return render


def ad_set_for(org, user, *, platforms=("meta",), placements=("instagram_reels",), name="Launch"):
    campaign = campaign_services.campaign_create(organization=org, actor=user, name=name, objective="traffic",
                                                 platforms=list(platforms))
    return campaign_services.ad_set_create(campaign=campaign, actor=user, name="Reels set", budget_minor=2000,
                                           placements=list(placements))

