// BackCare's service worker, served at /sw.js (scope: the whole site). The
// view puts this deployment's values before this file:
//   VERSION      changes with the code, templates and static files;
//   PRECACHE     the offline page and the hashed static files to keep;
//   OFFLINE_URL  the page shown for a navigation it cannot serve;
//   STATIC_URL   where the static files live.
/* global VERSION, PRECACHE, OFFLINE_URL, STATIC_URL */

const STATIC_CACHE = `backcare-static-${VERSION}`;
const PAGES_CACHE = `backcare-pages-${VERSION}`;

// The catalogue's public pages, kept for offline use after a first visit.
const PUBLIC_PAGES = [
  /^\/$/,
  /^\/about\/$/,
  /^\/privacy\/$/,
  /^\/routines\/[-\w]+\/$/,
  /^\/exercises\/[-\w]+\/$/,
];
// Never kept, whatever the page says.
const PERSONAL = /^\/(accounts|progress|admin)\//;
// base.html writes this into the <head> of a page rendered for a visitor
// with nothing personal in it; a page for a signed-in person never has it.
const KEEPABLE = /<meta name="backcare-offline" content="keep">/;
// Posting these ends the person's session: what was kept goes with them.
const LOG_OUTS = ["/accounts/logout/", "/accounts/delete/"];

// A page is kept only after an earlier forgetting has finished.
let forgetting = Promise.resolve();

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(dropOtherVersions().then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    if (request.method === "GET") {
      event.respondWith(navigate(event, url));
    } else if (LOG_OUTS.includes(url.pathname)) {
      // The browser sends the POST itself; the worker only forgets.
      event.waitUntil(forgetPerson());
    }
    return;
  }
  if (request.method === "GET" && url.pathname.startsWith(STATIC_URL)) {
    event.respondWith(staticFile(request));
  }
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "forget") {
    event.waitUntil(forgetPerson());
  }
});

async function precache() {
  const cache = await caches.open(STATIC_CACHE);
  // Without cookies: the offline page is rendered for nobody in particular.
  const requests = PRECACHE.map((url) => new Request(url, { credentials: "omit" }));
  await cache.addAll(requests);
}

async function dropOtherVersions() {
  const ours = [STATIC_CACHE, PAGES_CACHE];
  const names = await caches.keys();
  await Promise.all(
    names.filter((name) => !ours.includes(name)).map((name) => caches.delete(name)),
  );
}

function isPublicPage(url) {
  return (
    url.search === "" &&
    !PERSONAL.test(url.pathname) &&
    PUBLIC_PAGES.some((pattern) => pattern.test(url.pathname))
  );
}

// Network first; offline, the copy kept from an earlier visit, else the
// offline page.
async function navigate(event, url) {
  const keepable = isPublicPage(url);
  try {
    const response = await fetch(event.request);
    if (keepable) {
      event.waitUntil(keepPage(url, response.clone()));
    }
    return response;
  } catch (error) {
    const kept =
      keepable &&
      (await caches.match(url.href, { cacheName: PAGES_CACHE, ignoreVary: true }));
    if (kept) {
      return kept;
    }
    const offline = await caches.match(OFFLINE_URL, { cacheName: STATIC_CACHE });
    return offline || Response.error();
  }
}

async function keepPage(url, response) {
  if (!response.ok || response.type !== "basic") {
    return;
  }
  const control = response.headers.get("Cache-Control") || "";
  if (/private|no-store/.test(control)) {
    return;
  }
  const text = await response.clone().text();
  if (!KEEPABLE.test(text)) {
    return;
  }
  await forgetting;
  const cache = await caches.open(PAGES_CACHE);
  await cache.put(url.href, response);
}

// Cache first: every URL names a file by its hash, so a kept copy is current.
async function staticFile(request) {
  const cache = await caches.open(STATIC_CACHE);
  const kept = await cache.match(request);
  if (kept) {
    return kept;
  }
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    await cache.put(request, response.clone());
  }
  return response;
}

// Everything kept while a person used this browser. Pages for a signed-in
// person are never kept, but the visitor's pages they opened say what they
// looked at. The static files and the offline page are nobody's.
// Hook for the offline saves (issue 18): queued saves in IndexedDB are the
// person's too and are deleted here, after the page has asked them whether
// to drop any not yet sent (before it posts the log-out form).
function forgetPerson() {
  forgetting = forgetting.then(() => caches.delete(PAGES_CACHE));
  return forgetting;
}
