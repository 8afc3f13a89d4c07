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

echo "load: $USERS users (+$SPAWN_RATE/s) for $RUN_TIME against $HOST; CSV in $OUT/"
status=0
"$PY" -m locust -f loadtests/locustfile.py --headless --host "$HOST" --users "$USERS" \
  --spawn-rate "$SPAWN_RATE" --run-time "$RUN_TIME" --stop-timeout 300 --csv "$PREFIX" \
  --only-summary --loglevel WARNING || status=$?

if [[ -f ${PREFIX}_stats.csv ]]; then
  "$PY" - "$PREFIX" <<'EOF'
import csv
import sys

prefix = sys.argv[1]
with open(f"{prefix}_stats.csv", newline="") as f:
    rows = list(csv.DictReader(f))
files = {}
try:
    with open(f"{prefix}_images.csv", newline="") as f:
        files = {r["Name"]: r for r in csv.DictReader(f)}
except FileNotFoundError:
    pass

print(f"\n{'request type':<48} {'reqs':>6} {'fails':>5} {'req/s':>7} {'img/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
for r in rows:
    name = r["Name"] if r["Type"] else "TOTAL"
    count = int(r["Request Count"])
    rps = float(r["Requests/s"])
    images = "" if name not in files or not count else f"{rps * int(files[name]['Files']) / count:.1f}"
    print(f"{(r['Type'] + ' ' + name).strip():<48} {count:>6} {r['Failure Count']:>5} {rps:>7.2f} {images:>7} "
          f"{r['50%']:>7} {r['95%']:>7} {float(r['Max Response Time']):>7.0f}")
for name, r in files.items():
    print(f"  {name}: {r['Files']} files in {r['Requests']} requests, {r['Classified']} classified")
try:
    with open(f"{prefix}_failures.csv", newline="") as f:
        failures = list(csv.DictReader(f))
except FileNotFoundError:
    failures = []
for r in failures:
    print(f"FAILED {r['Occurrences']}x {r['Method']} {r['Name']}: {r['Error'][:300]}")
EOF
fi
if [[ -s ${PREFIX}_exceptions.csv && $(wc -l < "${PREFIX}_exceptions.csv") -gt 1 ]]; then
  echo "load: task exceptions, see ${PREFIX}_exceptions.csv" >&2
fi
if (( status != 0 )); then
  echo "load: FAILED (exit $status): errors above, details in $OUT/" >&2
else
  echo "load: OK, no errors"
fi
exit "$status"
