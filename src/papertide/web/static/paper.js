// Renders $…$ and $$…$$ in the abstract with the vendored KaTeX (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  if (typeof renderMathInElement !== "function") return;
  document.querySelectorAll("[data-math]").forEach(function (el) {
    renderMathInElement(el, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\(", right: "\\)", display: false }
      ],
      throwOnError: false
    });
  });
  // Comments: the server already cut each formula out as escaped text (web/markdown.py).
  // KaTeX's `trust` stays off, so \href, \url and \html* render as inert text.
  document.querySelectorAll(".comment-body .math-inline, .comment-body .math-display").forEach(function (el) {
    katex.render(el.textContent, el, {
      displayMode: el.classList.contains("math-display"),
      throwOnError: false,
      maxSize: 20,
      maxExpand: 200
    });
  });
});
