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
  # --ignore-scripts: none of these needs an install script, and swagger-ui-dist pulls in
  # @scarf/scarf, whose postinstall reports the install over the network.
  (cd $PKG && SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$digest" > "$stamp"
fi

# Copy only when the installed set changed (the copy's stamp is the install's digest).
if [[ -f $VENDOR/.ailurus-stamp && $(cat "$VENDOR/.ailurus-stamp") == "$digest" ]]; then
  exit 0
fi
rm -rf "$VENDOR"
mkdir -p "$VENDOR"/{bootstrap,leaflet/images,leaflet.heat,chart.js,msal-browser,swagger-ui}
# Source maps ride along: without them the browser's devtools log 404s.
cp $MODULES/bootstrap/dist/css/bootstrap.min.css{,.map} "$VENDOR/bootstrap/"
cp $MODULES/bootstrap/dist/js/bootstrap.bundle.min.js{,.map} "$VENDOR/bootstrap/"
cp $MODULES/leaflet/dist/leaflet.{js,js.map,css} "$VENDOR/leaflet/"
cp $MODULES/leaflet/dist/images/*.png "$VENDOR/leaflet/images/"
cp $MODULES/leaflet.heat/dist/leaflet-heat.js "$VENDOR/leaflet.heat/"
cp $MODULES/chart.js/dist/chart.umd.min.js{,.map} "$VENDOR/chart.js/"
cp $MODULES/@azure/msal-browser/lib/msal-browser.min.js "$VENDOR/msal-browser/"
# The API docs page (/api/v1/docs): Swagger UI, served from here under the page's CSP.
cp $MODULES/swagger-ui-dist/swagger-ui-bundle.js{,.map} $MODULES/swagger-ui-dist/swagger-ui.css{,.map} "$VENDOR/swagger-ui/"
for lib in bootstrap leaflet leaflet.heat chart.js @azure/msal-browser swagger-ui-dist; do
  target=${lib#@azure/}
  cp $MODULES/$lib/LICENSE* "$VENDOR/${target%-dist}/" 2>/dev/null || true
done
echo "$digest" > "$VENDOR/.ailurus-stamp"
echo "vendor: copied into $VENDOR"
