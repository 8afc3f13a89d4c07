#!/usr/bin/env node
// Launcher for the Cosmos DB stand-in (@vercel/cosmosdb-server 1.0.1), which is a library.
// Usage: node cosmos-server.js --port PORT --cert-dir DIR
//   (or COSMOS_STANDIN_PORT / COSMOS_STANDIN_CERT_DIR; DIR holds cert.pem and key.pem,
//   made by `scripts/standins.sh cert DIR`). Listens on 127.0.0.1 only; in memory only.
// What it fixes in the stock server:
//   - its bundled TLS certificate expired in 2021: we pass our own;
//   - it closes the connection after every response unless keepAlive is set (a new TLS
//     handshake per request: 500 upserts took 11 s instead of 0.7 s);
//   - reading a missing item throws a TypeError in its read-document handler (HTTP 500):
//     we answer 404 NotFound like Cosmos DB, so SDKs raise their not-found error.
"use strict";

const fs = require("fs");
const path = require("path");

const HOST = "127.0.0.1";
const LIB = "@vercel/cosmosdb-server/lib";

function option(flag, envName) {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : process.env[envName];
}

const port = Number(option("--port", "COSMOS_STANDIN_PORT") || 8091);
const certDir = option("--cert-dir", "COSMOS_STANDIN_CERT_DIR");
if (!certDir || !Number.isInteger(port)) {
  console.error("usage: node cosmos-server.js --port PORT --cert-dir DIR");
  process.exit(2);
}

// The router copies each handler when lib/routes is first loaded, so the wrapper must be
// installed before anything requires the library's index.
const readDocument = require(`${LIB}/handler/read-document`);
const { parsePartitionKey } = require(`${LIB}/utils/get-partition-from-header`);
const stockReadDocument = readDocument.default;

function documentMissing(account, req, { dbId, collId, docId }) {
  const collection = account.database(dbId).collection(collId);
  const header = req.headers["x-ms-documentdb-partitionkey"];
  // A missing collection or partition-key header is already answered properly by the stock handler.
  if (!collection.read() || !header) return false;
  try {
    return !collection.document(docId, parsePartitionKey(header, docId)).read();
  } catch {
    return false; // an unparsable header: let the stock handler report it
  }
}

readDocument.default = (account, req, res, params) => {
  if (documentMissing(account, req, params)) {
    res.statusCode = 404;
    return { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
  }
  return stockReadDocument(account, req, res, params);
};

// Fail loudly if a library change ever makes the wrapper ineffective.
const route = require(`${LIB}/routes`).default({ method: "GET", url: "/dbs/d/colls/c/docs/x", headers: {} });
if (!route || route[1] !== readDocument.default) {
  console.error("cosmos-standin: could not install the read-document fix (library changed?)");
  process.exit(1);
}

let tls;
try {
  tls = { cert: fs.readFileSync(path.join(certDir, "cert.pem")), key: fs.readFileSync(path.join(certDir, "key.pem")) };
} catch (err) {
  console.error(`cosmos-standin: ${err.message} (make one with: scripts/standins.sh cert ${certDir})`);
  process.exit(1);
}
const { createHttpsServer } = require(LIB);
const server = createHttpsServer({ ...tls, keepAlive: true });
// Outlive the clients' idle-connection pools (aiohttp keeps them 15 s; Node's default is
// 5 s), so a client never reuses a connection the server is closing at that moment.
server.keepAliveTimeout = 65_000;

server.on("error", (err) => {
  console.error(`cosmos-standin: ${err.message}`);
  process.exit(1);
});

server.listen(port, HOST, () => {
  console.log(`cosmos-standin: ready at https://${HOST}:${server.address().port}/`);
});

function shutdown() {
  server.close(() => process.exit(0));
  // Also drop open keep-alive and in-flight connections: everything is in memory anyway.
  server.closeAllConnections();
}
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
