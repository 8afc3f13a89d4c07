// Models (admins): every registered version with its gate metrics side by side, what is live,
// promote and rollback (confirmed first); a version's held-out evaluation: accuracy per site
// beside the live model, the confusion matrix and the training curve.
//
// Every text goes through t() (English and Nepali catalogues in i18n/<lang>/models.js). The
// page keeps what it fetched and the last switch's outcome, and the language switch redraws
// from those without asking the API again.
import { api } from "../api.js";
import { alertBox, fmtPercent, h, pageHeader, setChildren, spinner, toast } from "../dom.js";
import models_en from "../i18n/en/models.js";
import models_ne from "../i18n/ne/models.js";
import { languageSelect, locale, onLanguageChange, register, t } from "../i18n.js";
import { isAbort, loadChartJs, prefersReducedMotion } from "../util.js";

register({ en: models_en, ne: models_ne });

// The version table's metric columns, in order (each a models.metric.<key> text).
const METRICS = ["macro_recall", "live_macro_recall", "red_panda_recall", "live_red_panda_recall",
  "group_top1", "live_group_top1", "species_top1"];
// Each maps to models.error.<code>; any other code is shown as models.error.other.
const SWITCH_ERRORS = new Set(["gate_failed", "serving_conflict", "switch_in_progress", "model_load_failed",
  "model_not_found", "service_unavailable"]);

const served = (m) => (m ? (m.version ? `${m.name}:${m.version}` : m.name) : "—");
const versionId = (v) => `${v.name}:${v.version}`;
const pct = (v) => (v === null || v === undefined ? "—" : fmtPercent(v, 1));
const metricText = (metric) => t(`models.metric.${metric}`);

function fmtWhen(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return "—";
  return date.toLocaleString(locale(), { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** One gate check in words. The server's `reason` is its English log line; the page words the
 * check from its fields (which metric, both values, judged or not) so that it translates. */
function checkText(c) {
  const params = { metric: metricText(c.metric), candidate: pct(c.candidate), live: pct(c.live),
    tolerance: pct(c.tolerance) };
  if (c.passed === true) return t("models.gate.no_worse", params);
  if (c.passed === false) {
    if (c.candidate === null) return t("models.gate.missing_candidate", params);
    if (c.live === null) return t("models.gate.missing_live", params);
    return t("models.gate.worse", params);
  }
  return t(c.candidate === null ? "models.gate.no_support" : "models.gate.live_unjudged", params);
}

/** The gate in words: every check, or (no check could be made) why none was. */
function gateTexts(gate, { failedOnly = false } = {}) {
  if (!gate.checks.length) return gate.passed ? [] : [t("models.gate.no_live_metrics")];
  return gate.checks.filter((c) => !failedOnly || c.passed === false).map(checkText);
}

function servingCard(serving, onRollback) {
  const rollback = h("button", { class: "btn btn-outline-danger btn-sm", type: "button", id: "models-rollback",
    disabled: !serving.previous, on: { click: onRollback } }, t("models.rollback"));
  const item = (label, value, attrs = {}) => h("div", {}, h("div", { class: "small text-muted" }, label), h("div", attrs, value));
  return h("div", { class: "card mb-3", id: "models-serving" }, h("div", { class: "card-body d-flex flex-wrap gap-3 align-items-center" },
    item(t("models.live"), served(serving.live), { class: "h5 mb-0", id: "models-live" }),
    item(t("models.previous"), served(serving.previous), { id: "models-previous" }),
    item(t("models.since"), fmtWhen(serving.changed_at), { id: "models-since" }),
    h("div", { class: "ms-auto" }, rollback)));
}

function versionRow(v, onPromote, onShow) {
  const id = versionId(v);
  const gate = h("span", { class: `badge ${v.gate.passed ? "text-bg-success" : "text-bg-danger"}`,
    title: gateTexts(v.gate).join("\n") }, v.gate.passed ? t("models.gate.passes") : t("models.gate.fails"));
  const promote = h("button", { class: "btn btn-primary btn-sm promote", type: "button", disabled: v.live,
    on: { click: () => onPromote(v) } }, t("models.promote"));
  const open = h("a", { href: "#", title: t("models.detail.open", { version: id }),
    on: { click: (e) => { e.preventDefault(); onShow(v); } } }, id);
  return h("tr", { dataset: { version: id }, class: v.live ? "table-success" : "" },
    h("td", { class: "overflow-anywhere" }, open,
      v.live ? h("span", { class: "badge text-bg-success ms-2" }, t("models.badge.live")) : null),
    h("td", { class: "overflow-anywhere small" }, v.dataset_id || "—"),
    h("td", { class: "small" }, v.aliases.join(", ") || "—"),
    METRICS.map((key) => h("td", { class: "text-end" }, pct(v.metrics[key]))),
    h("td", { class: "gate" }, gate),
    h("td", { class: "text-end" }, promote));
}

function versionsTable(models, onPromote, onShow) {
  const rows = models.flatMap((m) => m.versions);
  if (!rows.length) return alertBox("secondary", t("models.empty"));
  const headers = [t("models.col.version"), t("models.col.dataset"), t("models.col.aliases"), ...METRICS.map(metricText),
    t("models.col.gate"), h("span", { class: "visually-hidden" }, t("models.col.actions"))];
  const numeric = (i) => i > 2 && i < 3 + METRICS.length;
  return h("div", { class: "table-responsive" }, h("table", { class: "table table-sm align-middle", id: "models-versions" },
    h("caption", { class: "visually-hidden" }, t("models.versions.caption")),
    h("thead", {}, h("tr", {}, headers.map((text, i) => h("th", { class: numeric(i) ? "text-end" : "" }, text)))),
    h("tbody", {}, rows.map((v) => versionRow(v, onPromote, onShow)))));
}

function confusionTable(confusion, version) {
  const { rows_true: rows, columns_predicted: cols, matrix } = confusion;
  const caption = t("models.confusion.picture", { version });
  const row = (r, i) => {
    const total = matrix[i].reduce((a, b) => a + b, 0) || 1;
    return h("tr", {}, h("th", { class: "small", scope: "row" }, r), matrix[i].map((n) => {
      const cell = h("td", { class: "text-end small" }, n ? String(n) : "");
      // CSSOM, not a style attribute: the page's CSP allows no inline styles.
      cell.style.backgroundColor = `rgba(31, 119, 180, ${(n / total).toFixed(3)})`;
      if (n / total > 0.5) cell.style.color = "#fff";
      return cell;
    }));
  };
  const table = h("table", { class: "table table-sm table-bordered confusion mb-0", id: "models-confusion" },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, h("th", { class: "small text-muted" }, t("models.confusion.corner")),
      cols.map((c) => h("th", { class: "small", scope: "col" }, c)))),
    h("tbody", {}, rows.map(row)));
  return h("div", { class: "table-responsive" }, table);
}

function siteTable(perSite) {
  const sites = Object.entries(perSite);
  if (!sites.length) return h("p", { class: "text-muted small", id: "models-sites-none" }, t("models.sites.none"));
  const headers = ["models.sites.site", "models.sites.images", "models.sites.species_top1", "models.sites.group_top1",
    "models.sites.live_group_top1"];
  return h("table", { class: "table table-sm mb-0", id: "models-sites" },
    h("thead", {}, h("tr", {}, headers.map((key, i) => h("th", { class: i ? "text-end" : "" }, t(key))))),
    h("tbody", {}, sites.map(([site, s]) => h("tr", { dataset: { site } }, h("td", {}, site), h("td", { class: "text-end" }, String(s.images)),
      h("td", { class: "text-end" }, pct(s.top1)), h("td", { class: "text-end" }, pct(s.group_top1)),
      h("td", { class: "text-end" }, pct(s.live_group_top1))))));
}

function card(title, ...children) {
  return h("div", { class: "card h-100" }, h("div", { class: "card-body" }, h("h3", { class: "h6" }, title), ...children));
}

/** A version's evaluation; returns the training-curve canvas (null without an evaluation). */
function drawDetail(target, detail) {
  const e = detail.evaluation;
  const version = versionId(detail);
  const head = h("h2", { class: "h5", id: "models-detail-title" }, version);
  if (!e) {
    setChildren(target, head, alertBox("secondary", t("models.detail.none")));
    return null;
  }
  const curve = h("canvas", { role: "img", "aria-label": t("models.curve.picture"), id: "models-curve" });
  setChildren(target, head,
    h("p", { class: "small text-muted", id: "models-split" }, t("models.detail.split", {
      train_sites: e.train_sites.join(", ") || "—", train_images: e.train_images,
      test_sites: e.test_sites.join(", ") || "—", test_images: e.test_images,
      live: e.live_model || t("models.detail.the_live_model") })),
    h("div", { class: "row g-3" },
      h("div", { class: "col-12 col-xl-6" }, card(t("models.sites.title"), siteTable(e.per_site))),
      h("div", { class: "col-12 col-xl-6" }, card(t("models.curve.title"), h("div", { class: "chart-box" }, curve))),
      h("div", { class: "col-12" }, card(t("models.confusion.title"), confusionTable(e.confusion, version)))));
  return curve;
}

function curveChart(canvas, curve) {
  return new window.Chart(canvas, { type: "line", options: { responsive: true, maintainAspectRatio: false,
    animation: prefersReducedMotion() ? false : { duration: 400 }, plugins: { legend: { display: false } },
    scales: { x: { title: { display: true, text: t("models.curve.epoch") } },
      y: { title: { display: true, text: t("models.curve.loss") } } } },
  data: { labels: curve.map((p) => p.epoch), datasets: [{ label: t("models.curve.loss"), data: curve.map((p) => p.loss),
    borderColor: "#8f3410", pointRadius: 0 }] } });
}

/** A failed switch in the page's language: what the code means, then the server's own words. */
function switchFailure(action, error) {
  const code = error.code || "";
  const reason = SWITCH_ERRORS.has(code) ? t(`models.error.${code}`) : t("models.error.other", { code: code || "?" });
  const key = action === "promote" ? "models.promote.failed" : "models.rollback.failed";
  return [h("div", {}, t(key, { reason })),
    error.message ? h("div", { class: "small mt-1 overflow-anywhere" }, t("models.error.detail", { message: error.message })) : null];
}

export async function render(root, { ctx }) {
  const state = { data: null, detail: null, status: null };
  const header = h("div", {});
  const status = h("div", { id: "models-status", "aria-live": "polite" });
  const body = h("div", {}, spinner(t("models.loading")));
  const detail = h("div", { id: "models-detail", class: "mt-3" });
  root.append(header, status, body, detail);
  const charts = [];
  const destroyCharts = () => { charts.forEach((c) => c.destroy()); charts.length = 0; };
  ctx.onCleanup(destroyCharts);

  // status: null, or {kind, text: () => children} (a function, so a language switch rewords it).
  function drawStatus() {
    setChildren(status, state.status ? alertBox(state.status.kind, state.status.text()) : null);
  }

  function setStatus(kind, text) {
    state.status = { kind, text };
    drawStatus();
  }

  async function switchTo(action, path, json, running) {
    setStatus("info", running);
    try {
      const result = await api(path, { method: "POST", json, signal: ctx.signal });
      setStatus("success", () => t("models.switched", { new: result.new, old: result.old }));
      await load();
    } catch (error) {
      if (!isAbort(error)) setStatus("danger", () => switchFailure(action, error));
    }
  }

  async function onPromote(v) {
    const version = versionId(v);
    let force = false;
    if (!v.gate.passed) {
      const why = gateTexts(v.gate, { failedOnly: true }).join("; ");
      if (!window.confirm(t("models.promote.confirm_forced", { version, why }))) return;
      force = true;
    } else if (!window.confirm(t("models.promote.confirm", { version }))) return;
    await switchTo("promote", `/models/${v.name}/versions/${v.version}/promote`, { force },
      () => t("models.promote.running", { version }));
  }

  async function onRollback() {
    const { serving } = state.data;
    const names = { live: served(serving.live), previous: served(serving.previous) };
    if (!window.confirm(t("models.rollback.confirm", names))) return;
    await switchTo("rollback", "/models/rollback", undefined, () => t("models.rollback.running", names));
  }

  async function showVersion(v) {
    setChildren(detail, spinner(t("models.loading")));
    state.detail = await api(`/models/${v.name}/versions/${v.version}`, { signal: ctx.signal });
    if (!ctx.signal.aborted) await drawVersion();
  }

  async function drawVersion() {
    destroyCharts();
    if (!state.detail) return;
    const canvas = drawDetail(detail, state.detail);
    if (!canvas) return;
    await loadChartJs();
    // A newer draw (another version, a language switch) may have replaced the canvas meanwhile.
    if (ctx.signal.aborted || !canvas.isConnected) return;
    destroyCharts();
    charts.push(curveChart(canvas, state.detail.evaluation.training_curve));
  }

  function drawPage() {
    setChildren(header, pageHeader(t("models.title"), languageSelect()));
    drawStatus();
    if (!state.data) return;
    setChildren(body, servingCard(state.data.serving, onRollback),
      versionsTable(state.data.items, onPromote, (v) => showVersion(v).catch((error) => {
        if (!ctx.signal.aborted) toast(error.message);
      })));
  }

  async function load() {
    const data = await api("/models", { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    state.data = data;
    drawPage();
  }

  ctx.onCleanup(onLanguageChange(() => {
    drawPage();
    if (!state.data) setChildren(body, spinner(t("models.loading")));
    drawVersion().catch((error) => { if (!ctx.signal.aborted) toast(error.message); });
  }));
  drawPage();
  await load();
}
