// The field queue card of the upload page: camera and file sources into the IndexedDB
// queue (uploadqueue.js), and each queued photo's state, live. Texts in i18n/<lang>/upload.js.
import { getToken } from "./auth.js";
import { fmtBytes, fmtPercent, h, setChildren } from "./dom.js";
import { groupBadge } from "./groups.js";
import { languageSelect, register, t } from "./i18n.js";
import upload_en from "./i18n/en/upload.js";
import upload_ne from "./i18n/ne/upload.js";
import { clearDone, enqueue, flush, listPhotos, onPhotoChange, requestSync, retryFailed } from "./uploadqueue.js";

register({ en: upload_en, ne: upload_ne });

const BADGE = { queued: "secondary", hashing: "secondary", sending: "primary", stored: "info",
  classified: "success", failed: "danger" };

const RETRY_DELAYS_S = [2, 5, 15, 30, 60];  // after a cut with the network still up (one bar of signal)
let retries = 0;
let retryTimer = null;

/**
 * Send the queue now if there is a network (and ask for a Background Sync otherwise). A
 * flush the network cut short is tried again after a growing pause while the browser
 * still says it is online (a dropped packet on a weak link fires no `online` event).
 */
export async function sendQueue() {
  requestSync();
  if (!navigator.onLine) return;
  clearTimeout(retryTimer);
  let outcome = null;
  try {
    outcome = await flush(getToken);
  } catch (error) {
    console.warn("upload queue:", error.message);
  }
  if (outcome === "interrupted" && navigator.onLine) {
    const delay_s = RETRY_DELAYS_S[Math.min(retries, RETRY_DELAYS_S.length - 1)];
    retries += 1;
    retryTimer = setTimeout(sendQueue, delay_s * 1000);
  } else {
    retries = 0;
  }
}

function photoRow(photo) {
  const li = h("li", { class: "list-group-item queue-row" });
  paintRow(li, photo);
  return li;
}

function paintRow(li, photo) {
  Object.assign(li.dataset, { photoId: String(photo.id), state: photo.state, sentBytes: String(photo.sent_bytes || 0),
    size: String(photo.size), wireBytes: String(photo.wire_bytes || 0), duplicate: String(Boolean(photo.duplicate)) });
  if (photo.media_id) li.dataset.mediaId = photo.media_id;
  if (photo.label) li.dataset.label = photo.label;
  if (photo.error_code) li.dataset.errorCode = photo.error_code;
  let detail = null;
  if (photo.state === "sending") {
    detail = t("upload.bytes", { sent: fmtBytes(photo.sent_bytes || 0), total: fmtBytes(photo.size) });
  } else if (photo.state === "classified") {
    detail = h("span", {}, groupBadge(photo.group), ` ${photo.label} · ${fmtPercent(photo.confidence)}`);
  } else if (photo.state === "failed") {
    detail = h("span", { class: "text-danger", title: photo.error_message || "" },
      t("upload.error", { code: photo.error_code }));
  } else if (photo.state === "stored" && photo.duplicate) {
    detail = t("upload.already");
  }
  const check = photo.check || {};
  li.dataset.far = String(Boolean(check.far));
  li.dataset.outsidePeriod = String(Boolean(check.outside_active_period));
  // basis "cell": a coarse caller is answered from the trap's grid cell, never its position.
  const farKey = check.basis === "cell" ? "upload.check.far_cell" : "upload.check.far";
  const warnings = [check.far && t(farKey, { km: check.distance_km }),
    check.outside_active_period && t("upload.check.period")].filter(Boolean);
  setChildren(li, h("div", { class: "d-flex flex-wrap align-items-center gap-2" },
    h("span", { class: "file-name me-auto text-break" }, photo.name),
    h("span", { class: "small text-muted" }, `${t("upload.trap", { name: photo.trap_name })} · ${fmtBytes(photo.size)}`),
    h("span", { class: `badge text-bg-${BADGE[photo.state] || "secondary"} queue-state` }, t(`upload.state.${photo.state}`))),
  detail && h("div", { class: "small queue-detail" }, detail),
  warnings.length ? h("div", { class: "small text-warning-emphasis queue-warning" }, `⚠ ${warnings.join(" · ")}`) : null);
}

/**
 * The card; `currentTrap()` gives the chosen trap ({id, name}) or null. `ctx.onCleanup`
 * stops its listeners when the page is left (the queue itself keeps sending).
 */
export function fieldQueueCard({ currentTrap, ctx, offlineBoot }) {
  const list = h("ol", { class: "list-group", id: "upload-queue" });
  const counts = h("div", { class: "small text-muted", id: "upload-queue-counts" });
  const network = h("div", { id: "upload-queue-network" });
  const note = h("div", { class: "small text-warning-emphasis" });
  const camera = h("input", { type: "file", accept: "image/*", capture: "environment", id: "queue-camera",
    class: "visually-hidden" });
  const files = h("input", { type: "file", accept: "image/*", multiple: true, id: "queue-files", class: "visually-hidden" });
  const rows = new Map();

  const paintCounts = () => {
    const states = [...rows.values()].map((li) => li.dataset.state);
    const done = states.filter((s) => s === "stored" || s === "classified").length;
    const failed = states.filter((s) => s === "failed").length;
    counts.textContent = t("upload.queue.counts", { waiting: states.length - done - failed, done, failed });
    counts.dataset.done = String(done);
    if (!rows.size) list.replaceChildren(h("li", { class: "list-group-item text-muted", id: "upload-queue-empty" },
      t("upload.queue.empty")));
  };
  const paintNetwork = () => {
    const online = navigator.onLine && !offlineBoot?.();
    network.dataset.online = String(online);
    setChildren(network, h("span", { class: `badge text-bg-${online ? "success" : "warning"}` },
      t(online ? "common.online" : "common.offline")),
    online ? null : h("span", { class: "small ms-2" }, offlineBoot?.() ? t("upload.queue.offline_boot",
      { name: offlineBoot() }) : t("upload.queue.offline")));
  };
  const show = (photo) => {
    if (!photo) return;  // a bulk change: reload() follows
    if (offlineBoot?.() && (photo.state === "stored" || photo.state === "classified")) {
      window.dispatchEvent(new Event("ailurus:reachable"));
    }
    let li = rows.get(photo.id);
    if (!li) {
      list.querySelector("#upload-queue-empty")?.remove();
      li = photoRow(photo);
      rows.set(photo.id, li);
      list.append(li);
    } else {
      paintRow(li, photo);
    }
    paintCounts();
  };
  const reload = async () => {
    rows.clear();
    list.replaceChildren();
    for (const photo of await listPhotos()) show(photo);
    paintCounts();
  };
  const add = async (input) => {
    const trap = currentTrap();
    const chosen = [...input.files];
    input.value = "";
    if (!chosen.length) return;
    if (!trap) {
      note.textContent = t("upload.queue.need_trap");
      return;
    }
    note.textContent = t("upload.queue.added", { n: chosen.length });
    await enqueue(trap.id, trap.name, chosen);
    sendQueue();
  };
  camera.addEventListener("change", () => add(camera));
  files.addEventListener("change", () => add(files));
  const button = (label, id, kind, onClick) => h("button", { class: `btn btn-sm btn-${kind}`, type: "button", id,
    on: { click: onClick } }, label);

  ctx.onCleanup(onPhotoChange(show));
  window.addEventListener("online", paintNetwork);
  window.addEventListener("offline", paintNetwork);
  window.addEventListener("ailurus:reconnected", paintNetwork);
  ctx.onCleanup(() => {
    window.removeEventListener("online", paintNetwork);
    window.removeEventListener("offline", paintNetwork);
    window.removeEventListener("ailurus:reconnected", paintNetwork);
  });
  paintNetwork();
  reload().then(sendQueue);

  return h("section", { class: "card mb-3", id: "upload-queue-card" }, h("div", { class: "card-body" },
    h("div", { class: "d-flex flex-wrap justify-content-between align-items-center gap-2 mb-2" },
      h("h2", { class: "h6 mb-0" }, t("upload.queue.title")), network, languageSelect()),
    h("p", { class: "small text-muted" }, t("upload.queue.hint")),
    h("div", { class: "d-flex flex-wrap gap-2 mb-2" },
      h("label", { class: "btn btn-primary", for: camera.id }, t("upload.queue.camera")), camera,
      h("label", { class: "btn btn-outline-primary", for: files.id }, t("upload.queue.choose")), files,
      button(t("upload.queue.send_now"), "queue-send", "outline-secondary", () => sendQueue()),
      button(t("upload.queue.retry"), "queue-retry", "outline-secondary", async () => { await retryFailed(); sendQueue(); }),
      button(t("upload.queue.clear"), "queue-clear", "outline-secondary", async () => { await clearDone(); await reload(); })),
    note, counts, list));
}
