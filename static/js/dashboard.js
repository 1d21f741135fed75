/* Dashboard polling that pauses while the tab is hidden.
   htmx's trigger filters (hx-trigger="every 30s [document.visibilityState === 'visible']") are compiled with
   Function(), which our CSP (script-src 'self', no 'unsafe-eval') forbids. So the cards poll with a plain
   "every 30s" and this file cancels a poll while the page is hidden, and catches up when it is shown again. */
(function () {
  "use strict";
  var SELECTOR = "[data-pause-when-hidden]";

  /* A homeowner halfway through a form inside a card (say the charge deadline) must not lose what they
     typed to the 30 s refresh: skip the poll while a form there has focus or unsaved changes. */
  function isDirty(form) {
    for (var i = 0; i < form.elements.length; i++) {
      var f = form.elements[i];
      if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.tagName === "SELECT") {
        for (var j = 0; j < f.options.length; j++) {
          if (f.options[j].selected !== f.options[j].defaultSelected) return true;
        }
      } else if ("defaultValue" in f && f.type !== "hidden" && f.value !== f.defaultValue) {
        return true;
      }
    }
    return false;
  }

  function isBusy(region) {
    var active = document.activeElement;
    if (active && region.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) return true;
    var forms = region.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) {
      if (isDirty(forms[i])) return true;
    }
    return false;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.matches || !elt.matches(SELECTOR)) return;
    if (document.visibilityState !== "visible" || isBusy(elt)) {
      event.preventDefault();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    document.querySelectorAll(SELECTOR).forEach(function (elt) {
      window.htmx.trigger(elt, "tab-visible");
    });
  });

  /* A disclosure the homeowner opened ("Change plan", "Pause optimization…") stays open when the 30 s
     refresh or a control swaps the card it is in: remember which ones are open (by id) and reopen them
     after every swap. Without JavaScript nothing is swapped, so nothing closes. */
  var KEEP = "details[data-keep-open][id]";
  var openIds = {};
  document.addEventListener("toggle", function (event) {
    var d = event.target;
    if (!d || !d.matches || !d.matches(KEEP)) return;
    if (d.open) openIds[d.id] = true; else delete openIds[d.id];
  }, true);
  function reopen(root) {
    (root || document).querySelectorAll(KEEP).forEach(function (d) {
      if (openIds[d.id] && !d.open) d.open = true;
    });
  }
  document.addEventListener("htmx:afterSwap", function () { reopen(); });

  /* The cards region is replaced by the refresh: keep where the homeowner was. Before the swap, remember
     the focused control (its id, else its position among its card's controls) and the scroll position;
     after it, focus the same control in the new card (without scrolling) and scroll back. */
  var FOCUSABLE = "a[href], button, summary, input, select, textarea, [tabindex]:not([tabindex='-1'])";
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "device-cards") return;
    var active = document.activeElement;
    var card = active && active.closest ? active.closest("[id^='device-']:not(#device-cards)") : null;
    kept = { y: window.scrollY, id: active && active.id, card: card && card.id,
             index: card ? Array.prototype.indexOf.call(card.querySelectorAll(FOCUSABLE), active) : -1 };
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!kept || !target || (target.id !== "device-cards" && !target.isConnected)) return;
    var was = kept;
    kept = null;
    var el = was.id ? document.getElementById(was.id) : null;
    if (!el && was.card && was.index >= 0) {
      var card = document.getElementById(was.card);
      el = card ? card.querySelectorAll(FOCUSABLE)[was.index] : null;
    }
    if (el && document.activeElement !== el) el.focus({ preventScroll: true });
    window.scrollTo(0, was.y);
  });
  document.addEventListener("htmx:load", function (event) { reopen(event.target && event.target.parentNode); });

  /* Relative times ("5 min ago") stay true without a round trip: the server renders them once (and caches
     cards), this rewrites every <time datetime> in the cards region each 15 s. A 204 poll (nothing changed)
     carries X-Data-Fetched-At: when we last checked with Podero, shown in the "Updated" line. */
  var rtf = window.Intl && Intl.RelativeTimeFormat ?
    new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "auto", style: "short" }) : null;

  function relative(iso) {
    var then = Date.parse(iso);
    if (!rtf || isNaN(then)) return null;
    var s = Math.round((Date.now() - then) / 1000);
    if (s < 5) return rtf.format(0, "second");
    if (s < 60) return rtf.format(-s, "second");
    if (s < 3600) return rtf.format(-Math.floor(s / 60), "minute");
    if (s < 48 * 3600) return rtf.format(-Math.floor(s / 3600), "hour");
    return rtf.format(-Math.floor(s / 86400), "day");
  }

  function refreshTimes(root) {
    (root || document).querySelectorAll(".cards-region time[datetime]").forEach(function (t) {
      var text = relative(t.getAttribute("datetime"));
      if (text && t.textContent !== text) t.textContent = text;
    });
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr || xhr.status !== 204) return;
    var fetched = xhr.getResponseHeader("X-Data-Fetched-At");
    var line = document.querySelector("#device-cards .freshness time[datetime]");
    if (fetched && line) line.setAttribute("datetime", fetched);
    refreshTimes();
  });
  window.setInterval(function () { if (document.visibilityState === "visible") refreshTimes(); }, 15000);
})();
