// Upload: many images for one trap, with live per-file progress.
//
// Files go in batches (a few dozen files / tens of MB per request), so a dropped phone
// connection costs one batch, which is retried: the API is idempotent by content hash
// (a file that did arrive comes back as "duplicate"). For each batch the page opens
// GET /uploads/{id}/events (read with fetch: EventSource cannot send the token) and then
// POSTs the files with XMLHttpRequest (it reports bytes sent). The POST's response is the
// final word if the event stream fails. An upload keeps going when the user opens another
// page; coming back here shows it again.
//
// Above it, the field queue (fieldqueue.js): photos kept in IndexedDB and sent one by one
// through resumable sessions, which also works offline (the trap list as last seen online).
import { eventStream, listTraps, postForm } from "../api.js";
import { can, session } from "../auth.js";
import { alertBox, fmtBytes, fmtPercent, h, pageHeader, setChildren, spinner, toast } from "../dom.js";
import { fieldQueueCard } from "../fieldqueue.js";
import { groupBadge } from "../groups.js";
import { onLanguageChange, t } from "../i18n.js";
import { reportUpload } from "../telemetry.js";
import { trapForm } from "../trapform.js";
import { isAbort, randomHex32, sleep } from "../util.js";

const BATCH_MAX_FILES = 20;
const BATCH_MAX_BYTES = 48 * 1024 * 1024;
const ATTEMPTS = 3;
const RETRY_DELAY_MS = 3000;
const STREAM_GRACE_MS = 1500;  // after the POST answers, let the last events arrive
const FINAL = new Set(["classified", "duplicate", "pending", "rejected", "failed"]);
const BADGES = {
  waiting: ["secondary", "waiting"], sending: ["secondary", "sending"], received: ["secondary", "received"],
  stored: ["info", "stored · classifying"], classified: ["success", "classified"],
  duplicate: ["info", "already uploaded"], pending: ["warning", "stored · classified later"],
  rejected: ["danger", "rejected"], failed: ["danger", "not sent"],
};

let active = null;  // the upload in progress: {panel, done: Promise}
// [{id, name, latitude, longitude}] as last seen online (the caller's own precision: cells
// for uploaders): the offline trap choice and the nearest-trap suggestion.
const TRAPS_KEY = "ailurus.upload.traps";

/** Great-circle distance in km (the nearest-trap suggestion; the server does the exact check). */
function distanceKm(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** The trap nearest to a position, by the positions this caller may see. */
function nearestTrap(traps, latitude, longitude) {
  let best = null;
  for (const trap of traps.values()) {
    if (typeof trap.latitude !== "number" || typeof trap.longitude !== "number") continue;
    const km = distanceKm(latitude, longitude, trap.latitude, trap.longitude);
    if (!best || km < best.km) best = { trap, km };
  }
  return best;
}

/** The traps to choose from: the API's, or offline the names kept from the last visit. */
async function loadTraps(signal) {
  try {
    const traps = await listTraps({ signal });
    try {
      localStorage.setItem(TRAPS_KEY, JSON.stringify(traps.map(({ id, name, latitude, longitude }) =>
        ({ id, name, latitude, longitude }))));
    } catch { /* storage full or blocked: no offline list */ }
    return { traps, cached: false };
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    let kept = [];
    try { kept = JSON.parse(localStorage.getItem(TRAPS_KEY) || "[]"); } catch { /* unreadable */ }
    return { traps: kept, cached: true };
  }
}

function batches(files) {
  const out = [];
  let current = [];
  let bytes = 0;
  files.forEach((file, index) => {
    if (current.length && (current.length >= BATCH_MAX_FILES || bytes + file.size > BATCH_MAX_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ file, index });
    bytes += file.size;
  });
  if (current.length) out.push(current);
  return out;
}

class Row {
  constructor(file, index) {
    this.status = "waiting";
    this.badge = h("span", { class: "badge" });
    this.detail = h("div", { class: "small" });
    this.el = h("li", { class: "list-group-item upload-row", dataset: { index, status: "waiting" } },
      h("div", { class: "d-flex flex-wrap align-items-center gap-2" },
        h("span", { class: "file-name me-auto" }, file.name),
        h("span", { class: "small text-muted" }, fmtBytes(file.size)), this.badge),
      this.detail);
    this.paint();
  }

  get final() {
    return FINAL.has(this.status);
  }

  /** Apply a progress event or a result; a final state is never replaced by a step before it. */
  update(result, { authoritative = false } = {}) {
    if (!BADGES[result.status]) return;
    if (this.final && !authoritative) return;
    // Where the final state was first seen: the live stream, or only the POST's response.
    if (FINAL.has(result.status) && !this.final) this.el.dataset.via = authoritative ? "response" : "events";
    this.status = result.status;
    this.result = result;
    this.paint();
  }

  paint() {
    const [kind, text] = BADGES[this.status];
    this.badge.className = `badge text-bg-${kind}`;
    this.badge.textContent = text;
    this.el.dataset.status = this.status;
    this.el.dataset.final = String(this.final);
    const r = this.result || {};
    if (r.media_id) this.el.dataset.mediaId = r.media_id;
    const view = r.media_id ? h("a", { href: `#/media/${r.media_id}`, class: "ms-1" }, "view") : null;
    if (this.status === "classified" && r.prediction) {
      const p = r.prediction;
      setChildren(this.detail, groupBadge(p.group), ` ${p.label} · ${fmtPercent(p.confidence)} `, view);
    } else if (r.error) {
      setChildren(this.detail, h("span", { class: "text-danger" }, r.error.message),
        h("span", { class: "text-muted" }, ` (${r.error.code})`), view);
    } else if (this.status === "stored") {
      this.detail.replaceChildren(h("span", { class: "spinner-border spinner-border-sm text-info", "aria-hidden": "true" }));
    } else {
      setChildren(this.detail, view);
    }
  }
}

/** Follow one batch's event stream until `event: done` or abort. */
async function follow(uploadId, rows, signal) {
  for await (const message of eventStream(`/uploads/${uploadId}/events`, { signal })) {
    if (message.event === "done") return;
    if (message.event !== "message" || !message.data) continue;
    const event = JSON.parse(message.data);
    rows[event.index]?.update(event);
  }
}

async function sendBatch(trapId, batch, rows, onBytes) {
  const batchRows = batch.map(({ index }) => rows[index]);
  for (let attempt = 1; ; attempt += 1) {
    const uploadId = randomHex32();
    const streamStop = new AbortController();
    const streamed = follow(uploadId, batchRows, streamStop.signal).catch((error) => {
      if (!isAbort(error)) console.warn("progress stream:", error.message);  // the POST result still comes
    });
    const form = new FormData();
    for (const { file } of batch) form.append("files", file, file.name);
    batchRows.forEach((row) => row.final || row.update({ status: "sending" }));
    try {
      const started = performance.now();
      const body = await postForm(`/traps/${encodeURIComponent(trapId)}/images`, { upload_id: uploadId }, form,
        { onProgress: onBytes });
      reportUpload(performance.now() - started, batch.length);
      body.results.forEach((result, i) => batchRows[i]?.update(result, { authoritative: true }));
      await Promise.race([streamed, sleep(STREAM_GRACE_MS)]);
      return;
    } catch (error) {
      const network = error instanceof TypeError;
      if (network && attempt < ATTEMPTS) {
        batchRows.forEach((row) => row.final || row.update({ status: "waiting" }));
        await sleep(RETRY_DELAY_MS * attempt);
        continue;
      }
      const reason = network ? "the connection failed; try again" : error.message;
      batchRows.forEach((row) => row.final || row.update({ status: "failed",
        error: { code: error.code || "network_error", message: reason } }));
      if (!network) throw error;  // e.g. 401/403/404: the next batch would fail the same way
      return;
    } finally {
      streamStop.abort();
    }
  }
}

function startUpload(trap, files) {
  const rows = files.map((file, i) => new Row(file, i));
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const bar = h("div", { class: "progress-bar" });
  const summary = h("div", { class: "small text-muted", id: "upload-summary" });
  const plural = `${files.length} file${files.length === 1 ? "" : "s"}`;
  const title = h("h2", { class: "h6 mb-0" }, `Uploading ${plural} to ${trap.name}`);
  const panel = h("div", { class: "card mb-3", id: "upload-panel" }, h("div", { class: "card-body" },
    h("div", { class: "d-flex flex-wrap justify-content-between gap-2 mb-2" },
      title,
      summary),
    h("div", { class: "progress upload-bytes mb-3", role: "progressbar", "aria-label": "Bytes sent" }, bar),
    h("ol", { class: "list-group", id: "upload-progress" }, rows.map((r) => r.el))));
  let sentBytes = 0;
  const paintSummary = () => {
    const counts = {};
    for (const row of rows) if (row.final) counts[row.status] = (counts[row.status] || 0) + 1;
    const finished = Object.values(counts).reduce((a, b) => a + b, 0);
    summary.textContent = `${finished} of ${rows.length} done${Object.keys(counts).length ? ": " : ""}`
      + Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(", ");
    summary.dataset.finished = String(finished);
  };
  const observer = new MutationObserver(paintSummary);
  observer.observe(panel, { subtree: true, attributes: true, attributeFilter: ["data-status"] });
  paintSummary();
  const leaveWarning = (event) => { event.preventDefault(); event.returnValue = ""; };
  window.addEventListener("beforeunload", leaveWarning);

  const done = (async () => {
    try {
      for (const batch of batches(files)) {
        const batchBytes = batch.reduce((n, { file }) => n + file.size, 0);
        await sendBatch(trap.id, batch, rows, (loaded, total) => {
          bar.style.width = `${(100 * (sentBytes + (loaded / total) * batchBytes)) / totalBytes}%`;
        });
        sentBytes += batchBytes;
        bar.style.width = `${(100 * sentBytes) / totalBytes}%`;
      }
    } catch (error) {
      panel.querySelector(".card-body").append(alertBox("danger", `Upload stopped: ${error.message}`));
    } finally {
      window.removeEventListener("beforeunload", leaveWarning);
      paintSummary();
      observer.disconnect();
      bar.classList.add(rows.every((r) => ["classified", "duplicate", "pending"].includes(r.status))
        ? "bg-success" : "bg-warning");
      panel.dataset.done = "true";
      title.textContent = `Uploaded ${plural} to ${trap.name}`;
      panel.querySelector(".card-body").append(h("div", { class: "mt-2 d-flex flex-wrap gap-2" },
        h("a", { class: "btn btn-sm btn-outline-primary", href: `#/gallery?trap_id=${encodeURIComponent(trap.id)}` },
          "Open in gallery"),
        h("a", { class: "btn btn-sm btn-outline-secondary", href: `#/traps/${encodeURIComponent(trap.id)}` }, "Trap page")));
      if (!panel.isConnected) toast(`Upload to ${trap.name} finished: ${summary.textContent}`, "success", 8000);
      active = null;
    }
  })();
  active = { panel, done };
  return active;
}

export async function render(root, { query, ctx }) {
  root.append(pageHeader("Upload images"));
  if (!can("uploader")) {
    root.append(alertBox("warning", "Your account cannot upload images (it needs the uploader role)."));
    return;
  }
  const trapSelect = h("select", { class: "form-select", id: "upload-trap", required: true },
    h("option", { value: "" }, "choose a trap…"));
  const files = h("input", { class: "form-control", type: "file", id: "upload-files", multiple: true,
    accept: "image/*,.heic,.heif", required: true });
  const chosen = h("div", { class: "form-text", id: "upload-chosen" }, "JPEG, PNG, WebP, TIFF or HEIC; "
    + "on a phone you can take photos directly.");
  const start = h("button", { class: "btn btn-primary", type: "submit", id: "upload-start" }, "Upload");
  const message = h("div");
  let newTrap = null;
  const suggestion = h("div", { class: "form-text", id: "upload-nearest-note" });
  const nearest = h("button", { class: "btn btn-outline-secondary", type: "button", id: "upload-nearest",
    hidden: !navigator.geolocation, on: { click: () => {
      navigator.geolocation.getCurrentPosition(({ coords }) => {
        const best = nearestTrap(traps, coords.latitude, coords.longitude);
        if (!best) return;
        trapSelect.value = best.trap.id;
        suggestion.dataset.trapId = best.trap.id;
        suggestion.textContent = t("upload.nearest.suggested", { name: best.trap.name, km: best.km.toFixed(1) });
      }, (error) => { suggestion.textContent = t("upload.nearest.none", { reason: error.message }); },
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 });
    } } }, t("upload.nearest"));
  const trapRow = [h("div", { class: "flex-grow-1" }, trapSelect), nearest];
  if (can("admin")) {
    newTrap = h("div", { class: "card card-body mt-2", id: "upload-new-trap", hidden: true },
      h("h2", { class: "h6" }, "New camera trap"),
      trapForm({ idPrefix: "upload-trap-new", onCreated: (trap) => {
        traps.set(trap.id, trap);
        trapSelect.append(h("option", { value: trap.id, selected: true }, trap.name));
        newTrap.hidden = true;
        toast(`Trap ${trap.name} created`, "success", 3000);
      } }));
    trapRow.push(h("button", { class: "btn btn-outline-secondary", type: "button", id: "upload-new-trap-toggle",
      on: { click: () => { newTrap.hidden = !newTrap.hidden; } } }, "New trap"));
  }
  const form = h("form", { class: "card mb-3", id: "upload-form" }, h("div", { class: "card-body" },
    h("label", { class: "form-label", for: trapSelect.id }, "Camera trap"),
    h("div", { class: "d-flex gap-2" }, trapRow),
    suggestion,
    newTrap,
    h("label", { class: "form-label mt-3", for: files.id }, "Images"), files, chosen,
    message,
    h("div", { class: "mt-3" }, start)));
  const progressArea = h("div", { id: "upload-area" });
  // The queue card is drawn again in the other language (with its own listeners).
  const queueCleanups = [];
  const drawQueue = () => {
    queueCleanups.splice(0).forEach((fn) => fn());
    return fieldQueueCard({ ctx: { onCleanup: (fn) => queueCleanups.push(fn) },
      currentTrap: () => traps.get(trapSelect.value) || null,
      offlineBoot: () => (session.offline ? session.me.name : null) });
  };
  let queueCard = drawQueue();
  ctx.onCleanup(onLanguageChange(() => {
    const next = drawQueue();
    queueCard.replaceWith(next);
    queueCard = next;
  }));
  ctx.onCleanup(() => queueCleanups.splice(0).forEach((fn) => fn()));
  root.append(form, queueCard, progressArea);
  if (active) progressArea.append(active.panel);

  const traps = new Map();
  const loading = spinner("Loading traps…");
  form.querySelector(".card-body").prepend(loading);
  let cached = false;
  try {
    const loaded = await loadTraps(ctx.signal);
    cached = loaded.cached;
    for (const trap of loaded.traps.sort((a, b) => a.name.localeCompare(b.name))) {
      traps.set(trap.id, trap);
      trapSelect.append(h("option", { value: trap.id, selected: trap.id === query.get("trap") }, trap.name));
    }
  } finally {
    loading.remove();
  }
  if (cached) {
    message.replaceChildren(alertBox("secondary", t(traps.size ? "upload.queue.traps_cached"
      : "upload.queue.no_traps_offline")));
  } else if (!traps.size) {
    message.replaceChildren(alertBox("secondary", can("admin") ? "No traps yet: create one first."
      : "No traps yet: ask an admin to register one."));
    if (newTrap) newTrap.hidden = false;
  }

  files.addEventListener("change", () => {
    const list = [...files.files];
    const bytes = list.reduce((n, f) => n + f.size, 0);
    chosen.textContent = list.length ? `${list.length} file${list.length === 1 ? "" : "s"}, ${fmtBytes(bytes)}` : "";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.replaceChildren();
    const trap = traps.get(trapSelect.value);
    const list = [...files.files];
    if (!trap || !list.length) {
      message.replaceChildren(alertBox("warning", !trap ? "Choose a trap." : "Choose the images."));
      return;
    }
    if (active) {
      message.replaceChildren(alertBox("warning", "An upload is still running: wait for it to finish."));
      return;
    }
    start.disabled = true;
    const upload = startUpload(trap, list);
    progressArea.replaceChildren(upload.panel);
    files.value = "";
    chosen.textContent = "";
    await upload.done;
    start.disabled = false;
  });
}
