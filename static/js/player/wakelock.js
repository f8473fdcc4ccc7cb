// Keeps the screen on for the whole guided session, where the browser allows
// it: taken on the first Start, kept through pauses, rests and the steps
// after it, taken back when the page shows again, released on leaving.

export class ScreenLock {
  constructor() {
    this.wanted = false;
    this.sentinel = null;
    document.addEventListener("visibilitychange", () => {
      // The browser drops the lock when the page is hidden; take it back.
      if (document.visibilityState === "visible" && this.wanted) {
        this.acquire();
      }
    });
    window.addEventListener("pagehide", () => this.release());
  }

  held() {
    return Boolean(this.sentinel && !this.sentinel.released);
  }

  async acquire() {
    this.wanted = true;
    if (!("wakeLock" in navigator) || this.held() || this.pending) {
      return;
    }
    this.pending = true;
    try {
      const sentinel = await navigator.wakeLock.request("screen");
      if (this.wanted && !this.held()) {
        this.sentinel = sentinel;
      } else {
        sentinel.release().catch(() => {});
      }
    } catch {
      this.sentinel = null; // Refused (battery saver, hidden page): carry on.
    } finally {
      this.pending = false;
    }
  }

  release() {
    this.wanted = false;
    if (this.sentinel) {
      this.sentinel.release().catch(() => {});
      this.sentinel = null;
    }
  }
}
