// Registers the service worker that keeps the static files and the
// catalogue's public pages for offline use (its URL is on this script's
// [data-service-worker]). Without it, or without JavaScript, the site works
// online as before.

const script = document.querySelector("script[data-service-worker]");

if (script && "serviceWorker" in navigator) {
  navigator.serviceWorker
    .register(script.dataset.serviceWorker, { scope: "/", updateViaCache: "none" })
    .catch(() => {
      // No worker (a private window, a browser setting): nothing kept offline.
    });
}

// Hook for the offline saves (issue 18): before the log-out form is posted,
// ask the person whether to drop saves still queued on this phone; the
// worker forgets the kept pages (and then the queue) when it sees the POST,
// or when sent {type: "forget"}.
