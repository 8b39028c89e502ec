#!/usr/bin/env bash
# Prepares a machine for Kolony: Debian packages, the .venv virtualenv, PostgreSQL and Redis.
# Usage: scripts/setup.sh run|test   (sourced by run.sh and test.sh; safe to run again)
set -euo pipefail
MODE=${1:-run}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------------
DEB_PACKAGES=(espeak-ng ffmpeg fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji libgl1 libglib2.0-0)
[[ $MODE == test ]] && DEB_PACKAGES+=(chromium)
missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Kolony needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# --- Python virtualenv -----------------------------------------------------------------------
PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  say "Creating the virtualenv in .venv/"
  "$PY" -m venv .venv
fi
REQ=requirements.txt
[[ $MODE == test ]] && REQ=requirements-dev.txt
# Tests also cover the GPU worker on the CPU (tests/gpu_worker): its ML stack, the CPU torch build here.
EXTRA_REQ=()
[[ $MODE == test ]] && EXTRA_REQ=(-r requirements-gpu.txt)
stamp=.venv/.kolony-$MODE-$(cat requirements*.txt | sha256sum | cut -c1-16)
if [[ ! -f $stamp ]]; then
  say "Installing Python packages from $REQ${EXTRA_REQ[1]:+ and ${EXTRA_REQ[1]}}"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -r "$REQ" ${EXTRA_REQ[@]+"${EXTRA_REQ[@]}"}
  # scenedetect asks for opencv-python, which writes the same cv2 package as opencv-contrib-python
  # (whose saliency module the subject-aware crop needs): keep contrib's files only.
  if .venv/bin/python -m pip show -q opencv-python >/dev/null 2>&1; then
    .venv/bin/python -m pip uninstall -q -y opencv-python
    .venv/bin/python -m pip install -q --force-reinstall --no-deps "$(grep -h '^opencv-contrib-python==' requirements.txt)"
  fi
  touch "$stamp"
fi

# --- PostgreSQL and Redis --------------------------------------------------------------------
pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
redis_up() { command -v redis-cli >/dev/null && [[ $(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) == PONG ]]; }
if ! pg_up && [[ $(id -u) -eq 0 ]] && command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
  say "Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! redis_up && command -v redis-server >/dev/null; then
  say "Starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
  sleep 0.5
fi
redis_up || { echo "Redis does not answer on 127.0.0.1:6379. Install it (apt-get install redis-server) or set REDIS_URL." >&2; exit 1; }

if [[ -z ${DATABASE_URL:-} ]]; then
  if pg_up; then
    DB_NAME=${KOLONY_DB_NAME:-kolony}
    PGUSER_NAME=${KOLONY_PG_USER:-postgres}
    if ! psql -h 127.0.0.1 -U "$PGUSER_NAME" -tAc "select 1 from pg_database where datname='$DB_NAME'" postgres 2>/dev/null | grep -q 1; then
      createdb -h 127.0.0.1 -U "$PGUSER_NAME" "$DB_NAME"
    fi
    export DATABASE_URL="postgres://$PGUSER_NAME@127.0.0.1:5432/$DB_NAME"
  else
    # Campaigns use PostgreSQL arrays, so the app needs PostgreSQL (SQLite serves only `manage.py check`).
    echo "PostgreSQL does not answer on 127.0.0.1:5432. Install and start it (apt-get install postgresql)," >&2
    echo "or set DATABASE_URL=postgres://USER@HOST:PORT/DBNAME." >&2
    exit 1
  fi
fi
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
