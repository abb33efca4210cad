/* Page set-up shared by every page, loaded after Bootstrap Italia's bundle (kept out of inline scripts so that
 * a strict Content-Security-Policy can forbid them): load the design system's fonts from our own static files. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (window.bootstrap && typeof window.bootstrap.loadFonts === "function" && script && script.dataset.fonts) {
    window.bootstrap.loadFonts(script.dataset.fonts);
  }
})();
