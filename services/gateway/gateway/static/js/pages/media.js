// One image: the picture, its machine top-k, every observation, EXIF, and for reviewers
// confirm / correct (a human observation is added; the machine one stays).
import { api } from "../api.js";
import { can } from "../auth.js";
import { alertBox, fmtBytes, fmtDateTime, fmtPercent, h, pageHeader, toast } from "../dom.js";
import { GROUPS, groupBadge, groupName, groupOptions } from "../groups.js";
import { isAbort } from "../util.js";

// Formats a browser cannot draw: show the thumbnail (a JPEG made by preprocess) instead.
const NOT_DISPLAYABLE = new Set(["image/heic", "image/heif", "image/tiff"]);

function dl(pairs) {
  return h("dl", { class: "row kv small mb-0" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .flatMap(([k, v]) => [h("dt", { class: "col-5" }, k), h("dd", { class: "col-7 mb-1" }, v)]));
}

function latestMachine(media) {
  return [...(media.observations || [])].reverse().find((o) => o.method === "machine") || null;
}

function figure(media, ctx) {
  const box = h("div", { class: "media-figure", id: "media-figure" });
  const note = h("div", { class: "small text-muted mt-1" });
  const show = (src, alt) => box.replaceChildren(h("img", { src, alt }));
  const alt = `${media.label || "unlabelled"} — ${media.file_name}`;
  (async () => {
    if (media.has_thumbnail) {
      try {
        show(await ctx.blob(`/media/${media.id}/thumbnail`), alt);
      } catch (error) {
        if (isAbort(error)) return;
      }
    }
    if (NOT_DISPLAYABLE.has(media.media_type)) {
      note.textContent = `The original is ${media.media_type}, which browsers cannot show; this is its thumbnail.`;
      return;
    }
    try {
      show(await ctx.blob(`/media/${media.id}/original`), alt);
    } catch (error) {
      if (isAbort(error)) return;
      note.textContent = error.status === 403 ? "Your role may see the thumbnail only."
        : `Original not available: ${error.message}`;
      if (!media.has_thumbnail) box.replaceChildren(h("div", { class: "text-white-50 p-5" }, "No image yet"));
    }
  })();
  return h("div", {}, box, note);
}

function topK(observation) {
  if (!observation?.top_k?.length) return h("p", { class: "text-muted small mb-0" }, "No machine prediction yet.");
  return h("ol", { class: "list-unstyled mb-0", id: "media-topk" }, observation.top_k.map((s) =>
    h("li", { class: "mb-2" },
      h("div", { class: "d-flex justify-content-between small gap-2" },
        h("span", { class: "overflow-anywhere" }, s.label), h("span", { class: "text-muted" }, fmtPercent(s.score, 1))),
      h("div", { class: "progress topk-bar", role: "progressbar", "aria-valuenow": Math.round(s.score * 100),
        "aria-valuemin": 0, "aria-valuemax": 100, "aria-label": s.label },
      (() => { const bar = h("div", { class: "progress-bar" }); bar.style.width = `${s.score * 100}%`; return bar; })()))));
}

function observationsList(media) {
  // A list, not a table: it has to read on a 360 px phone.
  const items = [...(media.observations || [])].reverse().map((o) => h("li", { class: "list-group-item",
    dataset: { method: o.method, group: o.group } },
  h("div", { class: "d-flex flex-wrap align-items-center gap-2" }, groupBadge(o.group),
    h("span", { class: "overflow-anywhere" }, o.label || "—"),
    h("span", { class: "text-muted ms-auto" }, fmtPercent(o.confidence))),
  h("div", { class: "small text-muted d-flex flex-wrap gap-2 mt-1" },
    o.method === "human" ? h("span", { class: "badge text-bg-info" }, "human")
      : h("span", { class: "badge text-bg-secondary" }, "machine"),
    h("span", { class: "overflow-anywhere" }, o.model ? `${o.model.name}:${o.model.version}` : (o.classified_by ?? "reviewer")),
    h("span", {}, fmtDateTime(o.classified_at)))));
  if (!items.length) return h("p", { class: "text-muted small mb-0" }, "No observations yet.");
  return h("ol", { class: "list-group", id: "observations" }, items);
}

function reviewForm(media, machine, onReviewed) {
  const message = h("div");
  const post = async (body, button) => {
    button.disabled = true;
    message.replaceChildren();
    try {
      await api(`/media/${media.id}/review`, { method: "POST", json: body });
      toast(`Saved: ${groupName(body.group)}${body.label ? ` (${body.label})` : ""}`, "success", 3000);
      onReviewed();
    } catch (error) {
      message.replaceChildren(alertBox("danger", error.message));
      button.disabled = false;
    }
  };
  const confirm = h("button", { class: "btn btn-success btn-sm", type: "button", id: "review-confirm",
    disabled: !media.group }, `Confirm ${groupName(media.group)}`);
  confirm.addEventListener("click", () => post({ group: media.group, ...(media.label ? { label: media.label } : {}) },
    confirm));
  const group = h("select", { class: "form-select form-select-sm", id: "review-group", "aria-label": "Correct group" },
    groupOptions(media.group || "", { blankOption: "choose a group…", groups: GROUPS }));
  const suggestions = h("datalist", { id: "review-labels" },
    (machine?.top_k || []).map((s) => h("option", { value: s.label })));
  const label = h("input", { class: "form-control form-control-sm", id: "review-label", list: suggestions.id,
    maxlength: 200, placeholder: "label (optional)", autocomplete: "off" });
  const save = h("button", { class: "btn btn-primary btn-sm", type: "submit", id: "review-save" }, "Save correction");
  const form = h("form", { class: "row g-2 align-items-center mt-1", id: "review-form" },
    h("div", { class: "col-12 col-sm-4" }, group),
    h("div", { class: "col-12 col-sm-5" }, label, suggestions),
    h("div", { class: "col-12 col-sm-3 d-grid" }, save));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!group.value) {
      message.replaceChildren(alertBox("warning", "Choose the right group."));
      return;
    }
    post({ group: group.value, ...(label.value.trim() ? { label: label.value.trim() } : {}) }, save);
  });
  return h("div", { class: "card mb-3", id: "review" }, h("div", { class: "card-body" },
    h("h2", { class: "h6" }, "Review"),
    h("div", { class: "d-flex flex-wrap gap-2 align-items-center" }, confirm,
      h("span", { class: "small text-muted" }, "or correct it:")),
    form, message));
}

export async function render(root, { params, ctx }) {
  const mediaId = params[0];
  const draw = async () => {
    let media;
    try {
      media = await api(`/media/${mediaId}`, { signal: ctx.signal });
    } catch (error) {
      if (error.status === 404) {
        root.replaceChildren(alertBox("warning", "No such image. ", h("a", { href: "#/gallery" }, "Gallery")));
        return;
      }
      throw error;
    }
    const machine = latestMachine(media);
    const reviewed = (media.observations || []).some((o) => o.method === "human");
    const exif = media.exif || {};
    root.replaceChildren(
      h("nav", { "aria-label": "breadcrumb" }, h("ol", { class: "breadcrumb small mb-1" },
        h("li", { class: "breadcrumb-item" }, h("a", { href: "#/gallery" }, "Gallery")),
        h("li", { class: "breadcrumb-item" }, h("a", { href: `#/traps/${encodeURIComponent(media.deployment_id)}` },
          media.deployment_id)),
        h("li", { class: "breadcrumb-item active text-truncate", "aria-current": "page" }, media.file_name))),
      pageHeader(h("span", { class: "overflow-anywhere" }, media.file_name)),
      h("div", { class: "row g-3" },
        h("div", { class: "col-12 col-lg-7" }, figure(media, ctx)),
        h("div", { class: "col-12 col-lg-5" },
          h("div", { class: "card mb-3" }, h("div", { class: "card-body" },
            h("div", { class: "d-flex flex-wrap align-items-center gap-2 mb-2", id: "media-current",
              dataset: { group: media.group || "", status: media.status } },
            media.status === "classified" ? groupBadge(media.group)
              : h("span", { class: "badge text-bg-warning" }, media.status),
            h("span", { class: "fw-semibold overflow-anywhere" }, media.label || ""),
            media.confidence !== null && media.confidence !== undefined
              ? h("span", { class: "text-muted" }, fmtPercent(media.confidence, 1)) : null,
            reviewed ? h("span", { class: "badge text-bg-info" }, "reviewed") : null),
            media.error ? alertBox("warning", `${media.error.code}: ${media.error.message}`) : null,
            h("h2", { class: "h6 mt-3" }, "Model's top guesses",
              machine?.model ? h("span", { class: "text-muted fw-normal small" }, ` · ${machine.model.name}:${machine.model.version}`) : null),
            topK(machine))),
          can("reviewer") && media.status === "classified"
            ? reviewForm(media, machine, () => draw().catch((e) => toast(e.message))) : null,
          h("div", { class: "card mb-3" }, h("div", { class: "card-body" },
            h("h2", { class: "h6" }, "Details"),
            dl([
              ["Trap", h("a", { href: `#/traps/${encodeURIComponent(media.deployment_id)}` }, media.deployment_id)],
              ["Taken", `${fmtDateTime(media.timestamp)}${media.timestamp_source === "upload" ? " (upload time: no EXIF date)" : ""}`],
              ["Camera clock", exif.captured_at_local],
              ["Uploaded", media.uploaded_by ? `${fmtDateTime(media.uploaded_at)} by ${media.uploaded_by}` : fmtDateTime(media.uploaded_at)],
              ["Camera", [exif.make, exif.model].filter(Boolean).join(" ")],
              ["Size", exif.width && exif.height ? `${exif.width} × ${exif.height} px, ${fmtBytes(media.size_bytes)}`
                : fmtBytes(media.size_bytes)],
              ["Format", media.media_type],
              ["GPS", exif.gps ? `${exif.gps.latitude.toFixed(5)}, ${exif.gps.longitude.toFixed(5)}` : null],
              ["Burst", media.sequence_id && media.sequence_id !== media.id ? media.sequence_id : null],
              ["Id", h("code", { class: "small overflow-anywhere" }, media.id)],
            ]))))),
      h("h2", { class: "h6 mt-2" }, "Observations"),
      observationsList(media));
  };
  await draw();
}
