#!/usr/bin/env bash
# Locust, headless, against a running stack (`make run`); `make load` calls it.
# CSV stats go to test-artifacts/load/; prints throughput and latency per request type
# and exits non-zero on any failed request or task error (the run is also a smoke test).
#
#   LOAD_HOST        gateway base URL           (default http://127.0.0.1:8080)
#   LOAD_USERS       simulated users            (default 6: sized for a 2-core machine)
#   LOAD_SPAWN_RATE  users started per second   (default 1)
#   LOAD_TIME        run time, Locust syntax    (default 2m)
# Locust's own LOCUST_* variables work too; tokens: see loadtests/locustfile.py.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
HOST=${LOAD_HOST:-${LOCUST_HOST:-http://127.0.0.1:8080}}
USERS=${LOAD_USERS:-${LOCUST_USERS:-6}}
SPAWN_RATE=${LOAD_SPAWN_RATE:-${LOCUST_SPAWN_RATE:-1}}
RUN_TIME=${LOAD_TIME:-${LOCUST_RUN_TIME:-2m}}
OUT=test-artifacts/load
PREFIX=$OUT/ailurus

if ! curl -fsS -o /dev/null --max-time 5 "$HOST/readyz"; then
  echo "load: $HOST/readyz does not answer; start the stack first (make run)" >&2
  exit 2
fi
mkdir -p "$OUT"
rm -f "$PREFIX"_*.csv

echo "load: $USERS users (+$SPAWN_RATE/s) for $RUN_TIME against $HOST; CSV and locust.log in $OUT/"
status=0
# Locust's own report goes to the log; its warnings and errors still reach the terminal.
"$PY" -m locust -f loadtests/locustfile.py --headless --host "$HOST" --users "$USERS" \
  --spawn-rate "$SPAWN_RATE" --run-time "$RUN_TIME" --stop-timeout 300 --csv "$PREFIX" \
  --only-summary > "$OUT/locust.log" 2>&1 || status=$?
grep -E '/(WARNING|ERROR|CRITICAL)/' "$OUT/locust.log" >&2 || true

# The locustfile writes <prefix>_summary.csv and _errors.csv once the last request is in.
if [[ -f ${PREFIX}_summary.csv ]]; then
  # A run that made no request tested nothing: that fails too.
  "$PY" - "$PREFIX" <<'PYTHON' || { rc=$?; (( status != 0 )) || status=$rc; }
import csv
import sys

prefix = sys.argv[1]
with open(f"{prefix}_summary.csv", newline="") as f:
    rows = list(csv.DictReader(f))
with open(f"{prefix}_errors.csv", newline="") as f:
    errors = list(csv.DictReader(f))
if rows[-1]["Requests"] == "0":
    sys.exit("load: no requests were made")

print(f"\n{'request type':<50} {'reqs':>6} {'fails':>5} {'req/s':>6} {'files':>6} {'img/s':>6} "
      f"{'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
for r in rows:
    label = f"{r['Type']} {r['Name']}".strip()
    print(f"{label:<50} {r['Requests']:>6} {r['Failures']:>5} {r['Requests_per_s']:>6} {r['Files']:>6} "
          f"{r['Images_per_s']:>6} {r['p50_ms']:>7} {r['p95_ms']:>7} {r['Max_ms']:>7}")
print(f"(rates over the whole run, {rows[-1]['Duration_s']} s; img/s counts files classified)")
for e in errors:
    print(f"FAILED {e['Occurrences']}x {e['Method']} {e['Name']}: {e['Error'][:300]}")
PYTHON
else
  echo "load: no summary written (setup failed?); the end of $OUT/locust.log:" >&2
  tail -n 20 "$OUT/locust.log" >&2
  (( status != 0 )) || status=1
fi
if (( status != 0 )); then
  echo "load: FAILED (exit $status); details in $OUT/" >&2
else
  echo "load: OK, no errors"
fi
exit "$status"
