// The API docs page: Swagger UI on the gateway's own OpenAPI document. A file of its own
// (not an inline script) so that the page's CSP allows scripts from this origin only.
const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  deepLinking: true,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
