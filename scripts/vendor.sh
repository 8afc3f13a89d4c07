#!/usr/bin/env bash
# Vendor the dashboard's front-end libraries from npm into the gateway's static folder,
# so the browser never loads anything from a CDN at run time.
#   npm ci in services/gateway when node_modules is missing or the lock/Node changed,
#   then copy the dist files the dashboard loads into gateway/static/vendor/.
set -euo pipefail
cd "$(dirname "$0")/.."

PKG=services/gateway
MODULES=$PKG/node_modules
VENDOR=$PKG/gateway/static/vendor

command -v node >/dev/null || { echo "vendor: node not found (Node 20 is required)" >&2; exit 1; }

# The stamp lives inside node_modules (deleting node_modules forgets it), as in standins.sh.
stamp=$MODULES/.ailurus-stamp
digest=$( (cat $PKG/package.json $PKG/package-lock.json; node --version) | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$digest" ]]; then
  echo "vendor: npm ci (dashboard libraries)"
  (cd $PKG && npm ci --no-audit --no-fund --loglevel=error)
  echo "$digest" > "$stamp"
fi

# Copy only when the installed set changed (the copy's stamp is the install's digest).
if [[ -f $VENDOR/.ailurus-stamp && $(cat "$VENDOR/.ailurus-stamp") == "$digest" ]]; then
  exit 0
fi
rm -rf "$VENDOR"
mkdir -p "$VENDOR"/{bootstrap,leaflet/images,leaflet.heat,chart.js,msal-browser}
# Source maps ride along: without them the browser's devtools log 404s.
cp $MODULES/bootstrap/dist/css/bootstrap.min.css{,.map} "$VENDOR/bootstrap/"
cp $MODULES/bootstrap/dist/js/bootstrap.bundle.min.js{,.map} "$VENDOR/bootstrap/"
cp $MODULES/leaflet/dist/leaflet.{js,js.map,css} "$VENDOR/leaflet/"
cp $MODULES/leaflet/dist/images/*.png "$VENDOR/leaflet/images/"
cp $MODULES/leaflet.heat/dist/leaflet-heat.js "$VENDOR/leaflet.heat/"
cp $MODULES/chart.js/dist/chart.umd.min.js{,.map} "$VENDOR/chart.js/"
cp $MODULES/@azure/msal-browser/lib/msal-browser.min.js "$VENDOR/msal-browser/"
for lib in bootstrap leaflet leaflet.heat chart.js @azure/msal-browser; do
  cp $MODULES/$lib/LICENSE* "$VENDOR/${lib#@azure/}/" 2>/dev/null || true
done
echo "$digest" > "$VENDOR/.ailurus-stamp"
echo "vendor: copied into $VENDOR"
