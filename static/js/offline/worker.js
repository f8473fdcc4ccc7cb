// Talking to the service worker, which keeps the offline guide's plans and
// the saves queued on this phone (static/js/service-worker.js).
import { languagePrefix, withoutPrefix } from "../i18n.js";

const ANSWER_MS = 3000;

async function activeWorker() {
  if (!("serviceWorker" in navigator)) {
    return null;
  }
  if (navigator.serviceWorker.controller) {
    return navigator.serviceWorker.controller;
  }
  const registration = await navigator.serviceWorker.getRegistration();
  return registration?.active || null;
}

// The worker's answer to ``message``, or null without a worker or an answer.
export async function ask(message) {
  const worker = await activeWorker();
  if (!worker) {
    return null;
  }
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), ANSWER_MS);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.postMessage(message, [channel.port2]);
  });
}

// Send the queued saves now if online; ``later``: also ask the browser to
// send them when the connection returns (Background Sync, where it has it).
export async function sendSaves({ later = false } = {}) {
  if (!("serviceWorker" in navigator)) {
    return;
  }
  if (later) {
    const registration = await navigator.serviceWorker.getRegistration();
    await registration?.sync?.register("backcare-saves").catch(() => {});
  }
  if (navigator.onLine) {
    await ask({ type: "send" });
  }
}

// Online, have the worker keep the signed-in person's screening for the
// offline guide (or forget it, for a visitor). The offline guide's own pages
// are the worker's, rendered for nobody: they leave it as it is.
export async function keepPerson() {
  // Kept per language: what the server rendered of it is in the page's.
  if (navigator.onLine && !/^\/routines\/[-\w]+\/offline\//.test(withoutPrefix())) {
    await ask({ type: "person", prefix: languagePrefix() });
  }
}
