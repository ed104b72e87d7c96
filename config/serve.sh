#!/usr/bin/env bash
# Production in one command (`make serve`): gunicorn on HOST:PORT with WEB_CONCURRENCY workers
# (2 × cores + 1 unless set), one Celery worker and Celery beat, all logging to stdout. Needs
# DATABASE_URL and CELERY_BROKER_URL; stops everything when one of them stops or on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL (postgres://…): make serve runs on PostgreSQL}"
: "${CELERY_BROKER_URL:?set CELERY_BROKER_URL (redis://…): make serve runs a worker and beat}"
HOST="${HOST:-0.0.0.0}"
PORT="${PORT:-8000}"
WEB_CONCURRENCY="${WEB_CONCURRENCY:-$(($(nproc) * 2 + 1))}"
BEAT_SCHEDULE="${BEAT_SCHEDULE:-${TMPDIR:-/tmp}/lhm-celerybeat-schedule}"
VENV="${VENV:-.venv}"

pids=()
stop() {
  trap - EXIT INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop EXIT INT TERM

"$VENV/bin/celery" -A config worker --loglevel INFO --concurrency "${CELERY_CONCURRENCY:-2}" &
pids+=($!)
"$VENV/bin/celery" -A config beat --loglevel INFO --schedule "$BEAT_SCHEDULE" &
pids+=($!)
"$VENV/bin/gunicorn" config.wsgi --bind "$HOST:$PORT" --workers "$WEB_CONCURRENCY" \
  --access-logfile - --error-logfile - --timeout "${GUNICORN_TIMEOUT:-30}" &
pids+=($!)

wait -n "${pids[@]}"
echo "make serve: a process stopped; stopping the others" >&2
exit 1
