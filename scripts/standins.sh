#!/usr/bin/env bash
# Local stand-ins for Azure Blob/Queue Storage (Azurite) and Cosmos DB (@vercel/cosmosdb-server).
#   standins.sh install    npm ci in standins/ when node_modules is missing or the lock/Node changed
#   standins.sh cert DIR   self-signed TLS certificate for the Cosmos stand-in (DIR/cert.pem, DIR/key.pem)
set -euo pipefail
cd "$(dirname "$0")/.."

STANDINS=standins

install() {
  command -v node >/dev/null || { echo "standins: node not found (Node 20 is required)" >&2; exit 1; }
  # The stamp lives inside node_modules, so deleting node_modules also forgets it. Node's
  # version is part of it because npm ci resolves engine-specific packages for one Node.
  local stamp=$STANDINS/node_modules/.ailurus-stamp digest
  digest=$( (cat $STANDINS/package.json $STANDINS/package-lock.json; node --version) | sha256sum | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$digest" ]]; then
    return 0
  fi
  echo "standins: npm ci (Azurite, Cosmos DB stand-in)"
  (cd $STANDINS && npm ci --no-audit --no-fund --loglevel=error)
  echo "$digest" > "$stamp"
}

cert() {
  local dir=${1:?usage: standins.sh cert DIR}
  mkdir -p "$dir"
  # Regenerate only when missing or about to expire (the library's bundled one expired in 2021).
  if [[ -f $dir/cert.pem && -f $dir/key.pem ]] && openssl x509 -checkend 86400 -noout -in "$dir/cert.pem" >/dev/null; then
    return 0
  fi
  # P-256 instead of RSA: generated instantly. The SAN covers both names clients may use.
  (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null)
  chmod 644 "$dir/cert.pem"
  echo "standins: certificate written to $dir/cert.pem"
}

case ${1:-} in
  install) install ;;
  cert) cert "${2:-}" ;;
  *) echo "usage: $0 install | cert DIR" >&2; exit 2 ;;
esac
