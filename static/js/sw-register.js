// Registers the service worker that keeps the static files and the
// catalogue's public pages for offline use (its URL is on this script's
// [data-service-worker]). Without it, or without JavaScript, the site works
// online as before. With it: the offline guide runs on its pages
// (offline/guide.js), saves queued on this phone are sent when the page
// loads or the connection returns, and the page says when they arrive.
import { gettext, interpolate, ngettext, withoutPrefix } from "./i18n.js";
import { runOffline } from "./offline/guide.js";
import { ask, keepPerson, sendSaves } from "./offline/worker.js";

const script = document.querySelector("script[data-service-worker]");
// Posting these ends the person's session; the worker then forgets what it
// kept for them, the queued saves included.
const LOG_OUTS = ["/accounts/logout/", "/accounts/delete/"];
const STYLES = { arrived: "alert-success", waiting: "alert-info", rejected: "alert-danger" };

function statusArea() {
  let area = document.querySelector("[data-offline-status]");
  if (!area) {
    area = document.createElement("div");
    area.dataset.offlineStatus = "";
    area.setAttribute("role", "status");
    document.querySelector("main")?.prepend(area);
  }
  return area;
}

// The worker's own words, in the page's language: it names them by ``words``
// (the server's words, ``message``, are in the language of the address the
// save was sent to).
function wordsOf(message) {
  if (message.words === "log-in") {
    return gettext("Log in, and the session saved on this phone will be added to your record.");
  }
  if (message.words === "rejected") {
    return interpolate(
      gettext("A session saved on this phone could not be added: %(error)s"),
      { error: message.error || "" },
      true,
    );
  }
  return message.message;
}

// What the worker says about a save it sent (or could not send).
function show(message) {
  if (message?.backcare !== "offline-save" || !message.message) {
    return;
  }
  const area = statusArea();
  const text = wordsOf(message);
  const token = message.discardable ? message.token : null;
  // Once per save that can be deleted, else once per text.
  if (
    [...area.children].some((shown) =>
      token ? shown.dataset.token === token : !shown.dataset.token && shown.dataset.text === text,
    )
  ) {
    return;
  }
  const alert = document.createElement(token ? "div" : "p");
  alert.className = `alert ${STYLES[message.type] || "alert-info"} offline-save-${message.type}`;
  alert.dataset.text = text;
  alert.textContent = `${text} `;
  if (message.url) {
    const link = document.createElement("a");
    link.href = message.url;
    link.className = "alert-link";
    link.textContent = gettext("See it in your history");
    alert.append(link, ".");
  }
  if (token) {
    alert.dataset.token = token;
    offerDiscard(alert, token);
  }
  area.append(alert);
}

function button(text, style) {
  const made = document.createElement("button");
  made.type = "button";
  made.className = `btn ${style}`;
  made.textContent = text;
  return made;
}

// A save the server cannot add as it stands (it answered 409) may wait for
// ever: the person may delete it from this phone, after a second question.
function offerDiscard(alert, token) {
  const offer = document.createElement("div");
  offer.className = "d-flex flex-wrap gap-2 mt-2";
  const discard = button(gettext("Delete it from this phone"), "btn-outline-danger");
  offer.append(discard);
  const question = document.createElement("div");
  question.className = "mt-2";
  question.hidden = true;
  const asked = document.createElement("p");
  asked.className = "mb-2";
  asked.textContent = gettext(
    "Delete this session from this phone? It will not be added to your record.",
  );
  const answers = document.createElement("div");
  answers.className = "d-flex flex-wrap gap-2";
  const yes = button(gettext("Yes, delete it"), "btn-danger");
  const no = button(gettext("No, keep it"), "btn-outline-secondary");
  answers.append(yes, no);
  question.append(asked, answers);
  alert.append(offer, question);
  discard.addEventListener("click", () => {
    offer.hidden = true;
    question.hidden = false;
    yes.focus();
  });
  no.addEventListener("click", () => {
    question.hidden = true;
    offer.hidden = false;
    discard.focus();
  });
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    const deleted = await ask({ type: "discard", token });
    await countQueued();
    const said = document.createElement("p");
    said.tabIndex = -1;
    if (deleted) {
      said.className = "alert alert-success offline-save-discarded";
      said.textContent = gettext(
        "The session saved on this phone was deleted. It will not be added to your record.",
      );
      alert.replaceWith(said);
    } else {
      said.className = "mb-2 text-danger-emphasis fw-semibold";
      said.textContent = gettext("It could not be deleted from this phone. Please try again.");
      yes.disabled = false;
      question.prepend(said);
    }
    said.focus();
  });
}

// Saves queued on this phone, as the worker last said: read at load and
// after each word from the worker, so that the log-out's question is asked
// at once, before the browser posts the form.
let queued = 0;

async function countQueued() {
  queued = (await ask({ type: "queued" })) || 0;
}

// Before logging out, ask whether to drop saves not yet sent.
function guardLogOut(form) {
  form.addEventListener("submit", (event) => {
    if (queued === 0) {
      return;
    }
    const drop = window.confirm(
      interpolate(
        ngettext(
          "%(count)s session saved on this phone is not yet added to your record. Log out and delete it from this phone?",
          "%(count)s sessions saved on this phone are not yet added to your record. Log out and delete them from this phone?",
          queued,
        ),
        { count: queued },
        true,
      ),
    );
    if (!drop) {
      event.preventDefault();
    }
  });
}

if (script && "serviceWorker" in navigator) {
  navigator.serviceWorker
    .register(script.dataset.serviceWorker, { scope: "/", updateViaCache: "none" })
    .then(countQueued)
    // Asks the server only when the person may have changed (service-worker.js).
    .then(() => keepPerson())
    .then(() => sendSaves())
    .catch(() => {
      // No worker (a private window, a browser setting): nothing kept offline.
    });
  navigator.serviceWorker.addEventListener("message", (event) => {
    show(event.data);
    countQueued();
  });
  navigator.serviceWorker.startMessages();
  window.addEventListener("online", () => sendSaves());
  for (const form of document.querySelectorAll("form[method=post]")) {
    if (LOG_OUTS.includes(withoutPrefix(new URL(form.action, window.location.href).pathname))) {
      guardLogOut(form);
    }
  }
  runOffline();
}
