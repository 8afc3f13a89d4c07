#!/usr/bin/env bash
# Create .venv and install every pinned dependency plus the project's own packages.
# Idempotent: a stamp records the hash of every requirements/pyproject file, so a
# second run with nothing changed returns in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.install-stamp

# The npm stand-ins (Azurite, Cosmos DB server) keep their own stamp.
bash scripts/standins.sh install
# The dashboard's front-end libraries, vendored from npm (no CDN at run time).
bash scripts/vendor.sh
# Debian's Chromium for the browser tests (Python playwright drives it; never `playwright install`).
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "install: chromium (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends chromium >/dev/null \
      || { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null; }
  else
    echo "install: /usr/bin/chromium is missing; as root: apt-get install chromium (the browser tests need it)" >&2
  fi
fi

# A Devanagari font, so Chromium draws the Nepali pages (and their screenshots) instead of empty boxes.
if ! fc-list 2>/dev/null | grep -qi devanagari && [[ $(id -u) -eq 0 ]]; then
  echo "install: fonts-lohit-deva (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-lohit-deva >/dev/null \
    || echo "install: fonts-lohit-deva could not be installed: Nepali text shows as boxes in screenshots" >&2
fi

# The MegaDetector project's validator for the export tests, in a venv of its own (its own stamp).
bash scripts/md_venv.sh

inputs=(requirements-dev.txt services/*/requirements.txt libs/*/pyproject.toml services/*/pyproject.toml tools/pyproject.toml ml/pyproject.toml ml/requirements.txt)
digest=$(cat "${inputs[@]}" | sha256sum | cut -d' ' -f1)

if [[ -f $STAMP && $(cat "$STAMP") == "$digest" ]]; then
  exit 0
fi

if [[ ! -x $VENV/bin/python ]]; then
  echo "install: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
echo "install: pinned dependencies"
# This machine's pip config lists local index folders that may be absent: drop that noise.
"$VENV/bin/pip" install --quiet -r requirements-dev.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }
echo "install: project packages (editable)"
"$VENV/bin/pip" install --quiet --no-build-isolation --no-deps \
  -e libs/ailurus_common -e services/preprocess -e services/gateway -e services/ingest -e services/worker -e services/notifier -e tools -e ml
# Prometheus's promtool checks the chart's alert rules: taken from Debian's package without
# installing the server (which would come with a service). Optional: the tests skip without it.
if [[ ! -x $VENV/bin/promtool ]] && command -v apt-get >/dev/null; then
  tmp=$(mktemp -d)
  fetch() { (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); }
  if { fetch || { [[ $(id -u) -eq 0 ]] && apt-get update >/dev/null 2>&1 && fetch; }; } \
      && (cd "$tmp" && dpkg-deb --fsys-tarfile prometheus_*.deb | tar -xO ./usr/bin/promtool > promtool); then
    install -m 0755 "$tmp/promtool" "$VENV/bin/promtool"
  else
    echo "install: promtool unavailable (apt-get download prometheus failed); alert-rule checks will skip" >&2
  fi
  rm -rf "$tmp"
fi

echo "$digest" > "$STAMP"
echo "install: done"
