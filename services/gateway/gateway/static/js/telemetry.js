// The dashboard's own telemetry: page-load and upload timings and JavaScript errors, sent
// to the gateway (POST /api/v1/telemetry), which forwards them as spans with its exporter.
// Nothing is collected or sent unless /api/v1/ui/config says telemetry is on; no third-party
// script; no URL, query or user agent leaves the page (only the route name and the figures).
import { authedFetch, getUiConfig } from "./api.js";
import { isSignedIn } from "./auth.js";

const FLUSH_MS = 5000;
const MAX_EVENTS = 50;
const MAX_MESSAGE = 300;
let enabled = false;
let queue = [];
let timer = null;

async function flush() {
  timer = null;
  if (!enabled || !queue.length) return;
  if (!isSignedIn()) {  // kept for after sign-in: a report never signs anybody out
    schedule();
    return;
  }
  const events = queue.splice(0, MAX_EVENTS);
  try {
    await authedFetch("/telemetry", { method: "POST", json: { events } });
  } catch {
    // Telemetry never gets in the way: a failed report is dropped, not retried.
  }
  if (queue.length) schedule();
}

function schedule() {
  timer ??= setTimeout(flush, FLUSH_MS);
}

function pageName() {
  const name = window.location.hash.replace(/^#\/?/, "").split(/[/?]/)[0] || "map";
  return /^[a-z][a-z0-9_-]{0,31}$/.test(name) ? name : "other";
}

/** Report one event ({kind, duration_ms?, message?, files?}) for the current page. */
export function report(event) {
  if (!enabled) return;
  queue.push({ page: pageName(), ...event });
  if (queue.length > MAX_EVENTS * 2) queue = queue.slice(-MAX_EVENTS * 2);
  schedule();
}

/** An upload of `files` files took `durationMs`. */
export function reportUpload(durationMs, files) {
  report({ kind: "upload", duration_ms: Math.max(0, Math.round(durationMs)), files });
}

function reportError(message) {
  report({ kind: "error", message: String(message || "error").slice(0, MAX_MESSAGE) });
}

/** Turn telemetry on if the gateway asks for it (after sign-in: the reports need a token). */
export async function initTelemetry() {
  try {
    enabled = Boolean((await getUiConfig()).telemetry);
  } catch {
    enabled = false;
  }
  if (!enabled) return;
  const navigation = performance.getEntriesByType("navigation")[0];
  if (navigation) report({ kind: "page_load", duration_ms: Math.max(0, Math.round(navigation.duration || navigation.loadEventEnd || 0)) });
  window.addEventListener("error", (event) => reportError(event.message));
  window.addEventListener("unhandledrejection", (event) => reportError(event.reason?.message || event.reason));
  window.addEventListener("pagehide", () => flush());
}
