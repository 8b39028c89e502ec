#!/usr/bin/env bash
# `make run`: set up, migrate, load demo data, render a sample ad, start the web server and an RQ worker.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/setup.sh run
PORT=${PORT:-8000}
PY=.venv/bin/python

say "Migrating the database"
$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput -v 0
SAMPLE=var/sample-ad
if [[ ! -f $SAMPLE/trace.json || examples/coffee_brief.json -nt $SAMPLE/trace.json ]]; then
  say "Rendering a sample video ad from a real photo (examples/coffee_brief.json → $SAMPLE/)"
  rm -rf "$SAMPLE"
  $PY manage.py render_ad --brief examples/coffee_brief.json --out "$SAMPLE"
fi
say "Loading demo data"
KOLONY_SAMPLE_AD_DIR=$SAMPLE $PY manage.py seed_demo

say "Starting an RQ worker (queues default, render)"
mkdir -p var/log
$PY manage.py rqworker default render --with-scheduler >var/log/worker.log 2>&1 &
WORKER=$!
# Sends jobs saved while Redis was down and re-queues jobs of killed workers, even while the worker is busy.
$PY manage.py outbox_sweep --loop >var/log/sweep.log 2>&1 &
SWEEPER=$!
trap 'kill $WORKER $SWEEPER 2>/dev/null || true' EXIT INT TERM

say "Kolony is running at http://127.0.0.1:$PORT/  (sign in as demo@kolony.test; Ctrl-C stops it)"
$PY manage.py runserver "0.0.0.0:$PORT"
