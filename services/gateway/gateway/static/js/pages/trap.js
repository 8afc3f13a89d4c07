// One camera trap: where it is, what it has recorded, its latest images.
import { api } from "../api.js";
import { can } from "../auth.js";
import { alertBox, fmtCoord, fmtDateTime, h, pageHeader } from "../dom.js";
import { groupBadge } from "../groups.js";
import { mediaGrid } from "../mediagrid.js";

function dl(pairs) {
  return h("dl", { class: "row kv mb-0" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .flatMap(([k, v]) => [h("dt", { class: "col-5 col-sm-4" }, k), h("dd", { class: "col-7 col-sm-8" }, v)]));
}

export async function render(root, { params, ctx }) {
  const trapId = params[0];
  let trap;
  try {
    trap = await api(`/traps/${trapId}`, { signal: ctx.signal });
  } catch (error) {
    if (error.status === 404) {
      root.append(alertBox("warning", `No trap "${trapId}". `, h("a", { href: "#/traps" }, "All traps")));
      return;
    }
    throw error;
  }
  const id = encodeURIComponent(trap.id);
  const actions = [
    can("uploader") ? h("a", { class: "btn btn-primary btn-sm", href: `#/upload?trap=${id}`, id: "trap-upload" },
      "Upload images") : null,
    h("a", { class: "btn btn-outline-secondary btn-sm", href: `#/gallery?trap_id=${id}` }, "Gallery"),
    h("a", { class: "btn btn-outline-secondary btn-sm", href: `#/analytics?trap_id=${id}` }, "Analytics"),
  ];
  const counts = Object.entries(trap.counts || {}).sort((a, b) => b[1] - a[1]);
  const coarse = trap.location_precision && trap.location_precision !== "exact";
  root.append(
    h("nav", { "aria-label": "breadcrumb" }, h("ol", { class: "breadcrumb small mb-1" },
      h("li", { class: "breadcrumb-item" }, h("a", { href: "#/traps" }, "Traps")),
      h("li", { class: "breadcrumb-item active", "aria-current": "page" }, trap.id))),
    pageHeader(trap.name, ...actions),
    h("div", { class: "row g-3 mb-3" },
      h("div", { class: "col-12 col-lg-6" }, h("div", { class: "card h-100" }, h("div", { class: "card-body" },
        dl([
          ["Id", h("code", {}, trap.id)],
          ["Position", `${fmtCoord(trap.latitude)}, ${fmtCoord(trap.longitude)}${coarse ? ` (${trap.location_precision})` : ""}`],
          ["Elevation", trap.elevation_m !== null && trap.elevation_m !== undefined ? `${Math.round(trap.elevation_m)} m` : null],
          ["Camera time zone", trap.timezone],
          ["Clock offset", trap.clock_offset_s ? `${trap.clock_offset_s} s` : null],
          ["Active", trap.start || trap.end ? `${fmtDateTime(trap.start)} – ${fmtDateTime(trap.end)}` : null],
          ["Notes", trap.notes],
        ])))),
      h("div", { class: "col-12 col-lg-6" }, h("div", { class: "card h-100" }, h("div", { class: "card-body" },
        h("div", { class: "d-flex align-items-baseline gap-2 mb-2" },
          h("span", { class: "display-6", id: "trap-media-count" }, String(trap.media_count ?? Object.values(trap.counts || {}).reduce((a, b) => a + b, 0))),
          h("span", { class: "text-muted" }, "images")),
        counts.length
          ? h("div", { class: "d-flex flex-wrap gap-2", id: "trap-counts" }, counts.map(([g, n]) =>
            h("a", { href: `#/gallery?trap_id=${id}&group=${encodeURIComponent(g)}`, class: "text-decoration-none",
              dataset: { group: g } }, groupBadge(g), ` ${n}`)))
          : h("p", { class: "text-muted mb-0" }, "No classified images yet."))))),
    h("h2", { class: "h6" }, "Latest images"),
    mediaGrid({ filters: { trap_id: trap.id }, ctx, pageSize: 12, emptyText: "No images from this trap yet." }));
}
