// The guided step's wiring: reads the server-rendered [data-player], picks
// the timer for its data-mode (hold.js, counter.js, stopwatch.js), and joins
// it to sound, speech, the wake lock, the settings, the Done form and the
// state kept in the tab. The page works without it; this only enhances.
import { gettext, interpolate } from "../i18n.js";
import { Counter } from "./counter.js";
import { HoldTimer } from "./hold.js";
import { LEAD_IN_CHOICES, loadSettings, saveSettings, showVoiceNote } from "./settings.js";
import { Sound } from "./sound.js";
import { Speaker } from "./speech.js";
import { Stopwatch } from "./stopwatch.js";
import { session } from "./storage.js";
import { ScreenLock } from "./wakelock.js";

const TICK_MS = 250;
// A counted step run hands-free counts one repetition this often.
const PACE_MS = 3000;
const ADVANCE_MS = 5000; // The pause between a finished step and the next.
const RUN_KEY = "backcare.player.run";
const KEEP_MS = 2 * 60 * 60 * 1000; // Timer state older than this is dropped.
const TIMERS = { hold: HoldTimer, count: Counter, duration: Stopwatch };

function int(value, fallback = 0) {
  const number = Number.parseInt(value, 10);
  return Number.isNaN(number) ? fallback : number;
}

class Player {
  constructor(root) {
    this.root = root;
    const data = root.dataset;
    this.mode = data.mode;
    this.settings = loadSettings();
    this.config = {
      repetitions: int(data.repetitions, 1) || 1,
      holdMs: int(data.holdSeconds) * 1000,
      eachSide: data.eachSide === "true",
      durationMin: int(data.durationMin),
      durationMax: int(data.durationMax) || int(data.durationMin),
      restMs: int(data.restSeconds, 3) * 1000,
      switchMs: int(data.switchSeconds, 5) * 1000,
      paceMs: PACE_MS,
      leadInMs: this.settings.leadIn * 1000,
    };
    this.nextName = data.nextName || "";
    // The run (the server's token, new at each start from the safety check)
    // and the step: kept state belongs to one step of one run.
    const guide = root.closest("[data-guide]") || document.querySelector("[data-guide]");
    this.runToken = guide?.dataset.run || "";
    this.stepNumber = int(guide?.dataset.stepNumber);
    this.stateKey = `backcare.player:${this.runToken}:${window.location.pathname}`;
    this.routinePath = window.location.pathname.replace(/[^/]+\/$/, "");

    this.nextButton = document.querySelector("[data-guide-next]");
    this.form = this.nextButton?.form || document.querySelector("[data-guide-form]");
    this.previousLink = document.querySelector("[data-guide-previous]");
    this.secondsField = document.querySelector("[data-player-seconds]");
    const one = (name) => root.querySelector(`[data-player-${name}]`);
    this.el = {
      side: one("side"),
      phase: one("phase"),
      clock: one("clock"),
      bar: one("bar"),
      reps: one("reps"),
      toggle: one("toggle"),
      reset: one("reset"),
      confirm: one("confirm"),
      confirmYes: one("confirm-yes"),
      confirmNo: one("confirm-no"),
      count: one("count"),
      countNumber: one("count-number"),
      undo: one("undo"),
      targets: [...root.querySelectorAll("[data-player-target]")],
      status: one("status"),
      next: one("next"),
      stay: one("stay"),
      // The step's drawing, outside the player: turned to the side being worked.
      drawing: document.querySelector("[data-guide-drawing]"),
      drawingSide: document.querySelector("[data-guide-drawing-side]"),
      saved: one("saved"),
      mute: one("mute"),
      leadIn: one("lead-in"),
      autoAdvance: one("auto-advance"),
    };

    this.sound = new Sound(this.settings);
    this.speaker = new Speaker(this.settings);
    this.screenLock = new ScreenLock();
    this.io = {
      announce: (text) => {
        this.el.status.textContent = text;
      },
      say: (text) => this.speaker.say(text),
      play: (name) => this.sound.play(name),
      finish: () => this.finish(),
      markDone: () => this.markDone(),
    };
    this.restoring = false; // Catching up on time that passed while away.
    this.ranOut = false;
    this.timer = new TIMERS[this.mode](this.config, this.io);
    this.interval = null;
    this.saving = false;
    this.leaving = false;
    this.advanceAt = 0;
    this.done = false;
  }

  start() {
    this.bindSettings();
    this.bindControls();
    this.bindKeyboard();
    this.bindPage();
    const run = session.get(RUN_KEY);
    const inRun = this.isThisRun(run);
    this.restore();
    this.root.hidden = false;
    if (run?.advancing) {
      // Only the page the auto-advance was headed for starts by itself; an
      // advance that landed elsewhere (a refusal, a flagged step) is dropped.
      const target = run.advancing;
      const here = inRun && target.run === this.runToken && target.step === this.stepNumber;
      session.set(RUN_KEY, { ...run, advancing: false });
      if (here && !this.done && !this.timer.state.running) {
        // Auto-advance: the run goes on without a touch. Audio was
        // unlocked by a tap on an earlier page; resume it if it can.
        this.sound.unlock();
        this.play();
      }
    }
    if (inRun) {
      this.screenLock.acquire(); // The whole session keeps the screen on.
    }
    if (this.timer.state.running) {
      this.startTicking();
    }
    this.render();
  }

  isThisRun(run) {
    return Boolean(run) && run.routine === this.routinePath && run.run === this.runToken;
  }

  // ----- wiring -----------------------------------------------------------

  bindSettings() {
    const { mute, leadIn, autoAdvance } = this.el;
    showVoiceNote(this.root.querySelector(".player-settings"), this.speaker);
    mute.setAttribute("aria-pressed", String(this.settings.muted));
    mute.addEventListener("click", () => {
      this.settings.muted = !this.settings.muted;
      mute.setAttribute("aria-pressed", String(this.settings.muted));
      if (this.settings.muted) {
        this.speaker.stop();
      }
      saveSettings(this.settings);
    });
    if (leadIn) {
      leadIn.value = String(this.settings.leadIn);
      leadIn.addEventListener("change", () => {
        const seconds = int(leadIn.value, 5);
        this.settings.leadIn = LEAD_IN_CHOICES.includes(seconds) ? seconds : 5;
        this.config.leadInMs = this.settings.leadIn * 1000;
        saveSettings(this.settings);
      });
    }
    if (autoAdvance) {
      autoAdvance.checked = this.settings.autoAdvance;
      autoAdvance.addEventListener("change", () => {
        this.settings.autoAdvance = autoAdvance.checked;
        saveSettings(this.settings);
        if (!autoAdvance.checked) {
          this.cancelAdvance();
        }
      });
    }
  }

  bindControls() {
    const { toggle, reset, confirmYes, confirmNo, count, undo, stay } = this.el;
    toggle?.addEventListener("click", () => this.toggle());
    reset?.addEventListener("click", () => this.askReset());
    confirmYes?.addEventListener("click", () => this.reset());
    confirmNo?.addEventListener("click", () => this.closeConfirm());
    count?.addEventListener("click", () => this.tap());
    undo?.addEventListener("click", () => {
      this.timer.undo();
      this.done = this.timer.state.phase === "done";
      this.changed();
    });
    stay?.addEventListener("click", () => this.cancelAdvance());
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
    // The hints describe keys, so they show only where there is a keyboard.
    if (window.matchMedia("(hover: hover) and (pointer: fine)").matches) {
      for (const hint of document.querySelectorAll("[data-guide-keyboard-hint]")) {
        hint.hidden = false;
      }
    }
  }

  bindPage() {
    for (const form of document.querySelectorAll("[data-guide-form], form.skip-for-warning")) {
      form.addEventListener("submit", (event) => {
        this.leaving = true;
        // Only Done records the stopwatch's time; a Skip records none.
        if (!event.submitter || event.submitter.value === "done") {
          this.fillSeconds();
        }
        session.remove(this.stateKey);
        const last = this.root.closest("[data-guide]");
        if (last && last.dataset.stepNumber === last.dataset.stepTotal) {
          session.remove(RUN_KEY); // The finish page ends the session.
        }
      });
    }
    window.addEventListener("beforeunload", (event) => {
      if (this.wouldLose() && !this.leaving) {
        event.preventDefault();
        event.returnValue = ""; // Older browsers ask only with this.
      }
    });
    // A later tap unlocks audio on a page that auto-advance opened.
    const unlock = () => this.sound.unlock();
    document.addEventListener("pointerdown", unlock, { once: true });
    document.addEventListener("keydown", unlock, { once: true });
  }

  // ----- actions ------------------------------------------------------------

  beginRun() {
    if (!this.isThisRun(session.get(RUN_KEY))) {
      session.set(RUN_KEY, { routine: this.routinePath, run: this.runToken, advancing: false });
    }
    this.screenLock.acquire();
  }

  toggle() {
    if (this.done && this.mode !== "duration") {
      return;
    }
    this.sound.unlock();
    this.beginRun();
    if (this.timer.state.running) {
      this.timer.pause(Date.now());
      this.stopTicking();
    } else {
      this.play();
    }
    this.changed();
  }

  play() {
    this.timer.start(Date.now());
    this.startTicking();
    this.changed();
  }

  tap() {
    if (this.done) {
      return;
    }
    this.sound.unlock();
    this.beginRun();
    this.timer.tap(Date.now());
    this.changed();
  }

  askReset() {
    this.el.confirm.hidden = false;
    this.el.reset.hidden = true;
    this.el.confirmNo.focus();
  }

  closeConfirm() {
    this.el.confirm.hidden = true;
    this.el.reset.hidden = false;
    this.el.reset.focus();
  }

  reset() {
    this.stopTicking();
    this.cancelAdvance();
    this.timer.state = this.timer.initial();
    this.done = false;
    this.el.saved.hidden = true;
    session.remove(this.stateKey);
    this.closeConfirm();
    this.io.announce(gettext("Timer reset."));
    this.render();
  }

  startTicking() {
    if (this.interval === null) {
      this.interval = window.setInterval(() => this.tick(), TICK_MS);
    }
  }

  stopTicking() {
    if (this.interval !== null && !this.advanceAt) {
      window.clearInterval(this.interval);
      this.interval = null;
    }
  }

  tick() {
    const now = Date.now();
    if (this.timer.state.running) {
      this.timer.tick(now);
    }
    if (this.advanceAt && now >= this.advanceAt) {
      this.advance();
      return;
    }
    if (!this.timer.state.running && !this.advanceAt) {
      this.stopTicking();
    }
    this.changed();
  }

  // ----- the end of the step ------------------------------------------------

  finish() {
    if (this.restoring) {
      this.ranOut = true; // The time ran out while away: see restore().
      return;
    }
    this.done = true;
    const next = this.nextName
      ? interpolate(gettext("Step done, next: %(name)s"), { name: this.nextName }, true)
      : gettext("Step done. Routine finished");
    this.io.announce(gettext("Exercise done."));
    this.io.say(next);
    this.markDone();
    if (this.settings.autoAdvance && this.nextButton) {
      this.advanceAt = Date.now() + ADVANCE_MS;
      this.startTicking();
    }
    this.changed();
    this.nextButton?.focus({ preventScroll: true });
  }

  cancelAdvance() {
    this.advanceAt = 0;
    if (!this.timer.state.running) {
      this.stopTicking();
    }
    this.render();
  }

  advance() {
    this.advanceAt = 0;
    this.stopTicking();
    // Where the advance is headed: only that step of this run starts by itself.
    session.set(RUN_KEY, {
      routine: this.routinePath,
      run: this.runToken,
      advancing: { run: this.runToken, step: this.stepNumber + 1 },
    });
    this.leaving = true;
    if (this.form?.requestSubmit) {
      this.form.requestSubmit(this.nextButton);
    } else {
      this.nextButton.click();
    }
  }

  fillSeconds() {
    if (this.secondsField && this.mode === "duration" && this.timer.started()) {
      this.secondsField.value = String(this.timer.seconds(Date.now()));
    }
  }

  // Records the outcome as the Done button would, without leaving the page.
  async markDone() {
    if (!this.form || this.saving || this.restoring) {
      return;
    }
    this.saving = true;
    this.fillSeconds();
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
      saved.textContent = gettext("Saved: this step is marked done.");
      saved.dataset.state = "saved";
    } catch {
      const label = this.nextButton?.textContent.trim() || gettext("Done");
      saved.textContent = interpolate(
        gettext("Could not save. Press “%(label)s” to record this step."),
        { label },
        true,
      );
      saved.dataset.state = "failed";
    } finally {
      saved.hidden = false;
      this.saving = false;
    }
  }

  // ----- state kept in the tab ------------------------------------------------

  // A reload or a visit to another step finds the timer where it was (see
  // restore()), and a step done is saved already: leaving loses something
  // only when the tab refused to keep a step under way and not yet done.
  wouldLose() {
    const underWay = JSON.stringify(this.timer.state) !== JSON.stringify(this.timer.initial());
    return this.kept === false && underWay && !this.done;
  }

  changed() {
    if (!this.leaving) {
      this.kept = session.set(this.stateKey, {
        mode: this.mode,
        done: this.done,
        state: this.timer.state,
        savedAt: Date.now(),
      });
    }
    this.render();
  }

  restore() {
    const kept = session.get(this.stateKey);
    if (!kept) {
      return;
    }
    const age = Date.now() - (kept.savedAt || 0);
    if (kept.mode !== this.mode || !kept.state || !(age >= 0 && age < KEEP_MS)) {
      session.remove(this.stateKey); // Another kind of step, or too old.
      return;
    }
    this.timer.state = { ...this.timer.initial(), ...kept.state };
    this.done = Boolean(kept.done);
    if (this.timer.state.running) {
      // A reload or a locked phone: the time went on, so catch up, quietly
      // and without saving anything.
      const io = { ...this.io };
      Object.assign(this.io, { announce() {}, say() {}, play() {} });
      this.restoring = true;
      try {
        this.timer.tick(Date.now());
      } finally {
        this.restoring = false;
        Object.assign(this.io, io);
      }
      if (this.ranOut) {
        // The step ended while away: nothing is marked and nothing moves on;
        // the step starts fresh, to be done again or left with Done/Skip.
        this.ranOut = false;
        this.timer.state = this.timer.initial();
        this.done = false;
        session.remove(this.stateKey);
        this.io.announce(gettext("The timer ran out while you were away. Press Start to begin again."));
        return;
      }
    }
    this.io.announce(this.done ? gettext("Exercise done.") : gettext("Timer restored where you left it."));
  }

  // ----- drawing -------------------------------------------------------------

  render() {
    const now = Date.now();
    const { state } = this.timer;
    this.root.classList.toggle("is-running", state.running);
    this.root.classList.toggle("is-done", this.done);
    this.root.dataset.phase = this.done && this.mode !== "duration" ? "done" : state.phase;
    if (this.el.side) {
      this.el.side.textContent = state.side === "left" ? gettext("Now: left side") : gettext("Now: right side");
    }
    if (this.el.drawing && this.config.eachSide) {
      this.el.drawing.classList.toggle("is-mirrored", state.side === "left");
      this.el.drawingSide.textContent =
        state.side === "left" ? gettext("Left side shown") : gettext("Right side shown");
    }
    this.timer.render(this.el, now);
    this.renderToggle();
    this.renderCountdown(now);
    this.renderNext(now);
  }

  renderToggle() {
    const { toggle } = this.el;
    if (!toggle) {
      return;
    }
    const { running } = this.timer.state;
    let label = this.timer.started() && !this.done ? gettext("Resume") : gettext("Start");
    if (running) {
      label = this.mode === "duration" ? gettext("Stop") : gettext("Pause");
    } else if (this.mode === "duration" && this.timer.started()) {
      label = gettext("Resume");
    }
    toggle.textContent = label;
    toggle.disabled = this.done && this.mode !== "duration";
    // Idle, the button keeps the template's look (an outline beside the
    // counter's tap button, never both looks at once); running, it is amber.
    this.toggleLook ??= toggle.classList.contains("btn-outline-primary")
      ? "btn-outline-primary"
      : "btn-primary";
    toggle.classList.toggle(this.toggleLook, !running);
    toggle.classList.toggle("btn-warning", running);
  }

  // The lead-in's own face, in place of the clock or the count: 3 2 1, the
  // second now lit, so it is never taken for a hold (player.css).
  renderCountdown(now) {
    const { state } = this.timer;
    const leadIn = state.phase === "leadin";
    this.root.classList.toggle("is-leadin", leadIn);
    if (!leadIn) {
      return;
    }
    const left = Math.ceil((state.running ? state.endsAt - now : state.remainingMs) / 1000);
    for (const number of this.root.querySelectorAll("[data-player-countdown] [data-count]")) {
      const count = int(number.dataset.count);
      number.classList.toggle("is-now", count === left);
      number.classList.toggle("is-past", count > left);
    }
  }

  renderNext(now) {
    const { next, stay } = this.el;
    if (!next) {
      return;
    }
    const name = this.nextName;
    let text = "";
    if (this.advanceAt) {
      const seconds = Math.max(0, Math.ceil((this.advanceAt - now) / 1000));
      text = name
        ? interpolate(gettext("Next up: %(name)s, in %(seconds)s s"), { name, seconds }, true)
        : interpolate(gettext("Next up: the finish, in %(seconds)s s"), { seconds }, true);
    } else if (this.timer.lastRest() || (this.done && this.mode !== "duration")) {
      text = name ? interpolate(gettext("Next up: %(name)s"), { name }, true) : gettext("Next up: the finish");
    }
    if (next.textContent !== text) {
      next.textContent = text;
    }
    next.hidden = !text;
    if (stay) {
      stay.hidden = !this.advanceAt;
    }
  }
}

// A step the person's screening skips for safety has no player. Reached by a
// run going on by itself, it says why and goes on after the same notice as a
// finished step: a person on the mat need not get up (issue 27).
class SkippedStep {
  constructor(panel) {
    this.panel = panel;
    this.settings = loadSettings();
    const guide = panel.closest("[data-guide]");
    this.runToken = guide?.dataset.run || "";
    this.stepNumber = int(guide?.dataset.stepNumber);
    this.last = this.stepNumber === int(guide?.dataset.stepTotal);
    this.routinePath = window.location.pathname.replace(/[^/]+\/$/, "");
    this.nextButton = panel.querySelector("[data-guide-next]");
    this.form = this.nextButton?.form;
    this.title = document.querySelector("h1")?.textContent.trim() || gettext("This step");
    this.nextNumber = this.stepNumber + 1;
    this.advanceAt = 0;
    this.interval = null;
  }

  start() {
    const run = session.get(RUN_KEY);
    const target = run?.advancing;
    if (!target) {
      return;
    }
    session.set(RUN_KEY, { ...run, advancing: false });
    const here =
      run.routine === this.routinePath &&
      run.run === this.runToken &&
      target.run === this.runToken &&
      target.step === this.stepNumber;
    if (!here || !this.settings.autoAdvance || !this.form) {
      return;
    }
    new ScreenLock().acquire(); // The whole session keeps the screen on.
    this.build();
    const said = this.last
      ? gettext("%(title)s skipped for safety: your health screening advises against it. Next: the finish")
      : gettext("%(title)s skipped for safety: your health screening advises against it. Next: step %(number)s");
    new Speaker(this.settings).say(interpolate(said, { title: this.title, number: this.nextNumber }, true));
    this.advanceAt = Date.now() + ADVANCE_MS;
    this.interval = window.setInterval(() => this.tick(), TICK_MS);
    this.tick();
  }

  build() {
    const status = document.createElement("p");
    status.className = "fw-semibold mb-1";
    status.setAttribute("role", "status");
    this.countdown = document.createElement("p");
    this.countdown.className = "fs-5 mb-2";
    this.countdown.dataset.guideAdvance = "";
    this.stay = document.createElement("button");
    this.stay.type = "button";
    this.stay.className = "btn btn-outline-secondary mb-3";
    this.stay.textContent = gettext("Stay on this step");
    this.stay.addEventListener("click", () => this.cancel());
    this.form.before(status, this.countdown, this.stay);
    // Filled once in the page, so that a screen reader announces it.
    window.setTimeout(() => {
      status.textContent = this.last
        ? gettext("Skipped for safety: your health screening advises against this exercise. Going on to the finish.")
        : interpolate(
            gettext(
              "Skipped for safety: your health screening advises against this exercise. Going on to step %(number)s.",
            ),
            { number: this.nextNumber },
            true,
          );
    }, 0);
  }

  tick() {
    const left = this.advanceAt - Date.now();
    if (left <= 0) {
      this.advance();
      return;
    }
    const seconds = Math.ceil(left / 1000);
    const text = this.last
      ? interpolate(gettext("Going on to the finish in %(seconds)s s"), { seconds }, true)
      : interpolate(gettext("Going on to step %(number)s in %(seconds)s s"), { number: this.nextNumber, seconds }, true);
    if (this.countdown.textContent !== text) {
      this.countdown.textContent = text;
    }
  }

  cancel() {
    window.clearInterval(this.interval);
    this.advanceAt = 0;
    this.countdown.hidden = true;
    this.stay.hidden = true;
    this.nextButton.focus();
  }

  advance() {
    window.clearInterval(this.interval);
    if (this.last) {
      session.remove(RUN_KEY); // The finish page ends the session.
    } else {
      session.set(RUN_KEY, {
        routine: this.routinePath,
        run: this.runToken,
        advancing: { run: this.runToken, step: this.stepNumber + 1 },
      });
    }
    if (this.form.requestSubmit) {
      this.form.requestSubmit(this.nextButton);
    } else {
      this.nextButton.click();
    }
  }
}

for (const root of document.querySelectorAll("[data-player]")) {
  new Player(root).start();
}
const skipped = document.querySelector(".skipped-for-safety-panel");
if (skipped && !document.querySelector("[data-player]")) {
  new SkippedStep(skipped).start();
}
