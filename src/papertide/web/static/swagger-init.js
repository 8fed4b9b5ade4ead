// Starts the vendored Swagger UI on /openapi.json (a file, not inline code, for the CSP), and
// follows the system's light or dark setting with Swagger UI's own dark theme.
(function () {
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  function follow() {
    document.documentElement.classList.toggle("dark-mode", dark.matches);
  }
  follow();
  if (dark.addEventListener) dark.addEventListener("change", follow);
})();
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
