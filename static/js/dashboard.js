/* Dashboard polling that pauses while the tab is hidden.
   htmx's trigger filters (hx-trigger="every 30s [document.visibilityState === 'visible']") are compiled with
   Function(), which our CSP (script-src 'self', no 'unsafe-eval') forbids. So the cards poll with a plain
   "every 30s" and this file cancels a poll while the page is hidden, and catches up when it is shown again. */
(function () {
  "use strict";
  var SELECTOR = "[data-pause-when-hidden]";

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (document.visibilityState !== "visible" && elt && elt.matches && elt.matches(SELECTOR)) {
      event.preventDefault();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    document.querySelectorAll(SELECTOR).forEach(function (elt) {
      window.htmx.trigger(elt, "tab-visible");
    });
  });
})();
