// The "new camera trap" form (admins), used on the traps page and the upload page.
import { api } from "./api.js";
import { alertBox, field, h } from "./dom.js";

const TRAP_ID = "^[a-z0-9][a-z0-9_\\-]{0,63}$";

function timezones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Asia/Kathmandu", "Asia/Kolkata", "Asia/Thimphu", "Asia/Shanghai", "Asia/Yangon"];
  }
}

function localZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** A form element; calls onCreated(trap) after a successful POST /traps. */
export function trapForm({ onCreated, idPrefix = "trap" }) {
  const input = (name, attrs = {}) => h("input", { class: "form-control", id: `${idPrefix}-${name}`, name, ...attrs });
  const name = input("name", { required: true, maxlength: 200, autocomplete: "off" });
  const id = input("id", { pattern: TRAP_ID, maxlength: 64, placeholder: "from the name", autocapitalize: "none" });
  const lat = input("latitude", { type: "number", step: "any", min: -90, max: 90, required: true, inputmode: "decimal" });
  const lon = input("longitude", { type: "number", step: "any", min: -180, max: 180, required: true, inputmode: "decimal" });
  const elevation = input("elevation_m", { type: "number", step: "any", min: -500, max: 9000, inputmode: "decimal" });
  const zoneList = h("datalist", { id: `${idPrefix}-zones` }, timezones().map((z) => h("option", { value: z })));
  const zone = input("timezone", { list: zoneList.id, value: localZone(), autocomplete: "off" });
  const notes = h("textarea", { class: "form-control", id: `${idPrefix}-notes`, name: "notes", rows: 2, maxlength: 4000 });
  const message = h("div", { class: "col-12" });
  const locate = h("button", { type: "button", class: "btn btn-outline-secondary btn-sm" }, "Use my position");
  locate.hidden = !navigator.geolocation;
  locate.addEventListener("click", () => {
    locate.disabled = true;
    navigator.geolocation.getCurrentPosition((pos) => {
      lat.value = pos.coords.latitude.toFixed(6);
      lon.value = pos.coords.longitude.toFixed(6);
      if (pos.coords.altitude !== null) elevation.value = Math.round(pos.coords.altitude);
      locate.disabled = false;
    }, (error) => {
      message.replaceChildren(alertBox("warning", `Position not available: ${error.message}`));
      locate.disabled = false;
    }, { enableHighAccuracy: true, timeout: 20000 });
  });
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Create trap");
  const form = h("form", { class: "row g-2", id: `${idPrefix}-form` },
    field("Name", name, "col-12 col-md-6"),
    field("Id (optional)", id, "col-12 col-md-6"),
    field("Latitude", lat, "col-6 col-md-3"),
    field("Longitude", lon, "col-6 col-md-3"),
    field("Elevation (m)", elevation, "col-6 col-md-3"),
    field("Camera time zone", zone, "col-6 col-md-3"),
    zoneList,
    field("Notes", notes, "col-12"),
    message,
    h("div", { class: "col-12 d-flex flex-wrap gap-2" }, submit, locate));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.replaceChildren();
    const body = { name: name.value.trim(), latitude: Number(lat.value), longitude: Number(lon.value),
      timezone: zone.value.trim() || "UTC" };
    if (id.value.trim()) body.id = id.value.trim();
    if (elevation.value !== "") body.elevation_m = Number(elevation.value);
    if (notes.value.trim()) body.notes = notes.value.trim();
    submit.disabled = true;
    try {
      const trap = await api("/traps", { method: "POST", json: body });
      form.reset();
      zone.value = localZone();
      onCreated(trap);
    } catch (error) {
      message.replaceChildren(alertBox("danger", error.message));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
