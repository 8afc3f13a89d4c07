// The dashboard's service worker: the app shell (page, scripts, styles, vendored libraries,
// translation catalogues) cached at install so the dashboard opens with no network.
//
// The gateway serves this file at /sw.js (scope "/") with the shell's file list and a
// version written in (self.AILURUS_SHELL, from the /sw.js route): a new release is a new
// cache and the old one is deleted on activate. Shell files: network first (they are
// served no-cache, so a reachable gateway always wins), the cache when offline. API data
// is never cached, except the two public boot documents (no data in them).
/* global AILURUS_SHELL */
const { version, files } = self.AILURUS_SHELL;
const CACHE = `ailurus-shell-${version}`;
const BOOT_API = new Set(["/api/v1/auth/config", "/api/v1/ui/config"]);

// One file at a time, and a file that fails is left out (cache.addAll would refuse the
// whole shell for one missing file): the page and its own scripts must be there.
self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.add("/");
    await Promise.allSettled([...BOOT_API].map((path) => cache.add(path)));
    const results = await Promise.allSettled(files.map((file) => cache.add(file)));
    const missed = files.filter((_, i) => results[i].status === "rejected");
    if (missed.length) console.warn("app shell: not cached:", missed.join(", "));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith("ailurus-shell-") && name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

// Background Sync (where the browser has it): the field upload queue asked to be woken when
// the connection returns. The sending itself happens in an open dashboard tab, which holds
// the sign-in token (the worker never sees it); with no tab open, the next open sends.
self.addEventListener("sync", (event) => {
  if (event.tag !== "ailurus-upload-queue") return;
  event.waitUntil((async () => {
    for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage("flush-upload-queue");
  })());
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === "/") {
    event.respondWith(networkFirst(new Request("/")));
  } else if (url.pathname.startsWith("/static/") || BOOT_API.has(url.pathname)) {
    event.respondWith(networkFirst(request));
  }
});
