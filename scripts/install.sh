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

inputs=(requirements-dev.txt services/*/requirements.txt libs/*/pyproject.toml services/*/pyproject.toml tools/pyproject.toml)
digest=$(cat "${inputs[@]}" | sha256sum | cut -d' ' -f1)

if [[ -f $STAMP && $(cat "$STAMP") == "$digest" ]]; then
  exit 0
fi

if [[ ! -x $VENV/bin/python ]]; then
  echo "install: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
echo "install: pinned dependencies"
"$VENV/bin/pip" install --quiet -r requirements-dev.txt
echo "install: project packages (editable)"
"$VENV/bin/pip" install --quiet --no-build-isolation --no-deps \
  -e libs/ailurus_common -e services/preprocess -e services/gateway -e services/ingest -e tools
echo "$digest" > "$STAMP"
echo "install: done"
