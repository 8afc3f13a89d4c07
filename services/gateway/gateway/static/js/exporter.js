// "Export": downloads the page's current filters as Camtrap DP (zip), MegaDetector JSON or CSV.
// The file comes through fetch (an <a href> cannot send the Authorization header) and is
// handed to the browser as a blob: URL; the gateway streams it, so it starts at once.
import { authedFetch } from "./api.js";
import { h } from "./dom.js";

const FORMATS = [["camtrap-dp", "Camtrap DP (zip)"], ["megadetector", "MegaDetector JSON"], ["csv", "CSV"]];

function fileNameOf(response, format) {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : `ailurus-export.${format === "camtrap-dp" ? "zip" : format === "csv" ? "csv" : "json"}`;
}

/** A format picker and an Export button; `filters()` gives the query of the export. */
export function exportControl(filters, { id }) {
  const format = h("select", { class: "form-select form-select-sm w-auto", id: `${id}-format`,
    "aria-label": "Export format" }, FORMATS.map(([v, label]) => h("option", { value: v }, label)));
  const status = h("span", { class: "small text-muted", id: `${id}-status`, role: "status" });
  const button = h("button", { class: "btn btn-outline-primary btn-sm", type: "button", id }, "Export");
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "Preparing…";
    try {
      const response = await authedFetch(`/exports/${format.value}`, { query: filters(), headers: { Accept: "*/*" } });
      const blob = await response.blob();
      const link = h("a", { href: URL.createObjectURL(blob), download: fileNameOf(response, format.value) });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      const precision = response.headers.get("X-Location-Precision");
      status.textContent = precision && precision !== "exact" ? `Done (positions: ${precision})` : "Done";
    } catch (error) {
      status.textContent = `Export failed: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "d-flex align-items-center gap-2", id: `${id}-control` }, format, button, status);
}
