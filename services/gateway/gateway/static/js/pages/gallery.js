// Image gallery with filters; the filters live in the URL, so back/forward and shared links work.
import { listTraps } from "../api.js";
import { dayEndExclusive, dayStart, field, h, pageHeader } from "../dom.js";
import { exportControl } from "../exporter.js";
import { groupOptions } from "../groups.js";
import { mediaGrid } from "../mediagrid.js";

const KEYS = ["trap_id", "group", "status", "label", "from", "to", "min_confidence"];

export async function render(root, { query, ctx, navigate }) {
  const value = (key) => query.get(key) || "";
  const trapSelect = h("select", { class: "form-select form-select-sm", name: "trap_id", id: "gallery-trap" },
    h("option", { value: "" }, "all traps"));
  const group = h("select", { class: "form-select form-select-sm", name: "group", id: "gallery-group" },
    groupOptions(value("group"), { blankOption: "any group" }));
  const status = h("select", { class: "form-select form-select-sm", name: "status", id: "gallery-status" },
    [["", "any status"], ["classified", "classified"], ["pending", "pending"], ["failed", "failed"]]
      .map(([v, label]) => h("option", { value: v, selected: v === value("status") }, label)));
  const label = h("input", { class: "form-control form-control-sm", name: "label", id: "gallery-label",
    value: value("label"), placeholder: "e.g. lesser panda, red panda", maxlength: 200 });
  const from = h("input", { class: "form-control form-control-sm", type: "date", name: "from", value: value("from") });
  const to = h("input", { class: "form-control form-control-sm", type: "date", name: "to", value: value("to") });
  const minConfidence = h("input", { class: "form-control form-control-sm", type: "number", name: "min_confidence",
    min: 0, max: 100, step: 5, value: value("min_confidence") ? String(Math.round(Number(value("min_confidence")) * 100)) : "",
    placeholder: "%", inputmode: "numeric" });
  // On a phone the filters fold away behind a button (open when some are set).
  const filtered = KEYS.some((key) => value(key));
  const form = h("form", { class: `row g-2 align-items-end mb-3 collapse d-md-flex${filtered ? " show" : ""}`,
    id: "gallery-filters" },
    field("Trap", trapSelect, "col-12 col-sm-6 col-lg-3"),
    field("Group", group, "col-6 col-sm-3 col-lg-2"),
    field("Status", status, "col-6 col-sm-3 col-lg-2"),
    field("Label", label, "col-12 col-sm-6 col-lg-3"),
    field("Min. confidence (%)", minConfidence, "col-12 col-sm-6 col-lg-2"),
    field("From", from, "col-6 col-sm-3 col-lg-2"),
    field("To", to, "col-6 col-sm-3 col-lg-2"),
    h("div", { class: "col-12 col-sm-6 col-lg-3 d-flex gap-2" },
      h("button", { class: "btn btn-primary btn-sm", type: "submit" }, "Apply"),
      h("a", { class: "btn btn-outline-secondary btn-sm", href: "#/gallery" }, "Clear")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const params = new URLSearchParams();
    for (const key of KEYS) {
      let v = String(data.get(key) || "").trim();
      if (key === "min_confidence" && v) v = String(Math.min(100, Math.max(0, Number(v))) / 100);
      if (v) params.set(key, v);
    }
    navigate(`#/gallery${params.size ? `?${params}` : ""}`);
  });
  const toggle = h("button", { class: "btn btn-outline-secondary btn-sm d-md-none", type: "button",
    "data-bs-toggle": "collapse", "data-bs-target": "#gallery-filters", "aria-controls": "gallery-filters",
    "aria-expanded": String(filtered) }, filtered ? "Filters (on)" : "Filters");
  // The export takes the filters as applied (in the URL), like the grid below.
  const exportFilters = () => ({
    trap_id: value("trap_id"), group: value("group"), status: value("status"), label: value("label"),
    from: dayStart(value("from")), to: dayEndExclusive(value("to")), min_confidence: value("min_confidence"),
  });
  root.append(pageHeader("Gallery", exportControl(exportFilters, { id: "gallery-export" }), toggle), form);

  listTraps({ signal: ctx.signal }).then((traps) => {
    traps.sort((a, b) => a.name.localeCompare(b.name));
    for (const t of traps) trapSelect.append(h("option", { value: t.id, selected: t.id === value("trap_id") }, t.name));
  }).catch(() => {});

  const filters = {
    trap_id: value("trap_id"), group: value("group"), status: value("status"), label: value("label"),
    from: dayStart(value("from")), to: dayEndExclusive(value("to")), min_confidence: value("min_confidence"),
  };
  root.append(mediaGrid({ filters, ctx }));
}
