// DOM helpers. Every string from the API goes into the page as text (textContent /
// text nodes), never as HTML: file names and EXIF fields can hold script text.

/**
 * Build an element. attrs: `class`, `dataset` (object), `on` (event -> handler), `hidden`,
 * `disabled`, `checked`, `value`, `selected`, anything else via setAttribute. Children:
 * nodes, strings (as text), numbers, arrays, null/undefined/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "on") for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    else if (["hidden", "disabled", "checked", "selected", "value", "required", "multiple"].includes(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace an element's children; null/undefined/false children are skipped (unlike replaceChildren). */
export function setChildren(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function qs(selector, root = document) {
  return root.querySelector(selector);
}

/** A Bootstrap alert with text content. */
export function alertBox(kind, ...children) {
  return h("div", { class: `alert alert-${kind} py-2`, role: kind === "danger" ? "alert" : "status" }, ...children);
}

export function spinner(label = "Loading…") {
  return h("div", { class: "d-flex align-items-center gap-2 text-muted py-3" },
    h("span", { class: "spinner-border spinner-border-sm", "aria-hidden": "true" }), label);
}

/** Short-lived message at the bottom of the screen. */
export function toast(message, kind = "danger", timeoutMs = 6000) {
  const stack = document.getElementById("toasts");
  const close = h("button", { type: "button", class: "btn-close btn-close-white ms-2", "aria-label": "Close" });
  const box = h("div", { class: `toast-box text-bg-${kind}`, role: kind === "danger" ? "alert" : "status" },
    h("span", {}, message), close);
  close.addEventListener("click", () => box.remove());
  stack.append(box);
  setTimeout(() => box.remove(), timeoutMs);
}

export function pageHeader(title, ...actions) {
  return h("div", { class: "d-flex flex-wrap align-items-center gap-2 mb-3" },
    h("h1", { class: "h4 mb-0 me-auto" }, title), ...actions);
}

// --- formatting -------------------------------------------------------------------------

export function fmtDateTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function fmtPercent(value, digits = 0) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(digits)}%`;
}

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function fmtCoord(value) {
  return typeof value === "number" ? value.toFixed(5) : "—";
}

/** `YYYY-MM-DD` from a date input -> start of that day in UTC (ISO). */
export function dayStart(day) {
  return day ? `${day}T00:00:00Z` : null;
}

/** `YYYY-MM-DD` -> start of the NEXT day (the API's `to` is exclusive; the form's is inclusive). */
export function dayEndExclusive(day) {
  if (!day) return null;
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().replace(".000Z", "Z");
}

/** A labelled form control in a Bootstrap column. */
export function field(label, control, colClass = "col-12 col-sm-6 col-lg-3") {
  if (!control.id) control.id = `f-${Math.random().toString(36).slice(2, 9)}`;
  return h("div", { class: colClass }, h("label", { class: "form-label small mb-1", for: control.id }, label), control);
}
