// A grid of media cards with thumbnails and "load more" (cursor paging). Thumbnails are
// fetched only when a card scrolls into view, a few at a time: a phone on a slow link
// should not pull a whole page of images it never looks at.
import { api } from "./api.js";
import { alertBox, fmtDateTime, fmtPercent, h, spinner } from "./dom.js";
import { groupBadge } from "./groups.js";
import { isAbort, limiter } from "./util.js";

const THUMBNAILS_AT_ONCE = 4;

function card(media, loadThumb) {
  const box = h("div", { class: "thumb-box" });
  const link = h("a", { class: "media-card d-block h-100", href: `#/media/${media.id}`,
    dataset: { mediaId: media.id, status: media.status } },
  h("div", { class: "card h-100" }, box,
    h("div", { class: "card-body" },
      h("div", { class: "d-flex align-items-center gap-1 flex-wrap" },
        media.status === "classified" ? groupBadge(media.group)
          : h("span", { class: `badge text-bg-${media.status === "failed" ? "danger" : "warning"}` }, media.status),
        media.confidence !== null && media.confidence !== undefined
          ? h("span", { class: "small text-muted" }, fmtPercent(media.confidence)) : null,
        media.observations?.some((o) => o.method === "human")
          ? h("span", { class: "badge text-bg-light border", title: "Reviewed by a person" }, "reviewed") : null),
      h("div", { class: "small text-truncate", title: media.label || "" }, media.label || "—"),
      h("div", { class: "file-name text-muted text-truncate", title: media.file_name }, media.file_name),
      h("div", { class: "file-name text-muted" }, fmtDateTime(media.timestamp)))));
  loadThumb(media, box);
  return h("div", { class: "col" }, link);
}

/**
 * @param {object} options.filters query of GET /media (trap_id, group, label, status, from, to, min_confidence)
 * @returns {HTMLElement} the grid; it loads its first page at once
 */
export function mediaGrid({ filters, ctx, pageSize = 24, emptyText = "No images match." }) {
  const row = h("div", { class: "row row-cols-2 row-cols-sm-3 row-cols-md-4 row-cols-xl-6 g-2", id: "media-grid" });
  const status = h("div", { class: "mt-2" });
  const more = h("button", { class: "btn btn-outline-secondary mt-3", type: "button", id: "load-more", hidden: true },
    "Load more");
  const root = h("div", {}, row, status, more);
  const queue = limiter(THUMBNAILS_AT_ONCE);
  let cursor = null;
  let shown = 0;

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      observer.unobserve(entry.target);
      entry.target.dispatchEvent(new Event("visible"));
    }
  }, { rootMargin: "200px" });
  ctx.onCleanup(() => observer.disconnect());

  function loadThumb(media, box) {
    if (!media.has_thumbnail) {
      box.append(h("div", { class: "thumb-missing" }, media.status === "failed" ? "could not be read" : "no thumbnail yet"));
      return;
    }
    box.addEventListener("visible", () => {
      queue(() => ctx.blob(`/media/${media.id}/thumbnail`)).then((src) => {
        box.append(h("img", { src, alt: media.label || media.file_name, loading: "lazy", decoding: "async" }));
      }).catch((error) => {
        if (!isAbort(error)) box.append(h("div", { class: "thumb-missing" }, "thumbnail unavailable"));
      });
    }, { once: true });
    observer.observe(box);
  }

  async function load() {
    more.hidden = true;
    status.replaceChildren(spinner());
    try {
      const page = await api("/media", { query: { ...filters, limit: pageSize, cursor }, signal: ctx.signal });
      status.replaceChildren();
      for (const media of page.items) row.append(card(media, loadThumb));
      shown += page.items.length;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!shown) status.replaceChildren(alertBox("secondary", emptyText));
    } catch (error) {
      if (isAbort(error)) return;
      status.replaceChildren(alertBox("danger", error.message));
      more.hidden = !cursor && shown > 0;
    }
  }

  more.addEventListener("click", load);
  load();
  return root;
}
