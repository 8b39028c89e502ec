"""Load test of the campaign pages: list page, API list and dashboard under 50 concurrent clients.

    .venv/bin/python bench/web_load.py [--reseed] [--duration 20] [--connections 50] [--workers 4]

What it does:

1. creates (once) a PostgreSQL database ``kolony_bench`` (``--db``) next to ``DATABASE_URL``,
   migrates it and seeds one organization with 10,000 campaigns, 20,000 ad sets, 50,000 ads and
   1,000,000 daily insight rows spread over the last 90 days (SQL ``generate_series``, ~1 min);
2. starts a real server process: gunicorn (``--workers`` sync workers) on 127.0.0.1 with
   ``DEBUG=false`` and collected static files;
3. runs ``wrk`` (closed loop, ``--connections`` connections, ``--duration`` seconds) against
   ``/campaigns/`` (25 per page, KPIs of the page), ``/api/v1/campaigns/`` (50 per page) and
   ``/dashboard/?range=30``, signed in as the organization's owner (session cookie / API token);
4. runs that twice: at saturation (each client fires again as soon as it has its answer, so
   latency ≈ clients ÷ throughput) and with clients pausing ``--think-ms`` (±50 %) between
   requests, like people clicking through pages;
5. prints p50/p95/p99 latency (ms) and requests per second of each, plus the dashboard's uncached
   compute time measured in-process (the dashboard caches its numbers per process until the
   organization's insights or campaigns change, see ``campaigns.selectors.dashboard_data``).

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
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
N_CAMPAIGNS, N_AD_SETS, N_ADS, DAYS_PER_AD = 10_000, 20_000, 50_000, 20
ORG_NAME = "Bench Roasters Inc."
EMAIL = "bench@kolony.test"

WRK_LUA = r"""
local think_ms = tonumber(os.getenv("KOLONY_THINK_MS") or "0")
if think_ms > 0 then
  delay = function() return math.random(math.floor(think_ms / 2), math.floor(think_ms * 3 / 2)) end
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50": %.3f, "p95": %.3f, "p99": %.3f, "mean": %.3f}\n',
    summary.requests, summary.duration, errors, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.mean / 1000))
end
"""


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
    JOIN (SELECT id, status, row_number() OVER (ORDER BY id) - 1 AS n FROM campaigns_adset) s ON s.n = g %% %(ad_sets)s
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
    CROSS JOIN generate_series(0, %(days)s - 1) d
    CROSS JOIN LATERAL (SELECT (400 + ((a.id * 7919 + d * 104729) %% 3000))::bigint AS imp,
                               0.005 + ((a.id * 31 + d) %% 20) / 1000.0 AS ctr,
                               ((a.id * 17) %% 100) / 100.0 AS q) m
    """,
]


def seed(stdout=print) -> tuple[int, int]:
    from django.db import connection, transaction

    from campaigns.models import Campaign, InsightDaily
    from kolony.accounts.models import Membership, Organization, Role, User

    user = User.objects.filter(email=EMAIL).first() or User.objects.create_user(email=EMAIL, password="bench-password-123")
    org = Organization.objects.filter(name=ORG_NAME).first() or Organization.objects.create(name=ORG_NAME)
    Membership.objects.get_or_create(user=user, organization=org, defaults={"role": Role.OWNER})
    have = (Campaign.objects.filter(organization=org).count(), InsightDaily.objects.filter(organization=org).count())
    if have == (N_CAMPAIGNS, N_ADS * DAYS_PER_AD):
        stdout(f"Bench data already there: {have[0]:,} campaigns, {have[1]:,} insight rows.")
        return org.pk, user.pk
    params = {"org": org.pk, "user": user.pk, "campaigns": N_CAMPAIGNS, "sets_per_campaign": N_AD_SETS // N_CAMPAIGNS,
              "ad_sets": N_AD_SETS, "ads": N_ADS, "days": DAYS_PER_AD}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM campaigns_insightdaily WHERE organization_id = %s", [org.pk])
        cur.execute("DELETE FROM campaigns_campaign WHERE organization_id = %s", [org.pk])
        for sql in SEED_SQL:
            cur.execute(sql, params)
            stdout(f"  {cur.rowcount:>9,} rows · {sql.split()[2]} ({time.perf_counter() - started:.1f} s)")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE campaigns_campaign, campaigns_adset, campaigns_ad, campaigns_insightdaily")
    stdout(f"Seeded in {time.perf_counter() - started:.1f} s.")
    return org.pk, user.pk


def credentials(org_id: int, user_id: int) -> tuple[str, str]:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from kolony.accounts.models import User
    from kolony.tenancy import SESSION_KEY as ORG_KEY

    user = User.objects.get(pk=user_id)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[ORG_KEY] = org_id
    session.create()
    token, _ = Token.objects.get_or_create(user=user)
    return session.session_key, token.key


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


def run_wrk(url: str, headers: dict, *, connections: int, duration: int, threads: int, lua: str, think_ms: int = 0) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", lua]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True,
                         env={**os.environ, "KOLONY_THINK_MS": str(think_ms)}).stdout
    result = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="kolony_bench")
    parser.add_argument("--reseed", action="store_true", help="Drop and recreate the bench database.")
    parser.add_argument("--duration", type=int, default=20, help="Seconds per endpoint.")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes.")
    parser.add_argument("--think-ms", type=int, default=1000,
                        help="Mean pause of each client between requests in the second scenario (uniform 0.5–1.5×).")
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
    org_id, user_id = seed()
    session_key, token = credentials(org_id, user_id)
    cold = uncached_dashboard_ms(org_id)

    port = free_port()
    gunicorn = Path(python).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "kolony.wsgi:application", "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "--backlog", "2048", "--timeout", "60", "--preload"],
        cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    cookie = {"Cookie": f"sessionid={session_key}"}
    targets = [
        ("list page  /campaigns/", "/campaigns/", cookie, b"data-campaign-id"),
        ("API list   /api/v1/campaigns/", "/api/v1/campaigns/", {"Authorization": f"Token {token}"}, b'"count":9500'),
        ("dashboard  /dashboard/?range=30", "/dashboard/?range=30", cookie, b"campaigns-chart-data"),
    ]
    lua = Path(tempfile.mkstemp(suffix=".lua")[1])
    lua.write_text(WRK_LUA)
    results = []
    load_before = f"{os.getloadavg()[0]:.1f}"
    try:
        for _ in range(100):
            try:
                if fetch(f"{base_url}/accounts/login/", {})[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        for label, path, headers, must_contain in targets:
            status, body = fetch(base_url + path, headers)
            if status != 200 or must_contain not in body:
                print(f"{label}: unexpected response {status}: {body[:300]!r}", file=sys.stderr)
                return 1
            # warm every worker (imports, URL resolver, template cache, DB connection)
            run_wrk(base_url + path, headers, connections=args.workers * 2, duration=3, threads=1, lua=str(lua))
        for think in (0, args.think_ms):
            for label, path, headers, _ in targets:
                result = run_wrk(base_url + path, headers, connections=args.connections, duration=args.duration,
                                 threads=args.threads, lua=str(lua), think_ms=think)
                results.append((think, label, result))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        lua.unlink(missing_ok=True)
        shutil.rmtree(static_root, ignore_errors=True)

    cpus = os.cpu_count()
    print(f"\nload average during the run (other processes share these CPUs): {load_before} → {os.getloadavg()[0]:.1f}")
    print(f"\nwrk: {args.connections} connections, {args.duration} s each, {args.threads} threads; gunicorn {args.workers} sync "
          f"workers; {cpus} CPUs; data: {N_CAMPAIGNS:,} campaigns / {N_ADS:,} ads / {N_ADS * DAYS_PER_AD:,} insight rows")
    for think in (0, args.think_ms):
        title = ("saturation: each client sends its next request as soon as the last one is answered" if not think else
                 f"{args.connections} clients each pausing {think // 2}–{think * 3 // 2} ms between requests")
        print(f"\n{title}")
        print(f"{'endpoint':36} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>7}")
        for t, label, r in results:
            if t == think:
                print(f"{label:36} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} {r['rps']:8.1f} {r['errors']:7d}")
    print(f"dashboard numbers computed without cache (in-process, one at a time): median {statistics.median(cold):.0f} ms, "
          f"max {max(cold):.0f} ms over {len(cold)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
