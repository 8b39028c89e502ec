"""Load test of the campaign pages: list page, API list and dashboard under 50 concurrent clients.

    .venv/bin/python bench/web_load.py [--reseed] [--duration 20] [--connections 50] [--server granian|gunicorn]
                                       [--workers 2] [--worker-threads 1] [--worker-class gthread|sync] [--write-every 5]

What it does:

1. creates (once) a PostgreSQL database ``kolony_bench`` (``--db``) next to ``DATABASE_URL``,
   migrates it and seeds three organizations: the big one with 10,000 campaigns, 20,000 ad sets,
   50,000 ads and 1,000,000 daily insight rows over the last 90 days, and two with a fifth of that
   (SQL ``generate_series``, ~2 min); each has an owner, an editor and a viewer;
2. starts a real server process with ``DEBUG=false`` and collected static files: by default
   granian (``--workers`` processes × ``--worker-threads`` Python threads, WSGI), whose Rust side
   parses HTTP and parks idle keep-alive connections, so neither a burst of clients nor clients
   that connect and then pause hold a Python worker; ``--server gunicorn`` compares with gunicorn
   (``--worker-class`` gthread or sync). One Python thread per process: with two, a process
   computing a cache miss (the dashboard's numbers, ~0.5 s) slows the hits it also serves;
3. runs ``wrk`` (closed loop, ``--connections`` connections, ``--duration`` seconds) against each
   endpoint in turn: ``/campaigns/`` (25 per page, KPIs of the page), ``/api/v1/campaigns/``
   (50 per page) and ``/dashboard/``. Every request picks one of the 9 users (session cookie or
   API token) and one of a dozen query strings (pages, filters, sorts, searches; 7/30/90-day
   ranges for the dashboard), so the page cache sees what 50 people browsing three organizations
   would give it;
4. meanwhile a writer edits data through the services every ``--write-every`` seconds (a
   campaign rename or a status change in a random organization; every ``--sync-every`` seconds
   an insights sync instead), which retires that organization's cached pages (0 turns it off);
5. runs that twice: at saturation (each client fires again as soon as it has its answer, so
   latency ≈ clients ÷ throughput) and with clients pausing ``--think-ms`` (±50 %) between
   requests, like people clicking through pages;
6. prints p50/p95/p99 latency (ms), requests per second and the page-cache hit rate (from the
   ``X-Kolony-Cache`` response header) of each, the load average, and the dashboard's uncached
   compute time measured in-process.

Only 127.0.0.1 is ever contacted. Nothing here asserts a time: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
N_CAMPAIGNS, N_AD_SETS, N_ADS, DAYS_PER_AD = 10_000, 20_000, 50_000, 20
ORG_NAME = "Bench Roasters Inc."
EMAIL = "bench@kolony.test"
# (organization, owner e-mail, size as a fraction of the big one)
ORGS = [(ORG_NAME, EMAIL, 1.0), ("Bench Bakery Ltd.", "bakery@kolony.test", 0.2), ("Bench Brewery Co.", "brewery@kolony.test", 0.2)]
ROLES = ("owner", "editor", "viewer")

LIST_QUERIES = ["", "?page=2", "?page=3", "?page=7", "?status=active", "?status=paused&page=2", "?platform=google",
                "?objective=sales", "?sort=name", "?sort=-budget&status=active", "?q=Campaign+01", "?per_page=50&page=4"]
API_QUERIES = ["", "?page=2", "?page=3", "?page=9", "?status=active", "?status=paused&page=2", "?platform=google",
               "?objective=leads", "?ordering=name", "?ordering=-budget&status=active", "?search=Campaign+02",
               "?objective=traffic&page=3"]
DASHBOARD_QUERIES = ["", "?range=7", "?range=30", "?range=90"]

# Each request: a random (path, credentials) pair of REQUESTS (written in by the bench); each
# response: counted by its X-Kolony-Cache header. Threads' counters are summed in done().
WRK_LUA = r"""
local think_ms = tonumber(os.getenv("KOLONY_THINK_MS") or "0")
if think_ms > 0 then
  delay = function() return math.random(math.floor(think_ms / 2), math.floor(think_ms * 3 / 2)) end
end
local threads = {}
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
local formatted = {}
hits, misses = 0, 0
init = function(args)
  math.randomseed(os.time() * 1000 + id)
  for i, r in ipairs(REQUESTS) do
    formatted[i] = wrk.format("GET", r[1], {[r[2]] = r[3]})
  end
end
request = function()
  return formatted[math.random(#formatted)]
end
response = function(status, headers, body)
  local c = headers["X-Kolony-Cache"] or headers["x-kolony-cache"]
  if c == "hit" then hits = hits + 1 elseif c == "miss" then misses = misses + 1 end
end
done = function(summary, latency, requests)
  local h, m = 0, 0
  for _, t in ipairs(threads) do h = h + t:get("hits"); m = m + t:get("misses") end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50": %.3f, "p95": %.3f, "p99": %.3f, "mean": %.3f, "hits": %d, "misses": %d}\n',
    summary.requests, summary.duration, errors, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.mean / 1000, h, m))
end
"""  # noqa: E501 - a wrk Lua script


def lua_requests(requests: list[tuple[str, str, str]]) -> str:
    """A Lua table literal of (path, header name, header value) triples."""
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "REQUESTS = {" + ", ".join(f"{{{q(p)}, {q(n)}, {q(v)}}}" for p, n, v in requests) + "}\n"


def bench_database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def ensure_database(base_url: str, name: str, drop: bool) -> None:
    import psycopg

    parts = urlsplit(base_url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kolony.settings")
    import django

    django.setup()


SEED_SQL = [
    # Campaigns: statuses 60 % active, 25 % paused, 10 % draft, 5 % archived; every 3rd on both platforms.
    """
    INSERT INTO campaigns_campaign (organization_id, name, objective, platforms, status, special_ad_categories, budget_type,
        budget_level, budget_minor, currency, starts_at, ends_at, external, created_by_id, created_at, updated_at)
    SELECT %(org)s, 'Campaign ' || lpad(g::text, 5, '0'),
        (ARRAY['awareness','traffic','engagement','leads','app_promotion','sales'])[1 + g %% 6],
        CASE WHEN g %% 3 = 0 THEN ARRAY['meta','google']::varchar[] ELSE ARRAY['meta']::varchar[] END,
        CASE WHEN g %% 20 < 12 THEN 'active' WHEN g %% 20 < 17 THEN 'paused' WHEN g %% 20 < 19 THEN 'draft' ELSE 'archived' END,
        '{}'::varchar[], 'daily', 'ad_set', NULL, 'USD', now() - interval '120 days', NULL, '{}'::jsonb, %(user)s,
        now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval
    FROM generate_series(1, %(campaigns)s) g
    """,
    """
    INSERT INTO campaigns_adset (campaign_id, name, status, budget_minor, currency, starts_at, ends_at, bid_strategy,
        bid_amount_minor, billing_event, optimization_goal, placements, targeting, external, created_at, updated_at)
    SELECT c.id, 'Ad set ' || k, c.status, 2000 + (c.id %% 50) * 100, 'USD', NULL, NULL, 'LOWEST_COST_WITHOUT_CAP', NULL,
        'IMPRESSIONS', 'LINK_CLICKS', '{}'::varchar[],
        '{"countries": ["US"], "age_min": 18, "age_max": 65, "genders": [], "languages": [], "interests": []}'::jsonb,
        '{}'::jsonb, c.created_at, c.created_at
    FROM campaigns_campaign c CROSS JOIN generate_series(1, %(sets_per_campaign)s) k
    WHERE c.organization_id = %(org)s
    """,
    """
    INSERT INTO campaigns_ad (ad_set_id, name, status, creative, primary_text, headline, description, call_to_action,
        destination_url, utm_source, utm_medium, utm_campaign, utm_content, utm_term, external, created_at, updated_at)
    SELECT s.id, 'Ad ' || g, s.status, '', 'Fresh coffee, delivered.', 'Cold brew season', '', 'SHOP_NOW',
        'https://bench.example/shop', 'meta', 'paid_video', '', '', '', '{}'::jsonb, now(), now()
    FROM generate_series(0, %(ads)s - 1) g
    JOIN (SELECT s.id, s.status, row_number() OVER (ORDER BY s.id) - 1 AS n FROM campaigns_adset s
          JOIN campaigns_campaign c ON c.id = s.campaign_id WHERE c.organization_id = %(org)s) s ON s.n = g %% %(ad_sets)s
    """,
    # 20 days per ad, windows staggered so the 90 days are covered evenly.
    """
    INSERT INTO campaigns_insightdaily (organization_id, campaign_id, ad_set_id, ad_id, platform, date, impressions, reach,
        clicks, spend_minor, conversions, conversion_value_minor, video_plays, thruplays, video_p25, video_p50, video_p75,
        video_p100, updated_at)
    SELECT %(org)s, s.campaign_id, a.ad_set_id, a.id, 'meta', current_date - (1 + (a.id %% 70) + d)::int,
        m.imp, (m.imp * 0.7)::bigint, (m.imp * m.ctr)::bigint, (m.imp * (0.6 + m.q * 0.6))::bigint,
        (m.imp * m.ctr * 0.04)::bigint, (m.imp * m.ctr * 0.04 * 3800 * (0.5 + m.q))::bigint,
        (m.imp * 0.4)::bigint, (m.imp * 0.12)::bigint, (m.imp * 0.25)::bigint, (m.imp * 0.16)::bigint,
        (m.imp * 0.11)::bigint, (m.imp * 0.07)::bigint, now()
    FROM campaigns_ad a
    JOIN campaigns_adset s ON s.id = a.ad_set_id
    JOIN campaigns_campaign c ON c.id = s.campaign_id AND c.organization_id = %(org)s
    CROSS JOIN generate_series(0, %(days)s - 1) d
    CROSS JOIN LATERAL (SELECT (400 + ((a.id * 7919 + d * 104729) %% 3000))::bigint AS imp,
                               0.005 + ((a.id * 31 + d) %% 20) / 1000.0 AS ctr,
                               ((a.id * 17) %% 100) / 100.0 AS q) m
    """,
]


def seed(stdout=print) -> list[dict]:
    """Seeds :data:`ORGS` (skipping those already complete); returns one dict per organization:
    ``{"org": id, "name", "users": {role: user id}}``."""
    from django.db import connection, transaction

    from campaigns.models import Campaign, InsightDaily
    from kolony.accounts.models import Membership, Organization, User
    from kolony.datacache import data_changed

    out = []
    for name, email, size in ORGS:
        org = Organization.objects.filter(name=name).first() or Organization.objects.create(name=name)
        users = {}
        for role in ROLES:
            address = email if role == "owner" else email.replace("@", f"+{role}@")
            user = User.objects.filter(email=address).first() or User.objects.create_user(email=address, password="bench-password-123")
            Membership.objects.get_or_create(user=user, organization=org, defaults={"role": role})
            users[role] = user.pk
        out.append({"org": org.pk, "name": name, "users": users})
        n_campaigns, n_ads = int(N_CAMPAIGNS * size), int(N_ADS * size)
        have = (Campaign.objects.filter(organization=org).count(), InsightDaily.objects.filter(organization=org).count())
        if have[0] == n_campaigns and have[1] >= n_ads * DAYS_PER_AD:
            stdout(f"  {name}: already there ({have[0]:,} campaigns, {have[1]:,} insight rows).")
            continue
        params = {"org": org.pk, "user": users["owner"], "campaigns": n_campaigns, "sets_per_campaign": N_AD_SETS // N_CAMPAIGNS,
                  "ad_sets": int(N_AD_SETS * size), "ads": n_ads, "days": DAYS_PER_AD}
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM campaigns_insightdaily WHERE organization_id = %s", [org.pk])
            cur.execute("DELETE FROM campaigns_ad WHERE ad_set_id IN (SELECT s.id FROM campaigns_adset s JOIN campaigns_campaign c "
                        "ON c.id = s.campaign_id WHERE c.organization_id = %s)", [org.pk])
            cur.execute("DELETE FROM campaigns_adset WHERE campaign_id IN (SELECT id FROM campaigns_campaign WHERE organization_id = %s)",
                        [org.pk])
            cur.execute("DELETE FROM campaigns_campaign WHERE organization_id = %s", [org.pk])
            for sql in SEED_SQL:
                cur.execute(sql, params)
                stdout(f"  {name}: {cur.rowcount:>9,} rows · {sql.split()[2]} ({time.perf_counter() - started:.1f} s)")
        data_changed(org, insights=True)  # written behind the services' back: retire cached pages
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE campaigns_campaign, campaigns_adset, campaigns_ad, campaigns_insightdaily")
        stdout(f"  {name}: seeded in {time.perf_counter() - started:.1f} s.")
    return out


def credentials(org_id: int, user_id: int) -> tuple[str, str]:
    """A session (current organization ``org_id``) and an API token for ``user_id``."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from kolony.accounts.models import User
    from kolony.accounts.services import api_token_create
    from kolony.tenancy import SESSION_KEY as ORG_KEY

    user = User.objects.get(pk=user_id)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[ORG_KEY] = org_id
    session.create()
    _token, key = api_token_create(user=user, name="bench")
    return session.session_key, key


class Writer(threading.Thread):
    """Edits campaign data through the services every ``every`` seconds, as people do while others
    browse (a rename or a pause/activate, in a random organization), and every ``sync_every``
    seconds an insights sync restating one ad's day, as a platform sync does. Every write retires
    that organization's cached pages; a sync also its dashboard numbers."""

    def __init__(self, org_ids: list[int], every: float, sync_every: float):
        super().__init__(daemon=True)
        self.org_ids, self.every, self.sync_every = org_ids, every, sync_every
        self.writes, self.syncs, self.stop = 0, 0, threading.Event()

    def run(self):
        import random

        from django.db import connection

        from campaigns import services
        from campaigns.models import Campaign, InsightDaily
        from kolony.accounts.models import Organization

        rng = random.Random(7)
        last_sync = time.monotonic()
        try:
            while not self.stop.wait(self.every):
                org = Organization.objects.get(pk=rng.choice(self.org_ids))
                campaign = Campaign.objects.filter(organization=org, status__in=["active", "paused"]).order_by("?").first()
                sync = self.sync_every > 0 and time.monotonic() - last_sync >= self.sync_every
                if not sync and self.writes % 2 == 0:
                    services.campaign_update(campaign=campaign, actor=None, name=f"{campaign.name.split(' ·')[0]} · {self.writes}")
                elif not sync:
                    target = "paused" if campaign.status == "active" else "active"
                    services.campaign_set_status(campaign=campaign, actor=None, status=target)
                else:
                    row = InsightDaily.objects.filter(campaign=campaign).order_by("-date").first()  # a sync restating a day
                    services.insights_upsert(ad=row.ad, rows=[{"platform": row.platform, "date": row.date,
                                                               "impressions": 1000 + self.writes, "reach": 700, "clicks": 12,
                                                               "spend_minor": 900, "conversions": 1}])
                    self.syncs += 1
                    last_sync = time.monotonic()
                self.writes += 1
        finally:
            connection.close()


def uncached_dashboard_ms(org_id: int, runs: int = 5) -> list[float]:
    from campaigns.selectors import DateRange, dashboard_data
    from kolony.accounts.models import Organization

    org = Organization.objects.get(pk=org_id)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        dashboard_data(organization=org, date_range=DateRange.last(30), use_cache=False)
        times.append((time.perf_counter() - t) * 1000)
    return times


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def run_wrk(base_url: str, requests: list[tuple[str, str, str]], *, connections: int, duration: int, threads: int,
            think_ms: int = 0) -> dict:
    lua = Path(tempfile.mkstemp(suffix=".lua")[1])
    lua.write_text(lua_requests(requests) + WRK_LUA)
    try:
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(lua), base_url]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                             env={**os.environ, "KOLONY_THINK_MS": str(think_ms)}).stdout
    finally:
        lua.unlink(missing_ok=True)
    result = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    counted = result["hits"] + result["misses"]
    result["hit_rate"] = result["hits"] / counted if counted else None
    return result


def drain(base_url: str, limit_s: float = 60.0) -> None:
    """Waits until the server answers a light page quickly again (requests a previous run left
    queued are done), so each run starts from an idle server."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            fetch(f"{base_url}/accounts/login/", {})
        except OSError:
            pass
        if time.monotonic() - started < 0.1:
            return
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="kolony_bench")
    parser.add_argument("--reseed", action="store_true", help="Drop and recreate the bench database.")
    parser.add_argument("--duration", type=int, default=20, help="Seconds per endpoint.")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--server", default="granian", choices=["granian", "gunicorn"])
    parser.add_argument("--workers", type=int, default=2, help="server worker processes.")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync); gunicorn only.")
    parser.add_argument("--worker-threads", type=int, default=1,
                        help="Python threads per worker process (granian blocking threads, gunicorn gthread threads).")
    parser.add_argument("--write-every", type=float, default=5.0,
                        help="Seconds between two writes through the services while the load runs (0: none).")
    parser.add_argument("--sync-every", type=float, default=60.0,
                        help="Seconds between two insights syncs (one ad's day restated) among those writes (0: none).")
    parser.add_argument("--think-ms", type=int, default=1000,
                        help="Mean pause of each client between requests in the second scenario (uniform 0.5–1.5×).")
    parser.add_argument("--only", default="", help="Comma-separated endpoints to run (list, api, dashboard).")
    parser.add_argument("--no-think", action="store_true", help="Only the saturation scenario.")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk).", file=sys.stderr)
        return 2

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kolony")
    db_url = bench_database_url(base, args.db)
    ensure_database(base, args.db, drop=args.reseed)
    static_root = Path(tempfile.mkdtemp(prefix="kolony-bench-static-"))
    env = {
        "DATABASE_URL": db_url, "DEBUG": "false", "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost", "KOLONY_STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING", "DB_CONN_MAX_AGE": "600", "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env={**os.environ, **env}, check=True)
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env={**os.environ, **env}, check=True)
    django_setup(env)
    print(f"Database {args.db}:")
    orgs = seed()
    cold = uncached_dashboard_ms(orgs[0]["org"])
    sessions, tokens = [], []
    for org in orgs:
        for user_id in org["users"].values():
            session_key, token = credentials(org["org"], user_id)
            sessions.append(("Cookie", f"sessionid={session_key}"))
            tokens.append(("Authorization", f"Token {token}"))

    def combos(queries, creds, prefix):
        return [(prefix + q, name, value) for q in queries for name, value in creds]

    targets = [
        ("list", "list page  /campaigns/", combos(LIST_QUERIES, sessions, "/campaigns/"), b"data-campaign-id"),
        ("api", "API list   /api/v1/campaigns/", combos(API_QUERIES, tokens, "/api/v1/campaigns/"), b'"results":'),
        ("dashboard", "dashboard  /dashboard/", combos(DASHBOARD_QUERIES, sessions, "/dashboard/"), b"campaigns-chart-data"),
    ]
    if args.only:
        targets = [t for t in targets if t[0] in args.only.split(",")]

    port = free_port()
    gunicorn = Path(python).with_name("gunicorn")
    if args.server == "granian":
        cmd = [str(Path(python).with_name("granian")), "--interface", "wsgi", "kolony.wsgi:application",
               "--workers", str(args.workers), "--blocking-threads", str(args.worker_threads), "--host", "127.0.0.1",
               "--port", str(port), "--backlog", "2048", "--log-level", "warning", "--no-ws"]
    else:
        cmd = [str(gunicorn), "kolony.wsgi:application", "-w", str(args.workers), "-k", args.worker_class,
               "--threads", str(args.worker_threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
               "--backlog", "2048", "--timeout", "60", "--preload"]
    server = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    results = []
    writer = None
    load_before = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    try:
        for _ in range(100):
            try:
                if fetch(f"{base_url}/accounts/login/", {})[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        for _, label, requests, must_contain in targets:
            for path, name, value in requests[:: max(1, len(requests) // 6)]:
                status, body = fetch(base_url + path, {name: value})
                if status != 200 or must_contain not in body:
                    print(f"{label} {path}: unexpected response {status}: {body[:300]!r}", file=sys.stderr)
                    return 1
            # warm every worker (imports, URL resolver, template cache, DB connection)
            run_wrk(base_url, requests, connections=args.workers * 2, duration=3, threads=1)
        if args.write_every > 0:
            writer = Writer([o["org"] for o in orgs], args.write_every, args.sync_every)
            writer.start()
        for think in (0,) if args.no_think else (0, args.think_ms):
            for _key, label, requests, _ in targets:
                drain(base_url)
                result = run_wrk(base_url, requests, connections=args.connections, duration=args.duration,
                                 threads=args.threads, think_ms=think)
                results.append((think, label, result))
    finally:
        if writer is not None:
            writer.stop.set()
            writer.join(timeout=30)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)

    cpus = os.cpu_count()
    load_after = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    print(f"\nload average (1/5/15 min; other processes share these CPUs): before {load_before} · after {load_after}")
    sizes = ", ".join(f"{name} {int(N_CAMPAIGNS * size):,} campaigns / {int(N_ADS * size * DAYS_PER_AD):,} insight rows"
                      for name, _, size in ORGS)
    server_label = (f"granian {args.workers} WSGI workers × {args.worker_threads} Python thread(s)" if args.server == "granian" else
                    f"gunicorn {args.workers} {args.worker_class} workers × {args.worker_threads} thread(s)")
    print(f"\nwrk: {args.connections} connections, {args.duration} s each, {args.threads} threads; {server_label}; {cpus} CPUs")
    print(f"data: {sizes}; {len(sessions)} users; writes through the services every {args.write_every:g} s "
          f"({writer.writes if writer else 0} during the run, {writer.syncs if writer else 0} of them insights syncs)")
    for think in (0,) if args.no_think else (0, args.think_ms):
        title = ("saturation: each client sends its next request as soon as the last one is answered" if not think else
                 f"{args.connections} clients each pausing {think // 2}–{think * 3 // 2} ms between requests")
        print(f"\n{title}")
        print(f"{'endpoint':36} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>7} {'cache hits':>11}")
        for t, label, r in results:
            if t == think:
                rate = f"{r['hit_rate'] * 100:.1f} %" if r["hit_rate"] is not None else "—"
                print(f"{label:36} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} {r['rps']:8.1f} {r['errors']:7d} {rate:>11}")
    print(f"dashboard numbers of the big organization computed without cache (in-process, one at a time): "
          f"median {statistics.median(cold):.0f} ms, max {max(cold):.0f} ms over {len(cold)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
