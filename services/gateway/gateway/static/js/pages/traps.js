// Camera traps: the list, and the create form for admins.
import { can } from "../auth.js";
import { alertBox, append, fmtCoord, h, pageHeader, spinner } from "../dom.js";
import { listTraps } from "../api.js";
import { trapForm } from "../trapform.js";

export async function render(root, { ctx, navigate }) {
  const listBox = h("div", {}, spinner());
  let formCard = null;
  const actions = [];
  if (can("admin")) {
    formCard = h("div", { class: "card mb-3", id: "new-trap", hidden: true },
      h("div", { class: "card-body" }, h("h2", { class: "h6" }, "New camera trap"),
        trapForm({ onCreated: (trap) => navigate(`#/traps/${encodeURIComponent(trap.id)}`) })));
    actions.push(h("button", { class: "btn btn-primary btn-sm", type: "button", id: "new-trap-toggle",
      on: { click: () => { formCard.hidden = !formCard.hidden; formCard.querySelector("input")?.focus(); } } },
    "New trap"));
  }
  append(root, [pageHeader("Camera traps", ...actions), formCard, listBox]);

  const traps = await listTraps({ signal: ctx.signal });
  if (!traps.length) {
    listBox.replaceChildren(alertBox("secondary", can("admin") ? "No traps yet: create the first one with “New trap”."
      : "No traps yet. An admin registers them."));
    return;
  }
  traps.sort((a, b) => a.name.localeCompare(b.name));
  const items = traps.map((t) => h("a", { class: "list-group-item list-group-item-action", dataset: { trapId: t.id },
    href: `#/traps/${encodeURIComponent(t.id)}` },
  h("div", { class: "d-flex flex-wrap justify-content-between gap-2" },
    h("span", { class: "fw-semibold overflow-anywhere" }, t.name),
    h("code", { class: "small" }, t.id)),
  h("div", { class: "small text-muted" },
    `${fmtCoord(t.latitude)}, ${fmtCoord(t.longitude)}`,
    t.elevation_m !== null && t.elevation_m !== undefined ? ` · ${Math.round(t.elevation_m)} m` : "",
    ` · ${t.timezone}`,
    t.location_precision && t.location_precision !== "exact" ? ` · position ${t.location_precision}` : "")));
  listBox.replaceChildren(h("div", { class: "list-group", id: "trap-list" }, items));
}
