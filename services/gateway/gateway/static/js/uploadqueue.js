// The field upload queue: photos kept in IndexedDB (with their trap) until the server has
// them, so closing the tab, reloading or losing the network loses nothing.
//
// Each photo is sent through the resumable upload sessions (/traps/{id}/uploads/sessions):
// its SHA-256 first (SubtleCrypto), which is also its media id, so opening the session
// answers "duplicate" for bytes the server holds already and nothing is sent twice; then
// chunks from the session's offset, so a cut connection resumes where the server stopped.
// One sender at a time across tabs (Web Locks where the browser has them).
//
// Before sending, the photo's EXIF place and time go to the field check (far from its trap?
// outside its active period?): a warning on the row, the photo is still sent.
//
// States: queued -> hashing -> sending (sent_bytes of size) -> stored | classified | failed.
// "stored" is a photo the server holds but has not labelled yet (or did not label for us).
import { API, ApiError, api } from "./api.js";
import { readExif } from "./exif.js";

const DB_NAME = "ailurus-field";
const DB_VERSION = 1;
const STORE = "photos";
const LOCK = "ailurus-upload-queue";
export const SYNC_TAG = "ailurus-upload-queue";
const FINAL = new Set(["stored", "classified", "failed"]);
const listeners = new Set();
let dbPromise = null;
let flushing = null;
let again = false;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function db() {
  dbPromise ??= new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, DB_VERSION);
    open.onupgradeneeded = () => {
      const store = open.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      store.createIndex("state", "state");
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => { dbPromise = null; reject(open.error); };
  });
  return dbPromise;
}

async function tx(mode, fn) {
  const store = (await db()).transaction(STORE, mode).objectStore(STORE);
  return promised(fn(store));
}

/** Every photo in the queue, oldest first (the blobs included). */
export async function listPhotos() {
  return tx("readonly", (store) => store.getAll());
}

async function getPhoto(id) {
  return tx("readonly", (store) => store.get(id));
}

async function save(photo) {
  const id = await tx("readwrite", (store) => store.put(photo));
  photo = { ...photo, id };  // a new photo's key comes from the store
  for (const fn of listeners) fn(photo);
  return photo;
}

async function patch(id, changes) {
  const photo = await getPhoto(id);
  if (!photo) return null;  // removed meanwhile
  return save({ ...photo, ...changes, updated_at: Date.now() });
}

/** Call fn(photo) whenever a photo's record changes; returns the function that stops it. */
export function onPhotoChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Keep these files for this trap; they are sent by the next flush. */
export async function enqueue(trapId, trapName, files) {
  const added = [];
  for (const file of files) {
    let exif = { latitude: null, longitude: null, taken_at: null };
    try { exif = await readExif(file); } catch { /* unreadable: no field check */ }
    added.push(await save({ trap_id: trapId, trap_name: trapName, name: file.name || "photo.jpg", exif, check: null,
      type: file.type, size: file.size, blob: file, state: "queued", sent_bytes: 0, sha256: null,
      session_id: null, media_id: null, label: null, group: null, confidence: null, error_code: null,
      error_message: null, added_at: Date.now(), updated_at: Date.now() }));
  }
  return added;
}

/** Forget photos the server holds (stored / classified); their bytes leave the phone. */
export async function clearDone() {
  for (const photo of await listPhotos()) {
    if (photo.state === "stored" || photo.state === "classified") await tx("readwrite", (s) => s.delete(photo.id));
  }
  for (const fn of listeners) fn(null);
}

/** Put failed photos back in the queue. */
export async function retryFailed() {
  for (const photo of await listPhotos()) {
    if (photo.state === "failed") await patch(photo.id, { state: "queued", error_code: null, error_message: null });
  }
}

export async function sha256Hex(blob) {
  if (!crypto.subtle) throw new ApiError(0, "insecure_context", "hashing needs https (or localhost)");
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const CALL_TIMEOUT_S = 60;

/** An API call that gives up after CALL_TIMEOUT_S as a network failure (queued again, resumed later). */
async function call(path, options = {}) {
  try {
    return await api(path, { ...options, signal: AbortSignal.timeout(CALL_TIMEOUT_S * 1000) });
  } catch (error) {
    if (error.name === "TimeoutError" || error.name === "AbortError") throw new TypeError("the server did not answer");
    throw error;
  }
}

function sessionsPath(photo) {
  return `/traps/${encodeURIComponent(photo.trap_id)}/uploads/sessions`;
}

// A chunk whose bytes stop moving this long is given up (and resumed from the server's
// offset): a stalled link otherwise holds the queue forever. Once all its bytes are out,
// the answer may take longer (the last chunk is stored and classified before it answers).
const STALL_S = 30;
const ANSWER_S = 180;

/** PUT one chunk with XMLHttpRequest (it reports bytes sent); resolves to the session state. */
function putChunk(path, token, start, chunk, size, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    let watchdog = null;
    const arm = (seconds) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => xhr.abort(), seconds * 1000);
    };
    arm(STALL_S);
    xhr.upload.addEventListener("progress", () => arm(STALL_S));
    xhr.upload.addEventListener("load", () => arm(ANSWER_S));
    xhr.addEventListener("loadend", () => clearTimeout(watchdog));
    xhr.addEventListener("abort", () => reject(new TypeError("the connection stalled")));
    xhr.open("PUT", `${API}${path}`);
    xhr.responseType = "json";
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Content-Range", `bytes ${start}-${start + chunk.size - 1}/${size}`);
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded));
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr.response);
      const body = xhr.response;
      const error = new ApiError(xhr.status, body?.error?.code || `http_${xhr.status}`,
        body?.error?.message || `HTTP ${xhr.status}`);
      error.offset = Number(xhr.getResponseHeader("Upload-Offset"));
      reject(error);
    });
    xhr.addEventListener("error", () => reject(new TypeError("network error")));
    xhr.addEventListener("timeout", () => reject(new TypeError("network timeout")));
    xhr.send(chunk);
  });
}

/** The session to continue: the stored one if the server still has it, else a new one. */
async function openOrResume(photo) {
  if (photo.session_id) {
    try {
      return await call(`${sessionsPath(photo)}/${photo.session_id}`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;  // expired: start again
    }
  }
  return call(sessionsPath(photo), { method: "POST",
    json: { file_name: photo.name, size_bytes: photo.size, sha256: photo.sha256 } });
}

/** A finished file's outcome onto the photo: classified with its label, or stored. */
async function settle(photo, result) {
  if (result.status === "rejected") {
    return patch(photo.id, { state: "failed", error_code: result.error?.code || "rejected",
      error_message: result.error?.message || "", session_id: null });
  }
  const p = result.prediction;
  if (result.status === "classified" && p) {
    return patch(photo.id, { state: "classified", media_id: result.media_id, label: p.label, group: p.group,
      confidence: p.confidence, sent_bytes: photo.size, session_id: null, duplicate: false });
  }
  const stored = await patch(photo.id, { state: "stored", media_id: result.media_id || photo.sha256,
    sent_bytes: result.status === "duplicate" ? photo.sent_bytes : photo.size, session_id: null,
    duplicate: result.status === "duplicate" });
  return refreshLabel(stored);
}

/** A stored photo's label, once the server has one (a duplicate, or one classified later). */
async function refreshLabel(photo) {
  if (!photo?.media_id) return photo;
  try {
    const media = await call(`/media/${photo.media_id}`);
    if (media.label) return patch(photo.id, { state: "classified", label: media.label, group: media.group,
      confidence: media.confidence });
  } catch (error) {
    if (error instanceof TypeError) throw error;  // offline: try again on the next flush
    // 404 for callers who do not see unlabelled media yet: stays "stored"
  }
  return photo;
}

/** The server's field check of this photo's EXIF place and time against its trap (yes/no
 * and whole km: the trap's exact position never reaches the phone). Once per photo. */
async function fieldCheck(photo) {
  const { latitude, longitude, taken_at } = photo.exif || {};
  if (photo.check || (latitude === null && !taken_at)) return photo;
  try {
    const body = await call(`/traps/${encodeURIComponent(photo.trap_id)}/field-check`, { method: "POST",
      json: { points: [{ latitude, longitude, taken_at }] } });
    return await patch(photo.id, { check: { ...body.results[0], basis: body.basis } });
  } catch (error) {
    if (error instanceof TypeError) throw error;  // offline: checked before the send, later
    return patch(photo.id, { check: { unavailable: error.code || "error" } });  // never blocks the upload
  }
}

async function send(photo, token) {
  photo = await fieldCheck(photo);
  if (!photo.sha256) {
    photo = await patch(photo.id, { state: "hashing", sha256: await sha256Hex(photo.blob) });
  }
  let state = await openOrResume(photo);
  if (!state.session_id) return settle(photo, state.result);  // the server holds these bytes already
  photo = await patch(photo.id, { state: "sending", session_id: state.session_id, sent_bytes: state.offset_bytes });
  let offset = state.offset_bytes;
  const path = `${sessionsPath(photo)}/${state.session_id}`;
  while (!state.result) {
    if (offset >= photo.size) {  // every byte arrived but the completing answer was lost
      state = await call(`${path}/complete`, { method: "POST" });
      break;
    }
    const chunk = photo.blob.slice(offset, Math.min(photo.size, offset + state.chunk_bytes));
    const start = offset;
    // Bytes put on the wire, counted before the send: a chunk cut in flight counts too, so
    // wire_bytes - size is what a cut cost.
    photo = await patch(photo.id, { wire_bytes: (photo.wire_bytes || 0) + chunk.size });
    try {
      state = await putChunk(path, token, start, chunk, photo.size, (loaded) => {
        for (const fn of listeners) fn({ ...photo, state: "sending", sent_bytes: start + loaded });
      });
    } catch (error) {
      if (error.code !== "upload_offset_mismatch") throw error;
      state = { ...state, offset_bytes: error.offset };  // the server says where it stands
    }
    offset = state.offset_bytes;
    photo = await patch(photo.id, { sent_bytes: offset });
  }
  return settle(photo, state.result);
}

async function flushLocked(tokenProvider) {
  const queue = (await listPhotos()).filter((p) => !FINAL.has(p.state) || (p.state === "stored" && !p.checked));
  for (const photo of queue) {
    if (!navigator.onLine) return "interrupted";
    try {
      if (photo.state === "stored") {
        const after = await refreshLabel(photo);
        if (after) await patch(after.id, { checked: true });
        continue;
      }
      await send(photo, await tokenProvider());
    } catch (error) {
      if (error instanceof TypeError) {  // the network went: back in the queue, resumed later
        await patch(photo.id, { state: "queued" });
        return "interrupted";
      }
      if (error.status === 401) {  // signed out: the next sign-in sends it
        await patch(photo.id, { state: "queued" });
        return;
      }
      await patch(photo.id, { state: "failed", error_code: error.code || "error", error_message: error.message,
        session_id: error.code === "upload_hash_mismatch" ? null : photo.session_id });
    }
  }
}

/**
 * Send what is queued (one flush at a time; a call during a flush waits for it). Resolves
 * to "interrupted" when the network failed on the way (the rest waits for the next flush).
 */
export function flush(tokenProvider) {
  if (flushing) {
    again = true;  // photos added during a flush: one more pass when it ends
    return flushing;
  }
  flushing = (async () => {
    try {
      let outcome;
      do {
        again = false;
        outcome = navigator.locks ? await navigator.locks.request(LOCK, () => flushLocked(tokenProvider))
          : await flushLocked(tokenProvider);
      } while (again && outcome !== "interrupted");
      return outcome;
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

/** Ask the service worker to wake us for a flush when the connection returns (Background Sync). */
export async function requestSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    if (registration && "sync" in registration) await registration.sync.register(SYNC_TAG);
  } catch (error) {
    console.warn("background sync:", error.message);  // not granted: `online` and the next open still send
  }
}
