// BackCare's service worker, served at /sw.js (scope: the whole site). The
// view puts this deployment's values before this file:
//   VERSION      changes with the code, templates and static files;
//   PRECACHE     the offline page and the hashed static files to keep;
//   OFFLINE_URL  the page shown for a navigation it cannot serve;
//   STATIC_URL   where the static files live;
//   SAVE_URL     where a guided run saved offline is sent (GET: a CSRF token);
//   LANGUAGES    each language's path prefix ("" for the one without, English;
//                "/zh-hans" for Chinese) and its addresses of the above:
//                {offline, save, catalog} (catalog: Django's JavaScript
//                catalogue of the pages' words, kept with the static files).
/* global VERSION, PRECACHE, OFFLINE_URL, STATIC_URL, SAVE_URL, LANGUAGES */

// Every page, plan and screening is kept per language: a page under
// /zh-hans/ is never answered with an English copy, nor the reverse.
const BY_PREFIX =
  typeof LANGUAGES === "object" && LANGUAGES
    ? LANGUAGES
    : { "": { offline: OFFLINE_URL, save: SAVE_URL, catalog: null } };
const CATALOGS = Object.values(BY_PREFIX)
  .map((urls) => urls.catalog)
  .filter(Boolean);

// The language of ``pathname``: its prefix, and the path without it, which
// the patterns below are matched against.
function languageOf(pathname) {
  for (const prefix of Object.keys(BY_PREFIX)) {
    if (prefix && pathname.startsWith(`${prefix}/`)) {
      return { prefix, path: pathname.slice(prefix.length) };
    }
  }
  return { prefix: "", path: pathname };
}

function urlsOf(prefix) {
  return BY_PREFIX[prefix] || BY_PREFIX[""] || { offline: OFFLINE_URL, save: SAVE_URL };
}

const STATIC_CACHE = `backcare-static-${VERSION}`;
const PAGES_CACHE = `backcare-pages-${VERSION}`;

// The catalogue's public pages, kept for offline use after a first visit
// (matched without the language prefix).
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

// The offline guide (issue 18). Opening a routine's page, or its guide, keeps
// the routine's plan (catalogue data only: /routines/<slug>/plan.json) in
// IndexedDB; offline, its guide runs in the browser at the addresses below,
// which the worker always answers with the offline page: the page's script
// (static/js/offline/guide.js) draws the steps from the plan. A finished run
// saved there waits in IndexedDB ("saves", by its token) until it is sent.
const ROUTINE_OR_GUIDE = /^\/routines\/([-\w]+)\/(?:guide\/(?:[-\w]+\/)?)?$/;
// Where the plan is fetched again: the routine's page and its safety check.
const KEEPS_PLAN = /^\/routines\/[-\w]+\/(?:guide\/)?$/;
// A routine's own page: offline, a signed-in person's (never kept) is drawn
// there by guide.js from the visitor's page kept with the plan (keepPlan).
const ROUTINE_PAGE = /^\/routines\/[-\w]+\/$/;
const OFFLINE_GUIDE = /^\/routines\/([-\w]+)\/offline\//;
const DATABASE = "backcare-offline";
// A signed-in person's kept screening older than this is asked of the server
// again on the next page loaded online: one changed on another device (a red
// flag answered, a clearance given) reaches this phone's offline guide.
const PERSON_FRESH_SECONDS = 60;
const SYNC_TAG = "backcare-saves";

// A page is kept only after an earlier forgetting has finished.
let forgetting = Promise.resolve();

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    Promise.all([dropOtherVersions(), dropOtherPlans()]).then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  const { path } = languageOf(url.pathname);
  if (request.mode === "navigate") {
    if (request.method === "GET") {
      event.respondWith(navigate(event, url));
    } else if (LOG_OUTS.includes(path)) {
      event.respondWith(logOut(event));
    } else if (path.startsWith("/accounts/")) {
      // Logging in, signing up, the screening, the doctor's clearance: who
      // is signed in, or what their screening says, may change. The next
      // page asks the server again (keepPerson).
      event.waitUntil(personChanged().catch(() => {}));
    }
    return;
  }
  if (request.method === "GET" && url.pathname.startsWith(STATIC_URL)) {
    event.respondWith(staticFile(request));
  } else if (request.method === "GET" && url.search === "" && CATALOGS.includes(url.pathname)) {
    // A language's words for the scripts: kept like a static file, as the
    // deployment's version covers the translations.
    event.respondWith(staticFile(request));
  } else if (request.method === "POST" && OFFLINE_GUIDE.test(path)) {
    event.respondWith(markOffline(event, url));
  }
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const reply = event.ports[0];
  const answer = (value) => reply && reply.postMessage(value);
  // The language of the page that asks ("" without a prefix: English).
  const prefix = typeof data.prefix === "string" && data.prefix in BY_PREFIX ? data.prefix : "";
  if (data.type === "forget") {
    event.waitUntil(forgetPerson().then(() => answer(true)));
  } else if (data.type === "plan") {
    event.waitUntil(keptPlan(prefix, data.slug).then(answer, () => answer(null)));
  } else if (data.type === "queue") {
    event.waitUntil(queueSave(data.run, prefix).then(() => answer(true), () => answer(false)));
  } else if (data.type === "queued") {
    event.waitUntil(queuedSaves().then((saves) => answer(saves.length), () => answer(0)));
  } else if (data.type === "person") {
    event.waitUntil(keepPerson(prefix).then(() => answer(true), () => answer(false)));
  } else if (data.type === "cleared") {
    event.waitUntil(keepClearance(data.pks, prefix).then(() => answer(true), () => answer(false)));
  } else if (data.type === "discard") {
    event.waitUntil(discardSave(data.token, prefix).then(answer, () => answer(false)));
  } else if (data.type === "screening") {
    event.waitUntil(keptScreening(prefix).then(answer, () => answer(null)));
  } else if (data.type === "send") {
    // A page is open and online: a failure waits for the next try.
    event.waitUntil(sendSaves().then(() => answer(true), () => answer(false)));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) {
    // A rejection asks the browser to try again later.
    event.waitUntil(sendSaves());
  }
});

async function precache() {
  const cache = await caches.open(STATIC_CACHE);
  // Without cookies: the offline page is rendered for nobody in particular.
  // Each language's offline page and words too.
  const languages = Object.values(BY_PREFIX).flatMap((urls) => [urls.offline, urls.catalog]);
  const urls = [...new Set([...PRECACHE, ...languages.filter(Boolean)])];
  const requests = urls.map((url) => new Request(url, { credentials: "omit" }));
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
  const { path } = languageOf(url.pathname);
  return (
    url.search === "" &&
    !PERSONAL.test(path) &&
    PUBLIC_PAGES.some((pattern) => pattern.test(path))
  );
}

// The offline page in the language of the address asked for.
async function offlinePage(prefix) {
  const own = await caches.match(urlsOf(prefix).offline, { cacheName: STATIC_CACHE });
  return own || (await caches.match(OFFLINE_URL, { cacheName: STATIC_CACHE }));
}

// Network first; offline, the copy kept from an earlier visit, else the
// offline page. All in the language of the address (its prefix).
async function navigate(event, url) {
  const { prefix, path } = languageOf(url.pathname);
  const keepable = isPublicPage(url);
  const routine = url.search === "" && path.match(ROUTINE_OR_GUIDE);
  const offlineGuide = path.match(OFFLINE_GUIDE);
  if (offlineGuide && (await keptPlan(prefix, offlineGuide[1]).catch(() => null))) {
    // Online too: a run started offline goes on in the browser.
    const shell = await offlinePage(prefix);
    if (shell) {
      return shell;
    }
  }
  try {
    const response = await fetch(event.request);
    if (keepable) {
      event.waitUntil(keepPage(url, response.clone()));
    }
    if (routine && response.ok && KEEPS_PLAN.test(path)) {
      event.waitUntil(keepPlan(prefix, routine[1]).catch(() => {}));
    }
    return response;
  } catch (error) {
    const offline = await offlinePage(prefix);
    const plan = routine && (await keptPlan(prefix, routine[1]).catch(() => null));
    // The routine's page, for a signed-in person (whose pages are never
    // kept): the offline page, where guide.js draws it with their own marks,
    // as online. A visitor's kept page is theirs already.
    const drawn = plan && offline && ROUTINE_PAGE.test(path);
    if (drawn && (await keptScreening(prefix).catch(() => null))) {
      return offline;
    }
    const kept =
      keepable &&
      (await caches.match(url.href, { cacheName: PAGES_CACHE, ignoreVary: true }));
    if (kept) {
      return kept;
    }
    if (drawn) {
      return offline;
    }
    if (plan) {
      return Response.redirect(`${prefix}/routines/${routine[1]}/offline/`, 302);
    }
    return offline || Response.error();
  }
}

// The player marks a step done when its timer ends by posting the step's
// form from the page; offline, the page keeps the run, so it is told.
async function markOffline(event, url) {
  const data = await event.request.formData().catch(() => new FormData());
  const page = await self.clients.get(event.clientId);
  if (!page) {
    return new Response(null, { status: 409 });
  }
  page.postMessage({
    backcare: "offline-mark",
    path: url.pathname,
    action: data.get("action"),
    seconds: data.get("seconds"),
  });
  return new Response(null, { status: 204 });
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

// The browser's log-out or account deletion, sent by the worker so that it
// sees the answer: only one that ended the person's session (the redirect
// that follows it, or the Clear-Site-Data the log-out sends) forgets what
// was kept for them. One the server refused (a wrong password, a CSRF
// failure, any 4xx or 5xx) keeps it, queued saves included.
async function logOut(event) {
  const response = await fetch(event.request);
  const ended =
    response.type === "opaqueredirect" ||
    response.ok ||
    response.headers.has("Clear-Site-Data");
  if (ended) {
    await forgetPerson().catch(() => {});
  }
  return response;
}

// Everything kept while a person used this browser. Pages for a signed-in
// person are never kept, but the visitor's pages they opened say what they
// looked at. The static files and the offline page are nobody's.
// Queued saves are the person's too; the page asks before it posts the
// log-out form whether to drop any not yet sent (sw-register.js).
// The plans are the catalogue's, but which ones were kept says what was
// looked at; the queued saves are the person's runs, and their screening
// is theirs.
function forgetPerson() {
  forgetting = forgetting.then(() =>
    Promise.all([
      caches.delete(PAGES_CACHE),
      inStore("plans", "readwrite", (store) => store.clear()),
      inStore("saves", "readwrite", (store) => store.clear()),
      // A visitor's now, in every language: the next page need not ask the server.
      inStore("person", "readwrite", (store) => {
        store.clear();
        let request = null;
        for (const prefix of Object.keys(BY_PREFIX)) {
          request = store.put({ signedIn: false, version: VERSION }, personKey(prefix));
        }
        return request;
      }),
    ]),
  );
  return forgetting;
}

// ----- IndexedDB: the plans, the queued saves, the person's screening ------

const STORES = { plans: { keyPath: "slug" }, saves: { keyPath: "token" }, person: {} };
// The record of the "person" store, one per language (the server renders
// parts of it: what the red flags say, why a step is skipped).
const PERSON = "screening";

function personKey(prefix) {
  return prefix ? `${PERSON}${prefix}` : PERSON;
}

// A plan is kept per language: its key is the slug, after the language's
// prefix where it has one ("/zh-hans/beginner"; a slug has no "/").
function planKey(prefix, slug) {
  return prefix ? `${prefix}/${slug}` : slug;
}

function database() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 2);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const [name, options] of Object.entries(STORES)) {
        if (!db.objectStoreNames.contains(name)) {
          db.createObjectStore(name, options);
        }
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// ``work(store)`` in one transaction; resolves with its request's result
// once the transaction has committed.
async function inStore(name, mode, work) {
  const db = await database();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(name, mode);
      const request = work(transaction.objectStore(name));
      transaction.oncomplete = () => resolve(request && request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

async function keepPlan(prefix, slug) {
  // Without cookies: the plan is the catalogue's, the same for everyone
  // (in the language of its address).
  const response = await fetch(`${prefix}/routines/${slug}/plan.json`, { credentials: "omit" });
  if (!response.ok) {
    return;
  }
  const plan = await response.json();
  plan.page = await routinePage(prefix, slug, plan);
  await forgetting;
  await inStore("plans", "readwrite", (store) =>
    store.put({ slug: planKey(prefix, slug), version: VERSION, plan }),
  );
}

// The routine's page as a visitor sees it, the same for everyone too:
// offline, guide.js shows it with a signed-in person's own marks. Fetched
// only when the one kept is of another deployment or catalogue version
// (the plan's ``catalogue``), or there is none; null when it cannot be,
// and the plan is kept all the same.
async function routinePage(prefix, slug, plan) {
  const kept = await inStore("plans", "readonly", (store) => store.get(planKey(prefix, slug))).catch(
    () => null,
  );
  const same =
    kept &&
    kept.version === VERSION &&
    plan.catalogue &&
    kept.plan.catalogue === plan.catalogue;
  if (same && kept.plan.page) {
    return kept.plan.page;
  }
  try {
    const page = await fetch(`${prefix}/routines/${slug}/`, { credentials: "omit" });
    return page.ok ? await page.text() : null;
  } catch (error) {
    return null;
  }
}

// A plan kept by this deployment (its pages name this deployment's files).
async function keptPlan(prefix, slug) {
  if (typeof slug !== "string") {
    return null;
  }
  const kept = await inStore("plans", "readonly", (store) => store.get(planKey(prefix, slug)));
  return kept && kept.version === VERSION ? kept.plan : null;
}

async function dropOtherPlans() {
  const plans = await inStore("plans", "readonly", (store) => store.getAll());
  const old = plans.filter((kept) => kept.version !== VERSION).map((kept) => kept.slug);
  await inStore("plans", "readwrite", (store) => {
    for (const slug of old) {
      store.delete(slug);
    }
  });
}

// The signed-in person's screening as the offline guide needs it (which
// steps it skips for safety, whether it asks for their doctor's clearance),
// or that a visitor has none. Asked of the server only when it may have
// changed: nothing kept yet by this deployment, a form under /accounts/
// posted since (logging in, the screening, the clearance), or a signed-in
// person's kept more than PERSON_FRESH_SECONDS ago (changed on another
// device, perhaps); a log-out keeps a visitor's at once, never asked again
// until a form under /accounts/ is posted. A page loaded online asks here
// (sw-register.js), so that most pages cost no request; sending the queued
// saves refreshes it.
async function keepPerson(prefix = "") {
  const kept = await inStore("person", "readonly", (store) => store.get(personKey(prefix)));
  if (kept && kept.version === VERSION && !kept.stale && isFresh(kept)) {
    return;
  }
  const answer = await fetch(urlsOf(prefix).save, { cache: "no-store" });
  if (!answer.ok) {
    throw new Error(`The save address answered ${answer.status}.`);
  }
  await keepAnswer(await answer.json(), prefix);
}

function isFresh(kept) {
  if (!kept.signedIn) {
    return true;
  }
  const age = Date.now() - (kept.keptAt ?? 0);
  return age >= 0 && age < PERSON_FRESH_SECONDS * 1000;
}

async function keepAnswer({ signedIn, screening, person }, prefix = "") {
  await forgetting;
  // With their id: a run saved offline is stamped with it (guide.js), so that
  // it is only ever sent for them. A visitor's record says only that.
  const record =
    signedIn && screening ? { ...screening, person, signedIn: true } : { signedIn: false };
  await inStore("person", "readwrite", (store) => {
    // Someone else, or no one, now: the other languages' records are theirs
    // no longer, and are asked for again.
    const others = store.openCursor();
    others.onsuccess = () => {
      const cursor = others.result;
      if (!cursor) {
        return;
      }
      const other = cursor.value;
      if (cursor.key !== personKey(prefix) && (other.person ?? null) !== (record.person ?? null)) {
        cursor.delete();
      }
      cursor.continue();
    };
    return store.put({ ...record, version: VERSION, keptAt: Date.now() }, personKey(prefix));
  });
}

// Marks every language's record to be asked for again.
async function personChanged() {
  await forgetting;
  await inStore("person", "readwrite", (store) => eachPerson(store, (kept) => ({ ...kept, stale: true })));
}

// ``change(record)`` for each record of the "person" store, in the transaction
// of ``store``; a record it answers null for is left as it is.
function eachPerson(store, change) {
  const request = store.openCursor();
  request.onsuccess = () => {
    const cursor = request.result;
    if (cursor) {
      const changed = change(cursor.value);
      if (changed) {
        cursor.update(changed);
      }
      cursor.continue();
    }
  };
  return request;
}

// The person confirmed their doctor's clearance on the offline safety check
// (guide.js) for ``pks``, the warnings it showed: kept until the next page
// loaded online asks the server again, which learns of it with the session
// they save (only if what it showed covers what it asks for then).
async function keepClearance(pks, prefix = "") {
  if (!Array.isArray(pks) || !pks.every(Number.isInteger)) {
    throw new Error("A clearance names the warnings it was confirmed for.");
  }
  await forgetting;
  const kept = await keptScreening(prefix);
  if (!kept) {
    throw new Error("No one is signed in to confirm a clearance for.");
  }
  // The person's, whatever the language of the page it was confirmed on.
  const clearedOffline = new Date().toISOString();
  await inStore("person", "readwrite", (store) =>
    eachPerson(store, (record) => {
      if (!record.signedIn || record.person !== kept.person) {
        return null;
      }
      const clearedFor = [...new Set([...(record.clearedFor || []), ...pks])];
      return { ...record, clearedOffline, clearedFor, stale: true };
    }),
  );
}

// The screening kept for a signed-in person, or null for a visitor: the one
// kept in the language of ``prefix``; else, for safety (the steps it skips),
// the one kept in another language, until a page in this one is loaded online.
async function keptScreening(prefix = "") {
  const all = await inStore("person", "readonly", (store) => store.getAll());
  const own = await inStore("person", "readonly", (store) => store.get(personKey(prefix)));
  if (own) {
    return own.signedIn ? own : null;
  }
  return all.find((kept) => kept.signedIn) || null;
}

// ``prefix``: the language of the page it was saved on; it is sent to the
// save address of that language, which answers in it.
function queueSave(run, prefix = "") {
  if (!run || typeof run.token !== "string") {
    return Promise.reject(new Error("A save needs its run's token."));
  }
  return inStore("saves", "readwrite", (store) =>
    store.put({ token: run.token, run, prefix, queued: new Date().toISOString() }),
  );
}

function queuedSaves() {
  return inStore("saves", "readonly", (store) => store.getAll());
}

function queuedSave(token) {
  return inStore("saves", "readonly", (store) => store.get(token));
}

// The person deletes a save the server refused as it stands (409: it no
// longer fits, say it needs their doctor's clearance): gone from the phone,
// never sent. Any other (one still to be sent, or someone else's: stamped
// with another person's id than the one kept now, guide.js) stays.
async function discardSave(token, prefix = "") {
  if (typeof token !== "string") {
    return false;
  }
  await sending?.catch(() => {});
  const save = await queuedSave(token);
  if (!save?.refused?.discardable) {
    return false;
  }
  const owner = save.run.owner ?? null;
  const kept = await keptScreening(prefix);
  if (owner !== null && owner !== kept?.person) {
    return false;
  }
  await inStore("saves", "readwrite", (store) => store.delete(token));
  return true;
}

// ----- sending the queued saves ---------------------------------------------

// One sending at a time: the sync event, an online page and a page load may
// all ask at once. Each save carries its run's token, so one sent twice (by
// two tries, or by two devices) is still recorded once.
let sending = null;
// Asked again while sending: one more round once this one ends, for a save
// queued meanwhile.
let again = null;

function sendSaves() {
  if (!sending) {
    sending = sendQueued().finally(() => {
      sending = null;
    });
    return sending;
  }
  if (!again) {
    again = sending
      .catch(() => {})
      .then(() => {
        again = null;
        return sendSaves();
      });
  }
  return again;
}

async function sendQueued() {
  const saves = await queuedSaves();
  if (saves.length === 0) {
    return;
  }
  // A fresh CSRF token (its cookie is HTTP-only), and whether anyone is
  // signed in to record the runs for; the person's screening, kept again.
  const answer = await fetch(urlsOf("").save, { cache: "no-store" });
  if (!answer.ok) {
    throw new Error(`The save address answered ${answer.status}.`);
  }
  const said = await answer.json();
  await keepAnswer(said).catch(() => {});
  const { csrfToken, signedIn, person } = said;
  if (!signedIn) {
    // ``words``: the page says it in its own language (sw-register.js).
    await tell({
      type: "waiting",
      words: "log-in",
      message:
        "Log in, and the session saved on this phone will be added to your record.",
    });
    return;
  }
  let failed = null;
  for (const save of saves) {
    // Saved by someone else on this phone (a visitor's has no owner): kept
    // until they log in, never sent for this person.
    const owner = save.run.owner ?? null;
    if (owner !== null && owner !== person) {
      continue;
    }
    // Deleted by the person since the round began: never sent.
    if (!(await queuedSave(save.token))) {
      continue;
    }
    const response = await fetch(urlsOf(save.prefix || "").save, {
      method: "POST",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(save.run),
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      await inStore("saves", "readwrite", (store) => store.delete(save.token));
      if (save.run.doctor_cleared) {
        // The clearance it carried is now on the person's profile.
        await personChanged().catch(() => {});
      }
      await tell({ type: "arrived", message: body.message, url: body.url });
    } else if (response.status === 400) {
      // It will never be recorded as it is: kept, it would be sent forever.
      await inStore("saves", "readwrite", (store) => store.delete(save.token));
      await tell({
        type: "rejected",
        words: "rejected",
        error: body.error || "",
        message: `A session saved on this phone could not be added: ${body.error || ""}`,
      });
    } else if (response.status === 409) {
      // Kept until its owner logs in, or the person confirms their doctor's
      // clearance; or deleted by them, if it is theirs (discardSave).
      const discardable = body.code !== "owner";
      const refused = { code: body.code, message: body.error, discardable };
      // Marked only if still queued, in one transaction: a log-out that
      // forgot the queue meanwhile must not find it there again.
      await inStore("saves", "readwrite", (store) => {
        const request = store.get(save.token);
        request.onsuccess = () => {
          if (request.result) {
            store.put({ ...request.result, refused });
          }
        };
        return request;
      });
      await tell({ type: "waiting", message: body.error, token: save.token, discardable });
    } else if (response.status === 401) {
      // Kept until the person logs in.
      await tell({ type: "waiting", message: body.error });
    } else {
      failed = new Error(`The save answered ${response.status}.`);
    }
  }
  if (failed) {
    throw failed;
  }
}

async function tell(message) {
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const page of pages) {
    page.postMessage({ backcare: "offline-save", ...message });
  }
}
