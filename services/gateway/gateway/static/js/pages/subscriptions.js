// Webhook subscriptions (admins): the list, the subscribe form, and each one's delivery log
// (dead-lettered deliveries are the dead-letter list). Secrets go in and never come back.
import { api } from "../api.js";
import { can } from "../auth.js";
import { alertBox, append, field, fmtDateTime, h, pageHeader, spinner, toast } from "../dom.js";

const TYPES = ["upload.completed", "media.classified", "sighting.sensitive", "media.reviewed", "model.promoted",
  "model.rolled_back"];
const GROUPS = ["", "red_panda", "giant_panda", "mammal", "bird", "reptile", "human", "vehicle", "other", "blank"];

function subscribeForm(onCreated) {
  const url = h("input", { class: "form-control form-control-sm", type: "url", name: "url", required: true,
    placeholder: "https://example.org/hooks/ailurus" });
  const secret = h("input", { class: "form-control form-control-sm", type: "password", name: "secret", required: true,
    minlength: "16", autocomplete: "new-password" });
  const trap = h("input", { class: "form-control form-control-sm", name: "trap_id", pattern: "[a-z0-9][a-z0-9_-]{0,63}" });
  const group = h("select", { class: "form-select form-select-sm", name: "group" },
    GROUPS.map((g) => h("option", { value: g }, g || "any")));
  const precision = h("select", { class: "form-select form-select-sm", name: "precision" },
    h("option", { value: "coarse" }, "coarse (no positions or names)"), h("option", { value: "exact" }, "exact"));
  const types = TYPES.map((t) => h("label", { class: "form-check form-check-inline small" },
    h("input", { class: "form-check-input", type: "checkbox", value: t, name: "types" }), ` ${t}`));
  const submit = h("button", { class: "btn btn-primary btn-sm", type: "submit" }, "Subscribe");
  const form = h("form", { class: "row g-2", id: "subscribe-form" },
    field("Webhook URL", url, "col-12 col-lg-6"), field("Secret (HMAC-SHA256 key, 16+ characters)", secret, "col-12 col-lg-6"),
    field("Trap id (optional)", trap), field("Group", group), field("Precision", precision),
    h("div", { class: "col-12" }, h("div", { class: "small text-muted" }, "Event types (none = all)"), types),
    h("div", { class: "col-12" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const body = { url: url.value, secret: secret.value, precision: precision.value,
      types: types.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => i.value) };
    if (trap.value) body.trap_id = trap.value;
    if (group.value) body.group = group.value;
    try {
      const created = await api("/subscriptions", { method: "POST", json: body });
      form.reset();
      onCreated(created);
    } catch (error) {
      toast(`${error.code}: ${error.message}`);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function deliveryTable(items) {
  if (!items.length) return alertBox("secondary", "No deliveries yet.");
  return h("div", { class: "table-responsive" }, h("table", { class: "table table-sm small mb-0 deliveries" },
    h("thead", {}, h("tr", {}, ["Event", "Type", "Status", "Attempts", "Last answer", "Next attempt", "Delivered"]
      .map((c) => h("th", {}, c)))),
    h("tbody", {}, items.map((d) => h("tr", { dataset: { status: d.status } },
      h("td", {}, h("code", {}, d.event_id.slice(0, 8))), h("td", {}, d.event_type),
      h("td", {}, h("span", { class: `badge text-bg-${d.status === "delivered" ? "success" : d.status === "pending"
        ? "warning" : "danger"}` }, d.status.replace("_", "-"))),
      h("td", {}, String(d.attempts)), h("td", {}, d.last_error || (d.last_status_code ? `HTTP ${d.last_status_code}` : "")),
      h("td", {}, d.next_attempt_at ? fmtDateTime(d.next_attempt_at) : ""),
      h("td", {}, d.delivered_at ? fmtDateTime(d.delivered_at) : ""))))));
}

function subscriptionCard(s, reload) {
  const log = h("div", { class: "mt-2", hidden: true });
  const show = async (status) => {
    log.hidden = false;
    log.replaceChildren(spinner());
    try {
      const page = await api(`/subscriptions/${s.id}/deliveries`, { query: { status, limit: 100 } });
      log.replaceChildren(deliveryTable(page.items));
    } catch (error) {
      log.replaceChildren(alertBox("danger", error.message));
    }
  };
  const remove = async () => {
    if (!window.confirm(`Delete the subscription to ${s.url}? Its pending deliveries stop.`)) return;
    try {
      await api(`/subscriptions/${s.id}`, { method: "DELETE" });
      reload();
    } catch (error) {
      toast(error.message);
    }
  };
  const filters = [s.types.length ? s.types.join(", ") : "all types", s.trap_id && `trap ${s.trap_id}`,
    s.group && `group ${s.group}`, s.precision].filter(Boolean).join(" · ");
  return h("div", { class: "list-group-item subscription", dataset: { subscriptionId: s.id } },
    h("div", { class: "d-flex flex-wrap justify-content-between gap-2" },
      h("span", { class: "fw-semibold overflow-anywhere" }, s.url),
      h("span", { class: "d-flex gap-1" },
        h("button", { class: "btn btn-outline-secondary btn-sm", type: "button", on: { click: () => show() } }, "Deliveries"),
        h("button", { class: "btn btn-outline-secondary btn-sm", type: "button",
          on: { click: () => show("dead_lettered") } }, "Dead letters"),
        h("button", { class: "btn btn-outline-danger btn-sm", type: "button", on: { click: remove } }, "Delete"))),
    h("div", { class: "small text-muted" }, `${filters} · by ${s.created_by} · ${fmtDateTime(s.created_at)}`), log);
}

export async function render(root, { ctx }) {
  if (!can("admin")) {
    append(root, [pageHeader("Notifications"), alertBox("warning", "Only admins manage webhook subscriptions.")]);
    return;
  }
  const listBox = h("div", {}, spinner());
  const reload = async () => {
    const page = await api("/subscriptions", { signal: ctx.signal });
    listBox.replaceChildren(page.items.length
      ? h("div", { class: "list-group", id: "subscription-list" }, page.items.map((s) => subscriptionCard(s, reload)))
      : alertBox("secondary", "No subscriptions yet."));
  };
  append(root, [pageHeader("Notifications"),
    h("p", { class: "small text-muted" }, "CloudEvents 1.0 to your webhook, signed X-Ailurus-Signature: sha256=HMAC of "
      + "the body. The URL must be public and answer the validation handshake (OPTIONS with WebHook-Request-Origin)."),
    h("div", { class: "card mb-3" }, h("div", { class: "card-body" }, h("h2", { class: "h6" }, "New subscription"),
      subscribeForm(() => reload()))),
    listBox]);
  await reload();
}
