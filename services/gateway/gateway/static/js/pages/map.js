// Map: trap markers (counts per group) and a sightings heat layer for one group.
// Works without a tile server: the markers and heat then sit on a plain background.
import { api, getUiConfig } from "../api.js";
import { alertBox, dayEndExclusive, dayStart, field, h, pageHeader, spinner } from "../dom.js";
import { GROUPS, groupBadge, groupName, groupOptions } from "../groups.js";
import { isAbort, loadLeaflet } from "../util.js";

const DEFAULT_CENTER = [27.7, 88.4];  // the eastern Himalaya, before any trap exists
const DEFAULT_ZOOM = 6;
const SINGLE_TRAP_ZOOM = 11;

/** Leaflet writes attribution as HTML: the configured text is shown as text. */
function escapeHtml(text) {
  const div = document.createElement("div");
  div.textContent = text || "";
  return div.innerHTML;
}

function popupContent(props, group) {
  const counts = Object.entries(props.counts || {}).sort((a, b) => b[1] - a[1]);
  return h("div", { class: "map-popup" },
    h("a", { class: "fw-semibold", href: `#/traps/${encodeURIComponent(props.id)}` }, props.name || props.id),
    h("div", { class: "text-muted small" }, props.id,
      props.elevation_m !== null && props.elevation_m !== undefined ? ` · ${Math.round(props.elevation_m)} m` : ""),
    h("div", { class: "mt-1" }, `${props.counts?.[group] || 0} ${groupName(group)} · ${props.total || 0} images in all`),
    counts.length ? h("div", { class: "d-flex flex-wrap gap-1 mt-1" },
      counts.map(([g, n]) => h("span", {}, groupBadge(g), ` ${n}`))) : null,
    props.location_precision && props.location_precision !== "exact"
      ? h("div", { class: "small text-muted mt-1" }, `Position: ${props.location_precision}`) : null);
}

export async function render(root, { query, ctx }) {
  const state = {
    group: GROUPS.includes(query.get("group")) ? query.get("group") : "red_panda",
    from: query.get("from") || "", to: query.get("to") || "", minConfidence: query.get("min_confidence") || "",
  };
  const groupSelect = h("select", { class: "form-select form-select-sm", id: "map-group" },
    groupOptions(state.group, { groups: GROUPS.filter((g) => g !== "blank") }));
  const fromInput = h("input", { class: "form-control form-control-sm", type: "date", id: "map-from", value: state.from });
  const toInput = h("input", { class: "form-control form-control-sm", type: "date", id: "map-to", value: state.to });
  const minSelect = h("select", { class: "form-select form-select-sm", id: "map-min-confidence" },
    [["", "any"], ["0.5", "50%"], ["0.7", "70%"], ["0.9", "90%"]].map(([v, label]) =>
      h("option", { value: v, selected: v === state.minConfidence }, label)));
  const controls = h("form", { class: "row g-2 mb-2 align-items-end", id: "map-filters" },
    field("Heat map of", groupSelect, "col-12 col-sm-4 col-lg-3"),
    field("From", fromInput, "col-6 col-sm-3 col-lg-2"),
    field("To", toInput, "col-6 col-sm-3 col-lg-2"),
    field("Min. confidence", minSelect, "col-12 col-sm-2 col-lg-2"));
  const mapEl = h("div", { id: "map", class: "map-canvas", role: "region", "aria-label": "Map of camera traps" });
  const notes = h("div", { class: "mt-2" });
  const list = h("div", { class: "mt-3" }, spinner());
  root.append(pageHeader("Map"), controls, mapEl, notes, list);

  const [ui] = await Promise.all([getUiConfig(), loadLeaflet()]);
  if (ctx.signal.aborted) return;
  const L = window.L;
  const map = L.map(mapEl, { maxZoom: 18, minZoom: 2, worldCopyJump: true }).setView(DEFAULT_CENTER, DEFAULT_ZOOM);
  ctx.onCleanup(() => map.remove());
  if (ui.tile_url) {
    L.tileLayer(ui.tile_url, { maxZoom: 18, attribution: escapeHtml(ui.tile_attribution) }).addTo(map);
  } else {
    mapEl.classList.add("map-no-tiles");
  }
  L.control.scale({ imperial: false }).addTo(map);
  const markers = L.layerGroup().addTo(map);
  // maxZoom 0: full intensity at every zoom (the plugin otherwise fades points by the zoom
  // distance to the map's max zoom, which is infinite without a tile layer).
  const heat = L.heatLayer([], { radius: 30, blur: 20, maxZoom: 0, minOpacity: 0.35 }).addTo(map);
  let fitted = false;

  async function refresh() {
    const window_ = { from: dayStart(state.from), to: dayEndExclusive(state.to) };
    const [traps, heatmap] = await Promise.all([
      api("/map/traps", { query: window_, signal: ctx.signal }),
      api("/map/heatmap", { query: { ...window_, group: state.group, min_confidence: state.minConfidence },
        signal: ctx.signal }),
    ]);
    const features = traps.features || [];
    markers.clearLayers();
    const positions = [];
    for (const feature of features) {
      const [lon, lat] = feature.geometry.coordinates;
      const props = feature.properties || {};
      const count = props.counts?.[state.group] || 0;
      const coarse = Boolean(props.location_precision && props.location_precision !== "exact");
      const pin = h("div", { class: `trap-pin${count ? " has-sightings" : ""}${coarse ? " coarse" : ""}`,
        dataset: { trapId: props.id } }, String(count));
      const marker = L.marker([lat, lon], {
        icon: L.divIcon({ className: "trap-icon", html: pin, iconSize: [30, 30], iconAnchor: [15, 15],
          popupAnchor: [0, -14] }),
        title: `${props.name || props.id}: ${count} ${groupName(state.group)}`, alt: props.name || props.id,
        keyboard: true,
      });
      marker.bindPopup(() => popupContent(props, state.group));
      markers.addLayer(marker);
      positions.push([lat, lon]);
    }
    const points = heatmap.points || [];
    const maxWeight = Math.max(1, ...points.map((p) => p[2] || 0));
    heat.setOptions({ max: maxWeight });
    heat.setLatLngs(points);
    if (!fitted && positions.length) {
      if (positions.length === 1) map.setView(positions[0], SINGLE_TRAP_ZOOM);
      else map.fitBounds(positions, { padding: [30, 30], maxZoom: SINGLE_TRAP_ZOOM });
      fitted = true;
    }

    notes.replaceChildren();
    const isCoarse = (p) => Boolean(p) && p !== "exact";
    const precision = isCoarse(heatmap.precision) ? heatmap.precision
      : features.map((f) => f.properties?.location_precision).find(isCoarse);
    if (precision) {
      notes.append(alertBox("info", `Positions are shown to grid precision (${precision}) to protect the animals;`
        + " reviewers and admins see exact positions."));
    }
    if (!ui.tile_url) notes.append(h("p", { class: "small text-muted mb-0" }, "No base map configured: traps and "
      + "sightings are drawn on a plain background (set GATEWAY_UI_TILE_URL for map tiles)."));
    renderList(features, points.length);
  }

  function renderList(features, heatPoints) {
    if (!features.length) {
      list.replaceChildren(alertBox("secondary", "No camera traps yet. ",
        h("a", { href: "#/traps" }, "Add or list traps"), "."));
      return;
    }
    const rows = features.map((f) => {
      const p = f.properties || {};
      return h("tr", { dataset: { trapId: p.id } },
        h("td", {}, h("a", { href: `#/traps/${encodeURIComponent(p.id)}` }, p.name || p.id)),
        h("td", { class: "text-end" }, String(p.counts?.[state.group] || 0)),
        h("td", { class: "text-end" }, String(p.total || 0)));
    });
    list.replaceChildren(
      h("p", { class: "small text-muted mb-1", id: "map-summary" },
        `${features.length} trap${features.length === 1 ? "" : "s"}; ${heatPoints} with ${groupName(state.group)} sightings.`),
      h("div", { class: "table-responsive" }, h("table", { class: "table table-sm align-middle mb-0" },
        h("thead", {}, h("tr", {}, h("th", {}, "Trap"), h("th", { class: "text-end" }, groupName(state.group)),
          h("th", { class: "text-end" }, "All images"))),
        h("tbody", {}, rows))));
  }

  async function reload() {
    try {
      await refresh();
    } catch (error) {
      if (!isAbort(error)) notes.replaceChildren(alertBox("danger", error.message));
    }
  }

  controls.addEventListener("change", () => {
    Object.assign(state, { group: groupSelect.value, from: fromInput.value, to: toInput.value,
      minConfidence: minSelect.value });
    const params = new URLSearchParams(Object.entries({ group: state.group, from: state.from, to: state.to,
      min_confidence: state.minConfidence }).filter(([, v]) => v));
    window.history.replaceState(null, "", `#/map?${params}`);
    reload();
  });
  controls.addEventListener("submit", (e) => e.preventDefault());
  await reload();
}
