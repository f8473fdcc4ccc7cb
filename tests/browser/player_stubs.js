// Recording stubs for the player's browser APIs, installed before a page loads:
// what the player asks of Web Audio, the Screen Wake Lock API and speech
// synthesis, and what it announces, lands in window.__calls.
(() => {
  const calls = {
    audioContexts: 0,
    beeps: [],
    wakeLock: [],
    wakeLockDelayMs: 0,
    spoken: [],
    announcements: [],
  };
  window.__calls = calls;

  class FakeAudioContext {
    constructor() {
      calls.audioContexts += 1;
      this.state = "running";
      this.currentTime = 0;
      this.destination = {};
    }
    resume() { return Promise.resolve(); }
    createOscillator() {
      const oscillator = {
        type: "",
        frequency: { value: 0 },
        connect: (node) => node,
        start: () => calls.beeps.push(oscillator.frequency.value),
        stop: () => {},
      };
      return oscillator;
    }
    createGain() {
      const param = { value: 1, setValueAtTime() {}, exponentialRampToValueAtTime() {} };
      return { gain: param, connect: (node) => node };
    }
  }
  window.AudioContext = FakeAudioContext;
  window.webkitAudioContext = FakeAudioContext;

  const held = new Set();
  function makeSentinel() {
    const listeners = [];
    const sentinel = {
      type: "screen",
      released: false,
      addEventListener: (type, listener) => listeners.push(listener),
      removeEventListener() {},
      async release() {
        if (!sentinel.released) {
          sentinel.released = true;
          held.delete(sentinel);
          calls.wakeLock.push("release");
          listeners.forEach((listener) => listener(new Event("release")));
        }
      },
    };
    return sentinel;
  }
  const wakeLock = {
    request(type) {
      calls.wakeLock.push(`request ${type}`);
      const sentinel = makeSentinel();
      held.add(sentinel);
      if (!calls.wakeLockDelayMs) return Promise.resolve(sentinel);
      return new Promise((resolve) =>
        setTimeout(() => resolve(sentinel), calls.wakeLockDelayMs));
    },
  };
  Object.defineProperty(navigator, "wakeLock", { value: wakeLock, configurable: true });
  calls.heldLocks = () => held.size;

  // The browser drops a wake lock when the page is hidden.
  let visibility = "visible";
  Object.defineProperty(document, "visibilityState", { get: () => visibility });
  calls.setVisibility = (state) => {
    visibility = state;
    if (state === "hidden") {
      for (const sentinel of [...held]) {
        sentinel.released = true;
        held.delete(sentinel);
        calls.wakeLock.push("dropped");
      }
    }
    document.dispatchEvent(new Event("visibilitychange"));
  };

  if (!("speechSynthesis" in window)) {
    window.speechSynthesis = {};
  }
  window.speechSynthesis.speak = (utterance) => calls.spoken.push(utterance.text);
  window.speechSynthesis.cancel = () => {};

  document.addEventListener("DOMContentLoaded", () => {
    const status = document.querySelector("[data-player-status]");
    if (!status) return;
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          calls.announcements.push(node.textContent);
        }
      }
    }).observe(status, { childList: true });
  });
})();
