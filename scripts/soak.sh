#!/usr/bin/env bash
# A soak against a running stack (`make run`): the Locust mix of `make load` for SOAK_TIME
# (default 30m) while every service's resident memory is sampled; fails on any request
# error or when a part's RSS grew more than 10% between the end of warm-up (the first fifth
# of the run) and the end. `make soak` calls it. Samples go to test-artifacts/soak/rss.csv.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
OUT=test-artifacts/soak
mkdir -p "$OUT"
"$PY" -m ailurus_tools.rss_watch --out "$OUT/rss.csv" --interval-s "${SOAK_SAMPLE_S:-15}" &
watcher=$!
trap 'kill "$watcher" 2>/dev/null || true' EXIT
status=0
LOAD_TIME=${SOAK_TIME:-30m} PY=$PY bash scripts/load.sh || status=$?
kill "$watcher"; wait "$watcher" || true
echo
"$PY" -m ailurus_tools.rss_watch --check "$OUT/rss.csv" || { rc=$?; (( status != 0 )) || status=$rc; }
(( status == 0 )) && echo "soak: OK (no errors, memory flat)" || echo "soak: FAILED (exit $status)" >&2
exit "$status"
