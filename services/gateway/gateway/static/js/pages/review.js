// The review queue (reviewers and admins): unreviewed bursts, possible red pandas first,
// each confirmed or corrected whole with one key. Every text goes through t() (English and
// Nepali catalogues in i18n/<lang>/review.js); the language switch redraws the page.
//
// Keys: Enter/C confirm, 1-8 a group, 0/B blank, J/K or arrows next/previous burst,
// X select the burst, U or Ctrl+Z undo. A decision applies to the selection when there is
// one, else to the current burst; the next burst then becomes current.
import { api, listTraps } from "../api.js";
import { alertBox, fmtPercent, h, pageHeader, setChildren } from "../dom.js";
import { GROUPS } from "../groups.js";
import { languageSelect, locale, onLanguageChange, register, t } from "../i18n.js";
import review_en from "../i18n/en/review.js";
import review_ne from "../i18n/ne/review.js";
import { isAbort, limiter } from "../util.js";

register({ en: review_en, ne: review_ne });

const PAGE_BURSTS = 10;
// Number keys 1-8 name the subject groups in taxonomy order; blank has its own keys (0, B).
const KEY_GROUPS = GROUPS.filter((g) => g !== "blank");
const PRIORITY_CLASS = { sensitive: "text-bg-danger", low_confidence: "text-bg-warning", rest: "text-bg-secondary" };

const THUMBNAILS_AT_ONCE = 4;  // a slow link should not pull a page of bursts all at once

const groupText = (group) => t(`review.group.${group}`);

/** A capture time in the page's language (Nepali digits and month names in Nepali). */
function when(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return "—";
  return date.toLocaleString(locale(), { year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit" });
}

export async function render(root, { query, ctx, navigate }) {
  const state = {
    trapId: query.get("trap_id") || "", traps: [], bursts: [], current: 0, cursor: null, done: false,
    counts: null, selected: new Set(), undo: [], busy: false, thumbs: new Map(), error: null,
  };
  const live = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite", id: "review-live" });
  const body = h("div", {});
  root.append(body, live);

  const announce = (text) => { live.textContent = text; };
  const thumbnails = limiter(THUMBNAILS_AT_ONCE);

  async function loadPage() {
    const page = await api("/review-queue", { query: { trap_id: state.trapId, limit: PAGE_BURSTS,
      cursor: state.cursor }, signal: ctx.signal });
    state.bursts.push(...page.items);
    state.cursor = page.next_cursor;
    state.done = !page.next_cursor;
    state.counts = page.counts;
  }

  async function refreshCounts() {
    try {
      const page = await api("/review-queue", { query: { trap_id: state.trapId, limit: 1 }, signal: ctx.signal });
      state.counts = page.counts;
      drawCounts();
    } catch (error) {
      if (!isAbort(error)) console.error(error);
    }
  }

  /** The media a decision applies to: the selection, else the current burst's frames. */
  function targets() {
    if (state.selected.size) {
      return state.bursts.flatMap((b) => b.media.filter((m) => state.selected.has(m.id)));
    }
    const burst = state.bursts[state.current];
    return burst ? burst.media : [];
  }

  async function decide(group) {
    const media = targets();
    if (!media.length || state.busy) return;
    state.busy = true;
    try {
      const items = media.map((m) => (group ? { media_id: m.id, group } : { media_id: m.id }));
      const result = await api("/review-queue/decisions", { method: "POST", json: { items }, signal: ctx.signal });
      const recorded = result.items.filter((r) => r.status === "recorded");
      const ids = new Set(media.map((m) => m.id));
      // Keep what the queue looked like, so undo can put the frames back where they were.
      state.undo.push({ items: recorded.map((r) => ({ media_id: r.media_id, observation_id: r.observation_id })),
        bursts: state.bursts.map((b) => ({ ...b, media: [...b.media] })), current: state.current });
      const before = state.bursts.length;
      state.bursts = state.bursts
        .map((b) => ({ ...b, media: b.media.filter((m) => !ids.has(m.id)) }))
        .filter((b) => b.media.length);
      if (state.bursts.length < before && state.current >= state.bursts.length) state.current = state.bursts.length - 1;
      state.current = Math.max(0, state.current);
      state.selected.clear();
      announce(group ? t("review.done.corrected", { n: recorded.length, group: groupText(group) })
        : t("review.done.confirmed", { n: recorded.length }));
      if (state.bursts.length < 3 && !state.done) await loadPage();
      draw();
      refreshCounts();
    } catch (error) {
      if (!isAbort(error)) announce(t("review.failed", { message: error.message }));
      draw();
    } finally {
      state.busy = false;
    }
  }

  async function undo() {
    const last = state.undo.pop();
    if (!last) {
      announce(t("review.done.nothing"));
      return;
    }
    if (state.busy) {
      state.undo.push(last);
      return;
    }
    state.busy = true;
    try {
      if (last.items.length) {
        await api("/review-queue/undo", { method: "POST", json: { items: last.items }, signal: ctx.signal });
      }
      // The queue as it was before that decision, plus the bursts loaded since (the cursor is past them).
      const key = (b) => `${b.deployment_id}/${b.sequence_id}`;
      const known = new Set(last.bursts.map(key));
      state.bursts = [...last.bursts, ...state.bursts.filter((b) => !known.has(key(b)))];
      state.current = last.current;
      announce(t("review.done.undone", { n: last.items.length }));
      draw();
      refreshCounts();
    } catch (error) {
      state.undo.push(last);
      if (!isAbort(error)) announce(t("review.failed", { message: error.message }));
    } finally {
      state.busy = false;
    }
  }

  function move(step) {
    if (!state.bursts.length) return;
    state.current = Math.min(state.bursts.length - 1, Math.max(0, state.current + step));
    draw();
  }

  function toggleBurst(index = state.current) {
    const burst = state.bursts[index];
    if (!burst) return;
    const all = burst.media.every((m) => state.selected.has(m.id));
    for (const m of burst.media) {
      if (all) state.selected.delete(m.id);
      else state.selected.add(m.id);
    }
    draw();
  }

  function onKey(event) {
    if (event.target.closest?.("input, select, textarea") || event.altKey || event.metaKey) return;
    const key = event.key;
    let handled = true;
    if (event.ctrlKey) {
      if (key.toLowerCase() === "z") undo();
      else handled = false;
    } else if (key === "Enter" || key === "c" || key === "C") {
      if (event.target.closest?.("button, a") && key === "Enter") return;  // the focused control's own action
      decide(null);
    } else if (key === "0" || key === "b" || key === "B") decide("blank");
    else if (/^[1-8]$/.test(key)) decide(KEY_GROUPS[Number(key) - 1]);
    else if (key === "j" || key === "J" || key === "ArrowDown") move(1);
    else if (key === "k" || key === "K" || key === "ArrowUp") move(-1);
    else if (key === "x" || key === "X") toggleBurst();
    else if (key === "u" || key === "U") undo();
    else handled = false;
    if (handled) event.preventDefault();
  }
  document.addEventListener("keydown", onKey);
  ctx.onCleanup(() => document.removeEventListener("keydown", onKey));
  ctx.onCleanup(onLanguageChange(() => draw()));

  // --- drawing ----------------------------------------------------------------------------
  const countsBox = h("p", { class: "mb-2", id: "review-counts", "aria-live": "polite" });

  function drawCounts() {
    const c = state.counts;
    if (!c) return setChildren(countsBox);
    setChildren(countsBox,
      h("strong", { dataset: { count: "total" } }, t("review.counts", { total: c.total })), " · ",
      h("span", { class: "text-danger", dataset: { count: "sensitive" } }, t("review.count.sensitive", { n: c.sensitive })),
      " · ", h("span", { dataset: { count: "low_confidence" } }, t("review.count.low_confidence", { n: c.low_confidence })),
      " · ", h("span", { dataset: { count: "rest" } }, t("review.count.rest", { n: c.rest })));
  }

  // One fetch per thumbnail for the page's life, however often the page redraws.
  function thumb(media, img) {
    if (!media.has_thumbnail) return;
    let pending = state.thumbs.get(media.id);
    if (!pending) {
      pending = thumbnails(() => ctx.blob(`/media/${media.id}/thumbnail`));
      state.thumbs.set(media.id, pending);
      pending.catch(() => state.thumbs.delete(media.id));
    }
    pending.then((src) => { img.src = src; }).catch(() => {});
  }

  function frame(media, n) {
    const selected = state.selected.has(media.id);
    const description = t("review.frame", { n, group: groupText(media.group), label: media.label || "—",
      confidence: fmtPercent(media.confidence) });
    const img = h("img", { alt: description, loading: "lazy", width: 160, height: 120 });
    thumb(media, img);
    const button = h("button", { type: "button", class: `review-frame btn p-0${selected ? " selected" : ""}`,
      "aria-pressed": String(selected), title: t("review.frame.select", { n }), dataset: { mediaId: media.id },
      on: { click: () => {
        if (state.selected.has(media.id)) state.selected.delete(media.id);
        else state.selected.add(media.id);
        draw();
      } } },
    h("div", { class: "thumb-box" }, img),
    h("div", { class: "small text-truncate px-1" },
      h("span", { class: `badge group-badge g-${media.group}` }, groupText(media.group)), " ",
      t("review.machine", { label: media.label || "—", confidence: fmtPercent(media.confidence) })));
    return h("li", { class: "col" }, button);
  }

  function burstCard(burst, index) {
    const current = index === state.current;
    const trap = state.traps.find((tr) => tr.id === burst.deployment_id)?.name || burst.deployment_id;
    const label = t("review.burst", { trap, time: when(burst.media[0]?.timestamp), n: burst.media.length });
    const section = h("section", { class: `review-burst card mb-3${current ? " current border-primary" : ""}`,
      tabindex: current ? "0" : "-1", "aria-label": label, "aria-current": current ? "true" : null,
      dataset: { sequenceId: burst.sequence_id, priority: burst.priority },
      on: { focus: () => { if (state.current !== index) { state.current = index; draw(); } } } },
    h("div", { class: "card-header d-flex flex-wrap align-items-center gap-2" },
      h("span", { class: `badge ${PRIORITY_CLASS[burst.priority]}` }, t(`review.priority.${burst.priority}`)),
      h("span", { class: "me-auto" }, label),
      h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", on: { click: () => toggleBurst(index) } },
        t("review.select_burst"))),
    h("ul", { class: "list-unstyled row row-cols-2 row-cols-sm-3 row-cols-lg-5 g-2 p-2 mb-0" },
      burst.media.map((m, i) => frame(m, i + 1))),
    burst.more_frames ? h("p", { class: "small text-muted px-2" }, t("review.burst.more")) : null);
    return section;
  }

  function actions() {
    const n = state.selected.size;
    return h("div", { class: "review-actions d-flex flex-wrap gap-2 mb-3", role: "toolbar",
      "aria-label": t("review.correct_as") },
    h("button", { type: "button", class: "btn btn-success btn-sm", id: "review-confirm", on: { click: () => decide(null) } },
      n ? t("review.confirm_selected", { n }) : t("review.confirm"), h("kbd", { class: "ms-1" }, "↵")),
    KEY_GROUPS.map((g, i) => h("button", { type: "button", class: "btn btn-outline-dark btn-sm",
      dataset: { group: g }, on: { click: () => decide(g) } }, groupText(g), h("kbd", { class: "ms-1" }, String(i + 1)))),
    h("button", { type: "button", class: "btn btn-outline-dark btn-sm", dataset: { group: "blank" },
      on: { click: () => decide("blank") } }, groupText("blank"), h("kbd", { class: "ms-1" }, "0")),
    h("button", { type: "button", class: "btn btn-outline-secondary btn-sm", on: { click: () => move(-1) } },
      t("review.previous")),
    h("button", { type: "button", class: "btn btn-outline-secondary btn-sm", on: { click: () => move(1) } },
      t("review.next")),
    n ? h("button", { type: "button", class: "btn btn-outline-secondary btn-sm",
      on: { click: () => { state.selected.clear(); draw(); } } }, t("review.clear_selection")) : null,
    h("button", { type: "button", class: "btn btn-outline-primary btn-sm", id: "review-undo",
      disabled: !state.undo.length, on: { click: () => undo() } }, t("review.undo")));
  }

  function shortcuts() {
    const groups = KEY_GROUPS.map((g, i) => `${i + 1} ${groupText(g)}`).join(", ");
    return h("details", { class: "small mb-3" }, h("summary", {}, t("review.shortcuts")),
      h("ul", { class: "mb-0" }, ["review.key.confirm", "review.key.blank", "review.key.move", "review.key.select",
        "review.key.undo"].map((key) => h("li", {}, t(key))), h("li", {}, t("review.key.groups", { groups }))));
  }

  function trapFilter() {
    const select = h("select", { class: "form-select form-select-sm w-auto", id: "review-trap",
      "aria-label": t("review.trap"), on: { change: () => navigate(select.value
        ? `#/review?trap_id=${encodeURIComponent(select.value)}` : "#/review") } },
    h("option", { value: "" }, t("review.all_traps")),
    state.traps.map((tr) => h("option", { value: tr.id, selected: tr.id === state.trapId }, tr.name)));
    return select;
  }

  function draw() {
    const focused = document.activeElement && root.contains(document.activeElement);
    drawCounts();
    const list = h("div", { id: "review-bursts" }, state.bursts.map((b, i) => burstCard(b, i)));
    const more = !state.done && state.bursts.length ? h("button", { type: "button", class: "btn btn-outline-secondary",
      on: { click: async () => { await loadPage(); draw(); } } }, t("review.load_more")) : null;
    setChildren(body,
      pageHeader(t("review.title"), trapFilter(), languageSelect()),
      countsBox, shortcuts(), state.bursts.length ? actions() : null,
      state.error ? alertBox("danger", state.error) : null,
      state.bursts.length ? list : alertBox("success", t("review.empty")), more);
    const current = list.querySelector(".review-burst.current");
    if (current && (focused || !document.activeElement || document.activeElement === document.body)) {
      current.focus({ preventScroll: true });
      current.scrollIntoView({ block: "nearest" });
    }
  }

  setChildren(body, pageHeader(t("review.title"), languageSelect()), h("p", {}, t("review.loading")));
  try {
    const [traps] = await Promise.all([listTraps({ signal: ctx.signal }).catch(() => []), loadPage()]);
    state.traps = traps.sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    if (isAbort(error)) return;
    state.error = error.message;
  }
  draw();
}
