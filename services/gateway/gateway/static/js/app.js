// The dashboard's shell: sign-in state, navigation bar and hash routes. Each page is an
// ES module in pages/ exporting render(root, {params, query, ctx}), loaded on first use.
import { blobUrl } from "./api.js";
import { can, initAuth, onSignedOut, reconnect, session, signOut } from "./auth.js";
import { alertBox, h, toast } from "./dom.js";
import { initTelemetry } from "./telemetry.js";
import { isAbort } from "./util.js";

const ROUTES = [
  [/^(?:map)?$/, "map"],
  [/^traps$/, "traps"],
  [/^traps\/([a-z0-9][a-z0-9_-]{0,63})$/, "trap"],
  [/^upload$/, "upload"],
  [/^gallery$/, "gallery"],
  [/^review$/, "review"],
  [/^media\/([0-9a-f]{64})$/, "media"],
  [/^analytics$/, "analytics"],
  [/^models$/, "models"],
  [/^subscriptions$/, "subscriptions"],
  [/^signin$/, "signin"],
];
const NEXT_KEY = "ailurus.next";
const view = document.getElementById("view");
let current = null;

/** Per-page context: aborted, its blob: URLs revoked and its cleanups run when the page is left. */
function pageContext() {
  const controller = new AbortController();
  const cleanups = [];
  const urls = new Set();
  return {
    signal: controller.signal,
    onCleanup: (fn) => cleanups.push(fn),
    /** An authenticated image as a blob: URL owned by this page. */
    async blob(path) {
      const objectUrl = await blobUrl(path, { signal: controller.signal });
      if (controller.signal.aborted) URL.revokeObjectURL(objectUrl);
      else urls.add(objectUrl);
      return objectUrl;
    },
    teardown() {
      controller.abort();
      for (const fn of cleanups.splice(0)) {
        try { fn(); } catch (error) { console.error(error); }
      }
      urls.forEach((u) => URL.revokeObjectURL(u));
    },
  };
}

function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, "");
  const cut = raw.indexOf("?");
  return { path: cut < 0 ? raw : raw.slice(0, cut), query: new URLSearchParams(cut < 0 ? "" : raw.slice(cut + 1)) };
}

export function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function updateNav(page) {
  const nav = document.getElementById("nav");
  nav.hidden = !session.me;
  if (!session.me) return;
  document.getElementById("whoami").textContent = `${session.me.name} · ${(session.me.roles || []).join(", ")}`;
  for (const item of nav.querySelectorAll("[data-role]")) item.hidden = !can(item.dataset.role);
  const section = page === "trap" ? "traps" : page === "media" ? "gallery" : page;
  for (const link of nav.querySelectorAll("[data-nav]")) {
    const active = link.dataset.nav === section;
    link.classList.toggle("active", active);
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const open = document.querySelector("#navlinks.show");
  if (open && window.bootstrap) window.bootstrap.Collapse.getOrCreateInstance(open).hide();
}

async function route() {
  const { path, query } = parseHash();
  let page = "notfound";
  let params = [];
  for (const [pattern, name] of ROUTES) {
    const match = path.match(pattern);
    if (match) {
      page = name;
      params = match.slice(1);
      break;
    }
  }
  if (session.offline && page !== "upload") {
    // Offline boot: only the field queue works with no network.
    window.location.replace("#/upload");
    return;
  }
  if (page !== "signin" && !session.me) {
    sessionStorage.setItem(NEXT_KEY, window.location.hash || "#/map");
    window.location.replace("#/signin");
    return;
  }
  if (page === "signin" && session.me) {
    window.location.replace(sessionStorage.getItem(NEXT_KEY) || "#/map");
    sessionStorage.removeItem(NEXT_KEY);
    return;
  }
  current?.teardown();
  const ctx = pageContext();
  current = ctx;
  updateNav(page);
  // Each page draws into its own root: a slow render of a page already left writes into
  // a detached node, never into the next page.
  const root = h("div", { class: `page page-${page}`, dataset: { page } });
  view.replaceChildren(root);
  window.scrollTo(0, 0);
  try {
    if (page === "notfound") {
      root.append(alertBox("warning", "No such page. ", h("a", { href: "#/map" }, "Back to the map")));
      return;
    }
    const module = await import(`./pages/${page}.js`);
    if (ctx.signal.aborted) return;
    await module.render(root, { params, query, ctx, navigate });
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    console.error(error);
    root.append(alertBox("danger", error.message || String(error)));
  }
}

async function boot() {
  document.getElementById("signout").addEventListener("click", () => signOut());
  onSignedOut((message) => {
    if (message) toast(message, "warning");
    if (!window.location.hash.startsWith("#/signin")) sessionStorage.setItem(NEXT_KEY, window.location.hash);
    navigate("#/signin");
  });
  try {
    await initAuth();
  } catch (error) {
    const retry = h("button", { class: "btn btn-sm btn-outline-danger ms-2", type: "button",
      on: { click: () => window.location.reload() } }, "Retry");
    view.replaceChildren(alertBox("danger", `The service cannot be reached: ${error.message}`, retry));
    return;
  }
  window.addEventListener("hashchange", route);
  route();
  if (session.offline) {
    document.getElementById("nav").dataset.offline = "true";
  } else {
    initTelemetry();  // after sign-in state is known: reports carry the token
  }
  initUploadQueue();
}

/** The field queue sends on the next open (now), when the network returns, and when the
 * service worker's Background Sync wakes this page (sw.js posts "flush-upload-queue"). */
function initUploadQueue() {
  const send = async () => {
    if (!session.me || !can("uploader")) return;
    const { sendQueue } = await import("./fieldqueue.js");
    await sendQueue();
  };
  window.addEventListener("online", async () => {
    if (await tryReconnect()) window.dispatchEvent(new Event("ailurus:reconnected"));
    else send();
  });
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data === "flush-upload-queue") send();
  });
  window.addEventListener("ailurus:reconnected", send);
  // The queue got an answer from the server: the network is back even if no `online` came.
  window.addEventListener("ailurus:reachable", async () => {
    if (await tryReconnect()) window.dispatchEvent(new Event("ailurus:reconnected"));
  });
  if (session.offline) reconnectLater();
  send();
}

const RECONNECT_DELAYS_S = [5, 10, 20, 30];
let reconnectAttempts = 0;

/** After an offline boot, check /me again now and then: navigator.onLine can say "online"
 * with no route to the server (and then no `online` event ever comes). */
function reconnectLater() {
  const delay_s = RECONNECT_DELAYS_S[Math.min(reconnectAttempts, RECONNECT_DELAYS_S.length - 1)];
  reconnectAttempts += 1;
  setTimeout(async () => {
    if (await tryReconnect()) window.dispatchEvent(new Event("ailurus:reconnected"));
    else if (session.offline) reconnectLater();
  }, delay_s * 1000);
}

let reconnecting = null;

/** Leave the offline boot if the server answers; true when this call did (one at a time). */
function tryReconnect() {
  if (!session.offline) return Promise.resolve(false);
  reconnecting ??= (async () => {
    try {
      await reconnect();
    } catch (error) {
      return false;  // still no network
    } finally {
      reconnecting = null;
    }
    if (session.offline || !session.me) return false;
    delete document.getElementById("nav").dataset.offline;
    initTelemetry();
    route();  // the page again, with the server's data (e.g. the trap list)
    return true;
  })();
  return reconnecting;
}

// The app shell works offline once the service worker has cached it (sw.js).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => console.warn("service worker:", error.message));
}

boot();
