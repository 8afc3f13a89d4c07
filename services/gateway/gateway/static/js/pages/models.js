// Models (admins): every registered version with its gate metrics side by side, what is live,
// promote and rollback (confirmed first); a version's held-out evaluation: accuracy per site
// beside the live model, the confusion matrix and the training curve.
import { api } from "../api.js";
import { alertBox, fmtDateTime, fmtPercent, h, pageHeader, setChildren, spinner, toast } from "../dom.js";
import { loadChartJs, prefersReducedMotion } from "../util.js";

const METRICS = [
  ["macro_recall", "Macro recall"], ["live_macro_recall", "Live macro recall"],
  ["red_panda_recall", "Red-panda recall"], ["live_red_panda_recall", "Live red-panda recall"],
  ["group_top1", "Group top-1"], ["live_group_top1", "Live group top-1"], ["species_top1", "Species top-1"],
];

const served = (m) => (m ? (m.version ? `${m.name}:${m.version}` : m.name) : "—");
const pct = (v) => (v === null || v === undefined ? "—" : fmtPercent(v, 1));

function servingCard(serving, onRollback) {
  const rollback = h("button", { class: "btn btn-outline-danger btn-sm", type: "button", id: "models-rollback",
    disabled: !serving.previous, on: { click: onRollback } }, "Roll back");
  return h("div", { class: "card mb-3", id: "models-serving" }, h("div", { class: "card-body d-flex flex-wrap gap-3 align-items-center" },
    h("div", {}, h("div", { class: "small text-muted" }, "Live"), h("div", { class: "h5 mb-0", id: "models-live" }, served(serving.live))),
    h("div", {}, h("div", { class: "small text-muted" }, "Replaced"), h("div", { id: "models-previous" }, served(serving.previous))),
    h("div", {}, h("div", { class: "small text-muted" }, "Since"), h("div", {}, fmtDateTime(serving.changed_at))),
    h("div", { class: "ms-auto" }, rollback)));
}

function versionsTable(models, onPromote, onShow) {
  const rows = models.flatMap((m) => m.versions.map((v) => ({ ...v, model: m })));
  if (!rows.length) return alertBox("secondary", "No registered versions yet: `ailurus train --dataset ID` registers one.");
  return h("div", { class: "table-responsive" }, h("table", { class: "table table-sm align-middle", id: "models-versions" },
    h("thead", {}, h("tr", {}, ["Version", "Dataset", "Aliases", ...METRICS.map(([, label]) => label), "Gate", ""].map((t, i) =>
      h("th", { class: i > 2 && i < 3 + METRICS.length ? "text-end" : "" }, t)))),
    h("tbody", {}, rows.map((v) => h("tr", { dataset: { version: `${v.name}:${v.version}` }, class: v.live ? "table-success" : "" },
      h("td", { class: "overflow-anywhere" }, h("a", { href: "#", on: { click: (e) => { e.preventDefault(); onShow(v); } } },
        `${v.name}:${v.version}`), v.live ? h("span", { class: "badge text-bg-success ms-2" }, "live") : null),
      h("td", { class: "overflow-anywhere small" }, v.dataset_id || "—"),
      h("td", { class: "small" }, v.aliases.join(", ") || "—"),
      METRICS.map(([key]) => h("td", { class: "text-end" }, pct(v.metrics[key]))),
      h("td", { class: "gate" }, h("span", { class: `badge ${v.gate.passed ? "text-bg-success" : "text-bg-danger"}`,
        title: v.gate.checks.map((c) => c.reason).concat(v.gate.reasons).join("\n") }, v.gate.passed ? "passes" : "fails")),
      h("td", { class: "text-end" }, h("button", { class: "btn btn-primary btn-sm promote", type: "button", disabled: v.live,
        on: { click: () => onPromote(v) } }, "Promote")))))));
}

function confusionTable(confusion) {
  const { rows_true: rows, columns_predicted: cols, matrix } = confusion;
  return h("div", { class: "table-responsive" }, h("table", { class: "table table-sm table-bordered confusion mb-0", id: "models-confusion" },
    h("thead", {}, h("tr", {}, h("th", { class: "small text-muted" }, "true \\ predicted"), cols.map((c) => h("th", { class: "small" }, c)))),
    h("tbody", {}, rows.map((r, i) => {
      const total = matrix[i].reduce((a, b) => a + b, 0) || 1;
      return h("tr", {}, h("th", { class: "small" }, r), matrix[i].map((n) => {
        const cell = h("td", { class: "text-end small" }, n ? String(n) : "");
        // CSSOM, not a style attribute: the page's CSP allows no inline styles.
        cell.style.backgroundColor = `rgba(31, 119, 180, ${(n / total).toFixed(3)})`;
        if (n / total > 0.5) cell.style.color = "#fff";
        return cell;
      }));
    }))));
}

function siteTable(perSite) {
  const sites = Object.entries(perSite);
  if (!sites.length) return h("p", { class: "text-muted small" }, "No per-site figures logged.");
  return h("table", { class: "table table-sm mb-0", id: "models-sites" },
    h("thead", {}, h("tr", {}, ["Held-out site", "Images", "Species top-1", "Group top-1", "Live group top-1"].map((t, i) =>
      h("th", { class: i ? "text-end" : "" }, t)))),
    h("tbody", {}, sites.map(([site, s]) => h("tr", { dataset: { site } }, h("td", {}, site), h("td", { class: "text-end" }, String(s.images)),
      h("td", { class: "text-end" }, pct(s.top1)), h("td", { class: "text-end" }, pct(s.group_top1)),
      h("td", { class: "text-end" }, pct(s.live_group_top1))))));
}

async function showVersion(target, v, ctx, charts) {
  setChildren(target, spinner());
  const detail = await api(`/models/${v.name}/versions/${v.version}`, { signal: ctx.signal });
  const e = detail.evaluation;
  const head = h("h2", { class: "h5", id: "models-detail-title" }, `${detail.name}:${detail.version}`);
  if (!e) {
    setChildren(target, head, alertBox("secondary", "Registered without a held-out evaluation."));
    return;
  }
  const curve = h("canvas", { role: "img", "aria-label": "Training loss per epoch", id: "models-curve" });
  setChildren(target, head,
    h("p", { class: "small text-muted" }, `Trained on ${e.train_sites.join(", ") || "—"} (${e.train_images} images); `
      + `tested on ${e.test_sites.join(", ") || "—"} (${e.test_images} images) beside ${e.live_model || "the live model"}.`),
    h("div", { class: "row g-3" },
      h("div", { class: "col-12 col-xl-6" }, h("div", { class: "card h-100" }, h("div", { class: "card-body" },
        h("h3", { class: "h6" }, "Accuracy per held-out site"), siteTable(e.per_site)))),
      h("div", { class: "col-12 col-xl-6" }, h("div", { class: "card h-100" }, h("div", { class: "card-body" },
        h("h3", { class: "h6" }, "Training curve"), h("div", { class: "chart-box" }, curve)))),
      h("div", { class: "col-12" }, h("div", { class: "card" }, h("div", { class: "card-body" },
        h("h3", { class: "h6" }, "Confusion matrix (species, rows true)"), confusionTable(e.confusion))))));
  await loadChartJs();
  if (ctx.signal.aborted) return;
  charts.forEach((c) => c.destroy());
  charts.length = 0;
  charts.push(new window.Chart(curve, { type: "line", options: { responsive: true, maintainAspectRatio: false,
    animation: prefersReducedMotion() ? false : { duration: 400 }, plugins: { legend: { display: false } },
    scales: { x: { title: { display: true, text: "epoch" } }, y: { title: { display: true, text: "loss" } } } },
    data: { labels: e.training_curve.map((p) => p.epoch), datasets: [{ label: "loss", data: e.training_curve.map((p) => p.loss),
      borderColor: "#8f3410", pointRadius: 0 }] } }));
}

export async function render(root, { ctx }) {
  const body = h("div", {}, spinner());
  const detail = h("div", { id: "models-detail", class: "mt-3" });
  const status = h("div", { id: "models-status", "aria-live": "polite" });
  root.append(pageHeader("Models"), status, body, detail);
  const charts = [];
  ctx.onCleanup(() => charts.forEach((c) => c.destroy()));

  async function switchTo(path, json, what) {
    setChildren(status, alertBox("info", `${what}: loading the model beside the live one, switching, draining…`));
    try {
      const result = await api(path, { method: "POST", json, signal: ctx.signal });
      setChildren(status, alertBox("success", `Serving ${result.new} (was ${result.old}).`));
      await load();
    } catch (error) {
      setChildren(status, alertBox("danger", `${what} failed: ${error.message}`));
    }
  }

  async function onPromote(v) {
    let force = false;
    if (!v.gate.passed) {
      const why = v.gate.checks.filter((c) => c.passed === false).map((c) => c.reason).concat(v.gate.reasons).join("; ");
      if (!window.confirm(`${v.name}:${v.version} fails the gate (${why}). Promote it anyway?`)) return;
      force = true;
    } else if (!window.confirm(`Put ${v.name}:${v.version} live? Every new upload will be classified by it.`)) return;
    await switchTo(`/models/${v.name}/versions/${v.version}/promote`, { force }, "Promote");
  }

  async function onRollback(serving) {
    if (!window.confirm(`Roll back from ${served(serving.live)} to ${served(serving.previous)}?`)) return;
    await switchTo("/models/rollback", undefined, "Rollback");
  }

  async function load() {
    const data = await api("/models", { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    setChildren(body, servingCard(data.serving, () => onRollback(data.serving)),
      versionsTable(data.items, onPromote, (v) => showVersion(detail, v, ctx, charts).catch((error) => {
        if (!ctx.signal.aborted) toast(error.message);
      })));
  }

  await load();
}
