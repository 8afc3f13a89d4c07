// The dashboard's shell: sign-in state, navigation bar and hash routes. Each page is an
// ES module in pages/ exporting render(root, {params, query, ctx}), loaded on first use.
import { blobUrl } from "./api.js";
import { can, initAuth, onSignedOut, session, signOut } from "./auth.js";
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
  initTelemetry();  // after sign-in state is known: reports carry the token
}

// The app shell works offline once the service worker has cached it (sw.js).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => console.warn("service worker:", error.message));
}

boot();
