/* The dashboard's service worker (dashboard/pwa.py). Static files: cache first. The dashboard page:
   network first; the last one the person saw is kept (one person only, tagged by an opaque owner id)
   and shown without a network, marked "Offline — last updated …". Nothing else is cached. */
"use strict";
const VERSION = {{ version_json|safe }};
const ASSETS = {{ assets_json|safe }};
const OFFLINE_URL = {{ offline_json|safe }};
const STATIC_CACHE = "static-" + VERSION;
const PAGES = "pages-v1";
const LAST = "/__last-dashboard";
const OWNER = "{{ owner_header }}";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll([...ASSETS, OFFLINE_URL]))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("static-") && k !== STATIC_CACHE)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "forget") event.waitUntil(caches.delete(PAGES));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (ASSETS.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  } else if (request.mode === "navigate") {
    event.respondWith(navigate(request, url));
  }
});

async function navigate(request, url) {
  try {
    const response = await fetch(request);
    const owner = response.headers.get(OWNER);
    if (url.pathname === "/" && response.ok && owner) {
      const body = await response.clone().text();
      const cache = await caches.open(PAGES);
      await cache.put(LAST, new Response(body, {headers: {
        "Content-Type": "text/html; charset=utf-8", [OWNER]: owner, "X-Saved-At": String(Date.now())}}));
    }
    return response;
  } catch (error) {
    if (url.pathname === "/") {
      const saved = await (await caches.open(PAGES)).match(LAST);
      if (saved) return offlineCopy(saved);
    }
    return (await caches.match(OFFLINE_URL)) || Response.error();
  }
}

async function offlineCopy(saved) {
  const savedAt = new Date(Number(saved.headers.get("X-Saved-At")));
  let html = await saved.text();
  const lang = (html.match(/<html lang="([\w-]+)"/) || [])[1] || "en";
  const shown = new Intl.DateTimeFormat(lang, {hour: "2-digit", minute: "2-digit"}).format(savedAt);
  html = html.replace("data-offline-banner hidden", "data-offline-banner")
    .replace("<time data-offline-time></time>",
             `<time data-offline-time datetime="${savedAt.toISOString()}">${shown}</time>`);
  return new Response(html, {headers: {"Content-Type": "text/html; charset=utf-8"}});
}
