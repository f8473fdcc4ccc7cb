// The guided-session player: a hold timer, a repetition counter or a
// stopwatch, depending on data-mode of the server-rendered [data-player].
// With data-each-side="true" the holds or the count run on the right side,
// then on the left; the stopwatch has no sides (the server never asks it to).
// The page works without it; this only enhances. Timing reads Date.now() on
// every tick, so a throttled tab (or a test's fake clock) never drifts.

const TICK_MS = 250;
const GET_READY_MS = 3000;
const SWITCH_SIDE_MS = 5000;
const ANNOUNCE_EVERY_S = 10;
const MUTE_KEY = "backcare.player.muted";
const SPEECH_KEY = "backcare.player.speech";

const storage = {
  get(key) {
    try {
      return window.localStorage.getItem(key);
    } catch {
      return null; // Private mode or storage disabled: fall back to defaults.
    }
  },
  set(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch {
      // Nothing to do: the setting then lasts for this page only.
    }
  },
};

function formatClock(totalSeconds) {
  const seconds = Math.max(0, totalSeconds);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  if (hours) {
    return `${hours}:${String(minutes).padStart(2, "0")}:${rest}`;
  }
  return `${minutes}:${rest}`;
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

// A short beep through Web Audio. The AudioContext is created on the first
// user gesture, as browsers refuse to start audio without one.
class Beeper {
  constructor() {
    this.context = null;
    this.muted = storage.get(MUTE_KEY) === "true";
  }

  unlock() {
    if (this.context) {
      if (this.context.state === "suspended") {
        this.context.resume().catch(() => {});
      }
      return;
    }
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext) {
      return;
    }
    try {
      this.context = new AudioContext();
    } catch {
      this.context = null;
    }
  }

  setMuted(muted) {
    this.muted = muted;
    storage.set(MUTE_KEY, String(muted));
  }

  beep() {
    if (this.muted || !this.context) {
      return;
    }
    try {
      const now = this.context.currentTime;
      const oscillator = this.context.createOscillator();
      const gain = this.context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.3, now + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
      oscillator.connect(gain).connect(this.context.destination);
      oscillator.start(now);
      oscillator.stop(now + 0.3);
    } catch {
      // A beep is a nicety; never let it stop the timer.
    }
  }
}

// Spoken prompts, off unless the person turns them on.
class Speaker {
  constructor() {
    this.supported =
      "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;
    this.enabled = storage.get(SPEECH_KEY) === "true";
  }

  setEnabled(enabled) {
    this.enabled = enabled;
    storage.set(SPEECH_KEY, String(enabled));
    if (!enabled && this.supported) {
      window.speechSynthesis.cancel();
    }
  }

  say(text) {
    if (!this.enabled || !this.supported) {
      return;
    }
    try {
      window.speechSynthesis.cancel();
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = document.documentElement.lang || "en";
      window.speechSynthesis.speak(utterance);
    } catch {
      // Speech is optional.
    }
  }
}

// Keeps the screen on while a timer runs, where the browser allows it.
class ScreenLock {
  constructor() {
    this.wanted = false;
    this.sentinel = null;
    document.addEventListener("visibilitychange", () => {
      // The browser drops the lock when the page is hidden; take it back.
      if (document.visibilityState === "visible" && this.wanted) {
        this.acquire();
      }
    });
  }

  async acquire() {
    this.wanted = true;
    if (!("wakeLock" in navigator) || (this.sentinel && !this.sentinel.released)) {
      return;
    }
    try {
      const sentinel = await navigator.wakeLock.request("screen");
      if (this.wanted && !(this.sentinel && !this.sentinel.released)) {
        this.sentinel = sentinel;
      } else {
        // Paused while the request ran, or an earlier request already holds
        // the lock (Start, Pause, Start before the browser answered).
        sentinel.release().catch(() => {});
      }
    } catch {
      this.sentinel = null; // Refused (battery saver, hidden page): carry on.
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

class Player {
  constructor(root) {
    this.root = root;
    this.mode = root.dataset.mode;
    this.repetitions = Number.parseInt(root.dataset.repetitions, 10) || 1;
    this.holdMs = (Number.parseInt(root.dataset.holdSeconds, 10) || 0) * 1000;
    this.eachSide = root.dataset.eachSide === "true";
    this.durationMin = Number.parseInt(root.dataset.durationMin, 10) || 0;
    this.durationMax =
      Number.parseInt(root.dataset.durationMax, 10) || this.durationMin;

    this.form = document.querySelector("[data-guide-form]");
    this.nextButton = document.querySelector("[data-guide-next]");
    this.previousLink = document.querySelector("[data-guide-previous]");

    this.el = {
      side: root.querySelector("[data-player-side]"),
      phase: root.querySelector("[data-player-phase]"),
      clock: root.querySelector("[data-player-clock]"),
      bar: root.querySelector("[data-player-bar]"),
      reps: root.querySelector("[data-player-reps]"),
      toggle: root.querySelector("[data-player-toggle]"),
      reset: root.querySelector("[data-player-reset]"),
      count: root.querySelector("[data-player-count]"),
      countNumber: root.querySelector("[data-player-count-number]"),
      undo: root.querySelector("[data-player-undo]"),
      targets: [...root.querySelectorAll("[data-player-target]")],
      status: root.querySelector("[data-player-status]"),
      saved: root.querySelector("[data-player-saved]"),
      mute: root.querySelector("[data-player-mute]"),
      speech: root.querySelector("[data-player-speech]"),
    };

    this.beeper = new Beeper();
    this.speaker = new Speaker();
    this.screenLock = new ScreenLock();
    this.interval = null;
    this.saving = false;
    this.resetState();
  }

  start() {
    this.bindOptions();
    this.bindControls();
    this.bindKeyboard();
    this.render();
    this.root.hidden = false;
    // The keyboard hint describes this script, so it shows only with it.
    for (const hint of document.querySelectorAll("[data-guide-keyboard-hint]")) {
      hint.hidden = false;
    }
  }

  resetState() {
    this.running = false;
    this.done = false;
    // hold mode: phase is "ready", "hold", "rest" (get ready) or "done".
    this.phase = "ready";
    this.side = "right"; // Each-side steps, in hold and count mode.
    this.repetition = 1; // The repetition under way (or next) on this side.
    this.phaseEndsAt = 0; // Date.now() at which the running phase ends.
    this.remainingMs = this.holdMs; // Left in the phase while paused.
    this.lastAnnouncedAt = 0; // Seconds into the hold of the last announcement.
    this.count = 0; // count mode: repetitions counted on this side.
    // duration mode: elapsed time before the latest start, and that start.
    this.elapsedMs = 0;
    this.startedAt = 0;
    this.reached = new Set();
  }

  // ----- wiring ---------------------------------------------------------

  bindOptions() {
    const { mute, speech } = this.el;
    mute.setAttribute("aria-pressed", String(this.beeper.muted));
    mute.addEventListener("click", () => {
      this.beeper.setMuted(!this.beeper.muted);
      mute.setAttribute("aria-pressed", String(this.beeper.muted));
    });
    if (!this.speaker.supported) {
      speech.hidden = true;
      return;
    }
    speech.setAttribute("aria-pressed", String(this.speaker.enabled));
    speech.addEventListener("click", () => {
      this.speaker.setEnabled(!this.speaker.enabled);
      speech.setAttribute("aria-pressed", String(this.speaker.enabled));
    });
  }

  bindControls() {
    const { toggle, reset, count, undo } = this.el;
    toggle?.addEventListener("click", () => this.toggle());
    reset?.addEventListener("click", () => this.reset());
    count?.addEventListener("click", () => this.tap());
    undo?.addEventListener("click", () => this.undo());
  }

  bindKeyboard() {
    document.addEventListener("keydown", (event) => {
      const modified = event.altKey || event.ctrlKey || event.metaKey || event.shiftKey;
      if (event.defaultPrevented || modified || event.repeat || event.isComposing) {
        return;
      }
      const target = event.target instanceof Element ? event.target : null;
      if (target?.closest("input, textarea, select, [contenteditable]")) {
        return; // The key belongs to the field.
      }
      if (event.key === " " || event.code === "Space") {
        // Space already presses a focused button or follows a focused link.
        if (target?.closest("button, a[href], summary, [role='button'], [role='link']")) {
          return;
        }
        event.preventDefault();
        if (this.mode === "count") {
          this.tap();
        } else {
          this.toggle();
        }
      } else if (event.key === "ArrowRight" && this.nextButton) {
        event.preventDefault();
        this.nextButton.click();
      } else if (event.key === "ArrowLeft" && this.previousLink) {
        event.preventDefault();
        this.previousLink.click();
      }
    });
  }

  // ----- shared actions ---------------------------------------------------

  toggle() {
    if (this.mode === "count" || this.done) {
      return;
    }
    this.beeper.unlock();
    if (this.running) {
      this.pause();
    } else {
      this.resume();
    }
  }

  resume() {
    const now = Date.now();
    this.running = true;
    if (this.mode === "duration") {
      this.startedAt = now;
      this.announce(this.elapsedMs ? "Stopwatch running again." : "Stopwatch started.");
    } else {
      if (this.phase === "ready") {
        this.phase = "hold";
        this.remainingMs = this.holdMs;
        this.lastAnnouncedAt = 0;
        const seconds = plural(this.holdMs / 1000, "second");
        this.announce(`Hold for ${seconds}. ${this.repetitionText()}.`);
        this.speaker.say("Hold");
      } else {
        this.announce(
          this.phase === "hold" ? "Hold. Timer running again." : "Timer running again.",
        );
      }
      this.phaseEndsAt = now + this.remainingMs;
    }
    this.screenLock.acquire();
    this.interval = window.setInterval(() => this.tick(), TICK_MS);
    this.render();
  }

  pause() {
    const now = Date.now();
    this.stopTicking();
    this.running = false;
    if (this.mode === "duration") {
      this.elapsedMs += now - this.startedAt;
    } else {
      this.remainingMs = Math.max(0, this.phaseEndsAt - now);
    }
    this.announce("Paused.");
    this.render();
  }

  reset() {
    this.stopTicking();
    this.resetState();
    this.el.saved.hidden = true;
    this.announce("Timer reset.");
    this.render();
  }

  stopTicking() {
    if (this.interval !== null) {
      window.clearInterval(this.interval);
      this.interval = null;
    }
    this.screenLock.release();
  }

  tick() {
    if (!this.running) {
      return;
    }
    if (this.mode === "duration") {
      this.tickStopwatch();
    } else {
      this.tickHold();
    }
    this.render();
  }

  // ----- hold timer ----------------------------------------------------

  tickHold() {
    const now = Date.now();
    // A loop, as a throttled tab may wake up several phases later.
    while (this.running && now >= this.phaseEndsAt) {
      this.endPhase(this.phaseEndsAt);
    }
    if (this.running && this.phase === "hold" && this.holdMs > ANNOUNCE_EVERY_S * 1000) {
      const heldSeconds = Math.floor((this.holdMs - (this.phaseEndsAt - now)) / 1000);
      const mark = heldSeconds - (heldSeconds % ANNOUNCE_EVERY_S);
      if (mark > this.lastAnnouncedAt) {
        this.lastAnnouncedAt = mark;
        const left = Math.ceil((this.phaseEndsAt - now) / 1000);
        this.announce(`${plural(left, "second")} left.`);
      }
    }
  }

  endPhase(endedAt) {
    if (this.phase === "rest") {
      this.phase = "hold";
      this.phaseEndsAt = endedAt + this.holdMs;
      this.lastAnnouncedAt = 0;
      this.announce(`Hold. ${this.repetitionText()}.`);
      this.speaker.say("Hold");
      return;
    }
    // The end of a hold.
    this.beeper.beep();
    if (this.repetition < this.repetitions) {
      this.repetition += 1;
      this.phase = "rest";
      this.phaseEndsAt = endedAt + GET_READY_MS;
      this.announce(
        `Relax. Get ready for repetition ${this.repetition} of ${this.repetitions}.`,
      );
      this.speaker.say("Relax");
    } else if (this.eachSide && this.side === "right") {
      this.switchSides();
      this.repetition = 1;
      this.phase = "rest";
      this.phaseEndsAt = endedAt + SWITCH_SIDE_MS;
    } else {
      this.finish();
    }
  }

  repetitionText() {
    return `Repetition ${this.repetition} of ${this.repetitions}${this.sideText()}`;
  }

  // ----- counter ---------------------------------------------------------

  tap() {
    if (this.done) {
      return;
    }
    this.beeper.unlock();
    this.count += 1;
    if (this.count < this.repetitions) {
      this.announce(
        `Repetition ${this.count} of ${this.repetitions} counted${this.sideText()}.`,
      );
    } else if (this.eachSide && this.side === "right") {
      // The last repetition on the right ends that side, as its last hold does.
      this.beeper.beep();
      this.switchSides();
      this.count = 0;
    } else {
      this.beeper.beep();
      this.finish();
    }
    this.render();
  }

  // Takes back the latest tap, across the change of sides if need be.
  undo() {
    if (this.count === 0) {
      if (!(this.eachSide && this.side === "left")) {
        return;
      }
      this.side = "right";
      this.count = this.repetitions;
    }
    this.count -= 1;
    this.done = false;
    this.announce(`Back to ${this.count} of ${this.repetitions}${this.sideText()}.`);
    this.render();
  }

  // ----- stopwatch -------------------------------------------------------

  elapsed() {
    return this.elapsedMs + (this.running ? Date.now() - this.startedAt : 0);
  }

  tickStopwatch() {
    const minutes = this.elapsed() / 60000;
    for (const target of [this.durationMin, this.durationMax]) {
      if (target && minutes >= target && !this.reached.has(target)) {
        this.reached.add(target);
        this.beeper.beep();
        if (target === this.durationMax) {
          this.pause();
          this.finish(`${target}-minute target reached. Exercise done.`);
        } else {
          this.announce(
            `${target}-minute target reached. Exercise done; keep going ` +
              `to ${this.durationMax} minutes if you feel well.`,
          );
          this.speaker.say("Exercise done");
          this.markDone();
        }
      }
    }
  }

  // ----- sides and the end of the exercise -----------------------------

  sideText() {
    return this.eachSide ? `, ${this.side} side` : "";
  }

  // The same words and prompt in every mode that has sides.
  switchSides() {
    this.side = "left";
    this.announce("Right side done. Switch to the left side.");
    this.speaker.say("Switch to the left side");
  }

  finish(message = "Exercise done.") {
    this.stopTicking();
    this.running = false;
    this.done = true;
    this.phase = "done";
    this.announce(message);
    this.speaker.say("Exercise done");
    this.markDone();
    this.render();
    this.nextButton?.focus();
  }

  // Records the outcome as the Done button would, without leaving the page.
  async markDone() {
    if (!this.form || this.saving) {
      return;
    }
    this.saving = true;
    const data = new FormData(this.form); // Carries csrfmiddlewaretoken.
    data.set("action", "done");
    const { saved } = this.el;
    try {
      // form.action would be the button named "action", hence getAttribute.
      const url = this.form.getAttribute("action") || window.location.href;
      const response = await fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken") || "" },
      });
      // The view answers a saved step with a redirect to the next page.
      if (response.type !== "opaqueredirect" && !response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      saved.textContent = "Saved: this step is marked done.";
      saved.dataset.state = "saved";
    } catch {
      const label = this.nextButton?.textContent.trim() || "Done";
      saved.textContent = `Could not save. Press “${label}” to record this step.`;
      saved.dataset.state = "failed";
    } finally {
      saved.hidden = false;
      this.saving = false;
    }
  }

  announce(text) {
    // Announcements change only at these moments, never every second.
    this.el.status.textContent = text;
  }

  // ----- drawing ---------------------------------------------------------

  render() {
    this.root.classList.toggle("is-running", this.running);
    this.root.classList.toggle("is-done", this.done);
    if (this.el.side) {
      this.el.side.textContent = `Now: ${this.side} side`;
    }
    if (this.mode === "count") {
      this.renderCounter();
    } else if (this.mode === "duration") {
      this.renderStopwatch();
    } else {
      this.renderHold();
    }
  }

  renderToggle() {
    const { toggle } = this.el;
    const started =
      this.mode === "duration" ? this.elapsed() > 0 : this.phase !== "ready";
    let label = started && !this.done ? "Resume" : "Start";
    if (this.running) {
      label = "Pause";
    }
    toggle.textContent = label;
    toggle.disabled = this.done;
    toggle.classList.toggle("btn-primary", !this.running);
    toggle.classList.toggle("btn-warning", this.running);
  }

  renderHold() {
    const { phase, clock, bar, reps } = this.el;
    const left =
      this.phase === "ready"
        ? this.holdMs
        : this.phase === "done"
          ? 0
          : this.running
            ? Math.max(0, this.phaseEndsAt - Date.now())
            : this.remainingMs;
    const phaseNames = { ready: "Ready", hold: "Hold", rest: "Get ready", done: "Done" };
    let phaseText = phaseNames[this.phase];
    if (!this.running && (this.phase === "hold" || this.phase === "rest")) {
      phaseText = `Paused: ${phaseText.toLowerCase()}`;
    }
    phase.textContent = phaseText;
    clock.textContent = formatClock(Math.ceil(left / 1000));
    this.root.dataset.phase = this.phase;

    const total = this.phase === "rest" ? this.restLength() : this.holdMs;
    bar.max = total || 1;
    bar.value = this.phase === "done" ? bar.max : Math.max(0, total - left);

    reps.textContent = this.done
      ? this.allDoneText()
      : `Repetition ${this.repetition} of ${this.repetitions}`;
    this.renderToggle();
  }

  allDoneText() {
    const text = `All ${plural(this.repetitions, "repetition")} done`;
    return this.eachSide ? `${text} on both sides` : text;
  }

  restLength() {
    return this.repetition === 1 && this.side === "left" ? SWITCH_SIDE_MS : GET_READY_MS;
  }

  renderCounter() {
    const { reps, count, countNumber, undo } = this.el;
    countNumber.textContent = String(this.count);
    reps.textContent = this.done
      ? this.allDoneText()
      : `${this.count} of ${this.repetitions} repetitions`;
    count.disabled = this.done;
    undo.disabled = this.count === 0 && this.side === "right";
  }

  renderStopwatch() {
    const { phase, clock, bar } = this.el;
    const elapsed = this.elapsed();
    clock.textContent = formatClock(Math.floor(elapsed / 1000));
    if (this.done) {
      phase.textContent = "Done";
    } else if (this.running) {
      phase.textContent = "Running";
    } else {
      phase.textContent = elapsed > 0 ? "Paused" : "Ready";
    }
    // The bar fills towards the next target, so each target is a full bar.
    const targets = [this.durationMin, this.durationMax].filter(Boolean);
    const next = targets.find((target) => !this.reached.has(target));
    const previous = [...this.reached].filter((target) => target < (next ?? Infinity));
    const from = previous.length ? Math.max(...previous) * 60 : 0;
    bar.max = next ? next * 60 - from : 1;
    bar.value = next ? Math.max(0, Math.floor(elapsed / 1000) - from) : 1;
    for (const item of this.el.targets) {
      const minutes = Number.parseInt(item.dataset.playerTarget, 10);
      const reached = this.reached.has(minutes);
      if (item.classList.contains("is-reached") !== reached) {
        item.classList.toggle("is-reached", reached);
        item.textContent = `${minutes}-minute target${reached ? " reached" : ""}`;
      }
    }
    this.renderToggle();
  }
}

for (const root of document.querySelectorAll("[data-player]")) {
  new Player(root).start();
}
