// The gateway's JSON API (/api/v1). Every call carries the signed-in user's Bearer token.
// Images come back as blob: URLs because an <img> cannot send an Authorization header.

export const API = "/api/v1";

let tokenProvider = async () => null;
let onUnauthorized = () => {};

/** auth.js plugs in how to get a token and what to do when the API answers 401. */
export function configureApi({ token, unauthorized }) {
  tokenProvider = token;
  onUnauthorized = unauthorized;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function url(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.append(key, String(value));
  }
  const qs = params.toString();
  return `${API}${path}${qs ? `?${qs}` : ""}`;
}

async function errorOf(response) {
  let code = `http_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message } = body.error);
    else if (body && body.detail) message = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  } catch { /* not JSON */ }
  if (response.status === 403) message = `Not allowed: ${message}`;
  return new ApiError(response.status, code, message);
}

/** fetch() with the Bearer token; throws ApiError on a non-2xx answer. */
export async function authedFetch(path, { method = "GET", query, json, body, signal, headers = {}, anonymous = false } = {}) {
  const allHeaders = { Accept: "application/json", ...headers };
  if (!anonymous) {
    const token = await tokenProvider();
    if (token) allHeaders.Authorization = `Bearer ${token}`;
  }
  if (json !== undefined) {
    allHeaders["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  const response = await fetch(url(path, query), { method, headers: allHeaders, body, signal, cache: "no-store" });
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && !anonymous) onUnauthorized(error);
    throw error;
  }
  return response;
}

/** JSON API call; resolves to the parsed body (null for 204). */
export async function api(path, options = {}) {
  const response = await authedFetch(path, options);
  return response.status === 204 ? null : response.json();
}

/** An image endpoint as a blob: URL (revoke it with URL.revokeObjectURL when done). */
export async function blobUrl(path, { signal } = {}) {
  const response = await authedFetch(path, { signal, headers: { Accept: "image/*" } });
  return URL.createObjectURL(await response.blob());
}

/**
 * Read a text/event-stream with fetch (EventSource cannot send the Authorization header).
 * Yields {event, data} per message; returns when the server closes the stream.
 */
export async function* eventStream(path, { signal } = {}) {
  const response = await authedFetch(path, { signal, headers: { Accept: "text/event-stream" } });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = "message";
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.search(/\r\n|\n|\r/)) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
        if (line === "") {  // blank line: dispatch
          if (data.length || event !== "message") yield { event, data: data.join("\n") };
          event = "message";
          data = [];
        } else if (!line.startsWith(":")) {  // ":" lines are keep-alive comments
          const colon = line.indexOf(":");
          const name = colon < 0 ? line : line.slice(0, colon);
          let val = colon < 0 ? "" : line.slice(colon + 1);
          if (val.startsWith(" ")) val = val.slice(1);
          if (name === "data") data.push(val);
          else if (name === "event") event = val;
        }
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/**
 * POST multipart with XMLHttpRequest: unlike fetch it reports upload progress, which
 * matters on a phone's slow connection. Resolves to the JSON body; rejects with ApiError
 * (the server answered) or a TypeError (the network failed: safe to retry, uploads are
 * idempotent by content hash).
 */
export async function postForm(path, query, form, { onProgress, signal } = {}) {
  const token = await tokenProvider();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url(path, query));
    xhr.responseType = "json";
    xhr.setRequestHeader("Accept", "application/json");
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    if (onProgress) xhr.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded, e.total));
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr.response);
      const body = xhr.response;
      const error = new ApiError(xhr.status, body?.error?.code || `http_${xhr.status}`,
        body?.error?.message || `HTTP ${xhr.status}`);
      if (xhr.status === 401) onUnauthorized(error);
      reject(error);
    });
    xhr.addEventListener("error", () => reject(new TypeError("network error")));
    xhr.addEventListener("timeout", () => reject(new TypeError("network timeout")));
    xhr.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(form);
  });
}

let uiConfig = null;

/** Map tiles and other display settings (cached for the page's life). */
export async function getUiConfig() {
  uiConfig ??= api("/ui/config").catch((e) => { uiConfig = null; throw e; });
  return uiConfig;
}

/** Every trap (the list endpoint returns them all). */
export async function listTraps(options) {
  const body = await api("/traps", options);
  return body.items || [];
}
