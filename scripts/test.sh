#!/usr/bin/env bash
# `make test`: set up (including Chromium), then run the whole pytest suite against PostgreSQL and Redis.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/1}   # tests keep off the dev database 0
export DB_CONN_MAX_AGE=0   # live-server threads must not hold connections past a test
source scripts/setup.sh test
say "Linting (ruff) and type-checking (mypy)"
.venv/bin/ruff check .
.venv/bin/mypy
say "Running the tests"
exec .venv/bin/python -m pytest "$@"
