// Analytics (Chart.js): images per group over time and per trap, activity by hour of day,
// the confidence histogram, and how reviewers judged each model version's labels.
import { api, listTraps } from "../api.js";
import { alertBox, dayEndExclusive, dayStart, field, fmtPercent, h, pageHeader, setChildren, spinner } from "../dom.js";
import { exportControl } from "../exporter.js";
import { GROUP_COLORS, GROUPS, groupName } from "../groups.js";
import { loadChartJs, prefersReducedMotion } from "../util.js";

function card(title, canvas, { tall = false, extra = null, id } = {}) {
  return h("div", { class: "col-12 col-xl-6" }, h("div", { class: "card h-100", id },
    h("div", { class: "card-body" }, h("h2", { class: "h6" }, title),
      h("div", { class: `chart-box${tall ? " tall" : ""}` }, canvas), extra)));
}

function groupsPresent(rows) {
  const seen = new Set(rows.flatMap((r) => Object.keys(r.counts || {})));
  return GROUPS.filter((g) => seen.has(g)).concat([...seen].filter((g) => !GROUPS.includes(g)));
}

function groupDatasets(rows, groups) {
  return groups.map((g) => ({ label: groupName(g), data: rows.map((r) => r.counts?.[g] || 0),
    backgroundColor: GROUP_COLORS[g] || "#999", stack: "groups" }));
}

function reviewTable(shares) {
  if (!shares.length) return h("p", { class: "text-muted small mt-2 mb-0" }, "No machine labels yet.");
  return h("div", { class: "table-responsive mt-2" }, h("table", { class: "table table-sm mb-0", id: "review-share" },
    h("thead", {}, h("tr", {}, ["Model", "Labelled", "Confirmed", "Corrected", "Corrected share"].map((t, i) =>
      h("th", { class: i ? "text-end" : "" }, t)))),
    h("tbody", {}, shares.map((s) => h("tr", { dataset: { model: s.model } },
      h("td", { class: "overflow-anywhere" }, s.model),
      h("td", { class: "text-end machine" }, String(s.machine)),
      h("td", { class: "text-end confirmed" }, String(s.confirmed)),
      h("td", { class: "text-end corrected" }, String(s.corrected)),
      h("td", { class: "text-end" }, s.confirmed + s.corrected
        ? fmtPercent(s.corrected / (s.confirmed + s.corrected)) : "—"))))));
}

export async function render(root, { query, ctx, navigate }) {
  const trapSelect = h("select", { class: "form-select form-select-sm", name: "trap_id", id: "analytics-trap" },
    h("option", { value: "" }, "all traps"));
  const from = h("input", { class: "form-control form-control-sm", type: "date", name: "from", value: query.get("from") || "" });
  const to = h("input", { class: "form-control form-control-sm", type: "date", name: "to", value: query.get("to") || "" });
  const form = h("form", { class: "row g-2 align-items-end mb-3", id: "analytics-filters" },
    field("Trap", trapSelect, "col-12 col-sm-4 col-lg-3"),
    field("From", from, "col-6 col-sm-3 col-lg-2"),
    field("To", to, "col-6 col-sm-3 col-lg-2"),
    h("div", { class: "col-12 col-sm-2" }, h("button", { class: "btn btn-primary btn-sm", type: "submit" }, "Apply")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams([...new FormData(form)].filter(([, v]) => v));
    navigate(`#/analytics${params.size ? `?${params}` : ""}`);
  });
  const body = h("div", {}, spinner());
  const exportFilters = () => ({ trap_id: query.get("trap_id") || "", from: dayStart(query.get("from") || ""),
    to: dayEndExclusive(query.get("to") || "") });
  root.append(pageHeader("Analytics", exportControl(exportFilters, { id: "analytics-export" })), form, body);
  listTraps({ signal: ctx.signal }).then((traps) => {
    for (const t of traps.sort((a, b) => a.name.localeCompare(b.name))) {
      trapSelect.append(h("option", { value: t.id, selected: t.id === query.get("trap_id") }, t.name));
    }
  }).catch(() => {});

  const [data] = await Promise.all([
    api("/analytics", { query: { trap_id: query.get("trap_id"), from: dayStart(query.get("from")),
      to: dayEndExclusive(query.get("to")) }, signal: ctx.signal }),
    loadChartJs(),
  ]);
  if (ctx.signal.aborted) return;
  const { Chart } = window;
  const charts = [];
  ctx.onCleanup(() => charts.forEach((c) => c.destroy()));
  const base = { responsive: true, maintainAspectRatio: false, animation: prefersReducedMotion() ? false : { duration: 400 },
    plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } };
  const stacked = { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } };

  const perDay = data.per_day || [];
  const perTrap = data.per_trap || [];
  const shares = data.review_share || [];
  const total = perTrap.reduce((n, t) => n + Object.values(t.counts || {}).reduce((a, b) => a + b, 0), 0);
  const reviewed = shares.reduce((n, s) => n + s.confirmed + s.corrected, 0);
  const canvases = Array.from({ length: 5 }, () => h("canvas", { role: "img" }));
  const [dayCanvas, trapCanvas, hourCanvas, confCanvas, reviewCanvas] = canvases;
  dayCanvas.setAttribute("aria-label", "Images per group per day");
  trapCanvas.setAttribute("aria-label", "Images per group per trap");
  hourCanvas.setAttribute("aria-label", "Images by hour of day");
  confCanvas.setAttribute("aria-label", "Confidence histogram");
  reviewCanvas.setAttribute("aria-label", "Reviews per model version");

  setChildren(body,
    h("div", { class: "d-flex flex-wrap gap-4 mb-3", id: "analytics-totals" },
      h("div", {}, h("div", { class: "h3 mb-0", id: "analytics-total" }, String(total)),
        h("div", { class: "small text-muted" }, "classified images")),
      h("div", {}, h("div", { class: "h3 mb-0", id: "analytics-reviewed" }, String(reviewed)),
        h("div", { class: "small text-muted" }, "reviewed by a person"))),
    total ? null : alertBox("secondary", "No classified images in this selection yet."),
    h("div", { class: "row g-3" },
      card("Images per group over time", dayCanvas, { id: "chart-per-day" }),
      card("Images per trap", trapCanvas, { id: "chart-per-trap" }),
      card("Activity by hour of day", hourCanvas, { id: "chart-by-hour" }),
      card("Model confidence", confCanvas, { id: "chart-confidence" }),
      card("Reviews per model version", reviewCanvas, { id: "chart-review", extra: reviewTable(shares) })));

  const dayGroups = groupsPresent(perDay);
  charts.push(new Chart(dayCanvas, { type: "bar", options: { ...base, scales: stacked },
    data: { labels: perDay.map((d) => d.day), datasets: groupDatasets(perDay, dayGroups) } }));
  const trapGroups = groupsPresent(perTrap);
  charts.push(new Chart(trapCanvas, { type: "bar",
    options: { ...base, indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
      y: { stacked: true } } },
    data: { labels: perTrap.map((t) => t.name || t.trap_id), datasets: groupDatasets(perTrap, trapGroups) } }));
  charts.push(new Chart(hourCanvas, { type: "bar",
    options: { ...base, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    data: { labels: Array.from({ length: 24 }, (_, i) => String(i).padStart(2, "0")),
      datasets: [{ label: "images", data: data.by_hour || [], backgroundColor: "#8f3410" }] } }));
  const bins = data.confidence_histogram || [];
  charts.push(new Chart(confCanvas, { type: "bar",
    options: { ...base, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    data: { labels: bins.map((b) => `${Math.round(b.lo * 100)}–${Math.round(b.hi * 100)}%`),
      datasets: [{ label: "images", data: bins.map((b) => b.count), backgroundColor: "#1f77b4" }] } }));
  charts.push(new Chart(reviewCanvas, { type: "bar", options: { ...base, scales: stacked },
    data: { labels: shares.map((s) => s.model), datasets: [
      { label: "not reviewed", data: shares.map((s) => Math.max(0, s.machine - s.confirmed - s.corrected)),
        backgroundColor: "#ced4da" },
      { label: "confirmed", data: shares.map((s) => s.confirmed), backgroundColor: "#198754" },
      { label: "corrected", data: shares.map((s) => s.corrected), backgroundColor: "#dc3545" },
    ] } }));
}
