// Small shared helpers that are not about the DOM.

const scripts = new Map();

/** Load a vendored classic script once (Leaflet, Chart.js, MSAL register globals). */
export function loadScript(src) {
  if (!scripts.has(src)) {
    scripts.set(src, new Promise((resolve, reject) => {
      const el = document.createElement("script");
      el.src = src;
      el.async = false;  // keep insertion order (leaflet.heat needs Leaflet first)
      el.addEventListener("load", resolve);
      el.addEventListener("error", () => { scripts.delete(src); el.remove(); reject(new Error(`could not load ${src}`)); });
      document.head.append(el);
    }));
  }
  return scripts.get(src);
}

export function loadLeaflet() {
  return Promise.all([loadScript("/static/vendor/leaflet/leaflet.js"),
    loadScript("/static/vendor/leaflet.heat/leaflet-heat.js")]);
}

export function loadChartJs() {
  return loadScript("/static/vendor/chart.js/chart.umd.min.js");
}

/** 32 hex digits (an upload id). crypto.randomUUID exists only in secure contexts (https,
 * localhost); a field laptop reached over plain http on a LAN has getRandomValues only. */
export function randomHex32() {
  if (crypto.randomUUID) return crypto.randomUUID().replaceAll("-", "");
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(timer); reject(new DOMException("aborted", "AbortError")); });
  });
}

export function isAbort(error) {
  return error?.name === "AbortError";
}

/** Run at most `limit` of the queued async jobs at once (thumbnail loading). */
export function limiter(limit) {
  let active = 0;
  const queue = [];
  const next = () => {
    if (active >= limit || !queue.length) return;
    active += 1;
    const { job, resolve, reject } = queue.shift();
    job().then(resolve, reject).finally(() => { active -= 1; next(); });
  };
  return (job) => new Promise((resolve, reject) => { queue.push({ job, resolve, reject }); next(); });
}

export function prefersReducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}
