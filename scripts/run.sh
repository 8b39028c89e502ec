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

mkdir -p var/log
STANDIN=
if [[ ${KOLONY_STRIPE_STANDIN:-} == 1 ]]; then
  # Billing against the local Stripe stand-in (tests/fakes/stripe_standin.py: localstripe + Checkout, portal, meters).
  STANDIN_PORT=${STANDIN_PORT:-8420}
  $PY -c "import localstripe" 2>/dev/null || .venv/bin/pip install -q "$(grep -io '^localstripe==[0-9.]*' requirements-dev.txt)"
  export STRIPE_SECRET_KEY=sk_test_kolony_standin STRIPE_WEBHOOK_SECRET=whsec_kolony_standin \
    STRIPE_API_BASE=http://127.0.0.1:$STANDIN_PORT STRIPE_PRICE_PRO=price_kolony_pro STRIPE_PRICE_AGENCY=price_kolony_agency
  say "Starting the Stripe stand-in at $STRIPE_API_BASE (test card, signed webhooks to :$PORT)"
  $PY -m tests.fakes.stripe_standin --port "$STANDIN_PORT" --webhook-url "http://127.0.0.1:$PORT/billing/stripe/webhook/" \
    --webhook-secret "$STRIPE_WEBHOOK_SECRET" --price "price_kolony_pro=4900:usd:Kolony Pro" \
    --price "price_kolony_agency=19900:usd:Kolony Agency" >var/log/stripe-standin.log 2>&1 &
  STANDIN=$!
elif [[ -z ${STRIPE_SECRET_KEY:-} ]]; then
  say "No STRIPE_SECRET_KEY: billing disabled (every organization on the unlimited internal plan); KOLONY_STRIPE_STANDIN=1 starts a local Stripe stand-in"
fi

PLATFORMS=
if [[ ${KOLONY_PLATFORM_STANDINS:-1} == 1 && -z ${META_APP_ID:-} && -z ${GOOGLE_ADS_CLIENT_ID:-} ]]; then
  # Meta + Google stand-ins (OAuth, Graph API, Google Ads gRPC; tests/fakes/), the demo organization connected to them.
  rm -f var/platform-standins.env
  $PY manage.py platform_standins --env-file var/platform-standins.env --connect-demo >var/log/platform-standins.log 2>&1 &
  PLATFORMS=$!
  for _ in $(seq 1 100); do [[ -f var/platform-standins.env ]] && break; sleep 0.2; done
  if [[ -f var/platform-standins.env ]]; then
    source var/platform-standins.env
    say "Ad platform stand-ins running (Meta + Google Ads, see var/log/platform-standins.log); the demo organization is connected"
  else
    say "The ad platform stand-ins did not start (var/log/platform-standins.log); publishing is unavailable"
  fi
fi

say "Starting an RQ worker (queues default, render, publish)"
$PY manage.py rqworker default render publish --with-scheduler >var/log/worker.log 2>&1 &
WORKER=$!
# Sends jobs saved while Redis was down and re-queues jobs of killed workers, even while the worker is busy.
$PY manage.py outbox_sweep --loop >var/log/sweep.log 2>&1 &
SWEEPER=$!
trap 'kill $WORKER $SWEEPER $STANDIN $PLATFORMS 2>/dev/null || true' EXIT INT TERM

say "Kolony is running at http://127.0.0.1:$PORT/  (sign in as demo@kolony.test; Ctrl-C stops it)"
$PY manage.py runserver "0.0.0.0:$PORT"
