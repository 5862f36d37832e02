/* disaster_support service worker {{ version }}: shelter tablets and public boards
   keep working with no network. Pages are fetched from the network first and kept;
   without network the kept copy is shown (its page says how old it is). */
"use strict";
const SHELL = "ds-shell-{{ version }}";
const PAGES = "ds-pages";  // not versioned: kept pages survive an update of the app
const PRECACHE = {{ precache | tojson }};
// The pages that work offline: a shelter's tablet page and conversation board, the
// boards, the public map, a patrol team's route.
const PAGE = /^\/(shelters\/[^/]+\/(tablet|talk(\/[^/]+){0,2})|board|board\/[^/]+|board\/map|patrol\/\d+|offline)$/;
const FILES = /^\/(static|vendor|talk\/audio)\//;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys
    .filter((key) => key.startsWith("ds-shell-") && key !== SHELL)
    .map((key) => caches.delete(key)))).then(() => self.clients.claim()));
});

async function keep(request, response) {
  if (!response.ok || response.type !== "basic" || response.redirected) return false;
  // What the server says must not be stored (a signed-in person's pages) is never kept:
  // after signing out, nobody may open it from this browser's storage.
  if (/no-store/.test(response.headers.get("Cache-Control") || "")) return false;
  const cache = await caches.open(PAGES);
  await cache.put(request, response.clone());
  // Also under the bare path: a board opened offline shows the language last chosen.
  await cache.put(new URL(request.url).pathname, response.clone());
  return true;
}

async function page(request) {
  try {
    const response = await fetch(request);
    await keep(request, response);
    return response;
  } catch (error) {
    const cache = await caches.open(PAGES);
    const options = {ignoreVary: true};
    return (await cache.match(request, options)) ||
      (await cache.match(new URL(request.url).pathname, options)) ||
      (await caches.match("{{ url_for('offline.offline_page') }}", options)) ||
      Response.error();
  }
}

async function file(request) {
  const kept = await caches.match(request, {ignoreVary: true});
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    const cache = await caches.open(SHELL);
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (PAGE.test(url.pathname)) event.respondWith(page(request));
  else if (FILES.test(url.pathname)) event.respondWith(file(request));
});

// A page opened before this worker controlled it asks to be kept.
self.addEventListener("message", (event) => {
  if (!event.data || !event.data.keep) return;
  const url = new URL(event.data.keep, self.location.origin);
  if (url.origin !== self.location.origin || !PAGE.test(url.pathname)) return;
  const request = new Request(url.href, {credentials: "same-origin"});
  event.waitUntil(fetch(request).then((response) => keep(request, response))
    .then((kept) => event.ports[0] && event.ports[0].postMessage(kept ? "kept" : "not-kept"))
    .catch(() => event.ports[0] && event.ports[0].postMessage("failed")));
});
