// Registers the service worker that keeps the static files and the
// catalogue's public pages for offline use (its URL is on this script's
// [data-service-worker]). Without it, or without JavaScript, the site works
// online as before. With it: the offline guide runs on its pages
// (offline/guide.js), saves queued on this phone are sent when the page
// loads or the connection returns, and the page says when they arrive.
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

// What the worker says about a save it sent (or could not send).
function show(message) {
  if (message?.backcare !== "offline-save" || !message.message) {
    return;
  }
  const area = statusArea();
  const text = message.message;
  if ([...area.children].some((shown) => shown.dataset.text === text)) {
    return;
  }
  const alert = document.createElement("p");
  alert.className = `alert ${STYLES[message.type] || "alert-info"} offline-save-${message.type}`;
  alert.dataset.text = text;
  alert.textContent = `${text} `;
  if (message.url) {
    const link = document.createElement("a");
    link.href = message.url;
    link.className = "alert-link";
    link.textContent = "See it in your history";
    alert.append(link, ".");
  }
  area.append(alert);
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
    const one = queued === 1;
    const drop = window.confirm(
      `${one ? "1 session" : `${queued} sessions`} saved on this phone ` +
        `${one ? "is" : "are"} not yet added to your record. Log out and delete ` +
        `${one ? "it" : "them"} from this phone?`,
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
    if (LOG_OUTS.includes(new URL(form.action, window.location.href).pathname)) {
      guardLogOut(form);
    }
  }
  runOffline();
}
