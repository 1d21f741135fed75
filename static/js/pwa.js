/* Installable app: register the service worker (dashboard/pwa.py). A signed-out page tells it to
   forget the last dashboard it kept, so the next person on this browser never sees it offline. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  var signedIn = document.body.getAttribute("data-signed-in") === "1";
  navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function (registration) {
    if (!signedIn) {
      var worker = navigator.serviceWorker.controller || registration.active;
      if (worker) worker.postMessage({type: "forget"});
    }
  }).catch(function () { /* no offline copy; the site works as before */ });
})();
