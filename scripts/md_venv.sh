#!/usr/bin/env bash
# .venv-md/: an isolated venv holding the MegaDetector project's validator
# (megadetector-utils pins the non-headless opencv-python; .venv has the headless one).
# Idempotent: a stamp records the hash of its requirements file.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv-md
REQUIREMENTS=tools/validators/requirements-md.txt
STAMP=$VENV/.install-stamp
digest=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)

if [[ -f $STAMP && $(cat "$STAMP") == "$digest" ]]; then
  exit 0
fi
if [[ ! -x $VENV/bin/python ]]; then
  echo "install: creating $VENV (MegaDetector validator)"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet -r "$REQUIREMENTS" 2>&1 | { grep -v "is ignored: it is neither" || true; }
echo "$digest" > "$STAMP"
