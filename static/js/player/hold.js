// The hold timer: a lead-in to get into position, then holds and rests,
// right side then left where the step has sides. Phases: ready, leadin,
// hold, rest, done. Every time is a Date.now() value, so a throttled tab,
// a locked phone or a reload catches up instead of drifting.
import { allDoneText, countDown, formatClock, plural, sideText } from "./format.js";

const ANNOUNCE_EVERY_S = 10;
const PHASE_WORDS = {
  ready: "Ready",
  leadin: "Get into position",
  hold: "Hold",
  rest: "Rest",
  done: "Done",
};

export class HoldTimer {
  constructor(config, io) {
    this.config = config;
    this.io = io;
    this.state = this.initial();
  }

  initial() {
    return {
      running: false,
      phase: "ready",
      side: "right",
      repetition: 1,
      endsAt: 0,
      remainingMs: 0,
      lastAnnouncedAt: 0,
      counted: 4,
      length: this.config.holdMs,
    };
  }

  started() {
    return this.state.phase !== "ready";
  }

  repetitionText() {
    const { repetition } = this.state;
    return `Repetition ${repetition} of ${this.config.repetitions}${sideText(this.config, this.state)}`;
  }

  start(now) {
    const state = this.state;
    state.running = true;
    if (state.phase === "ready") {
      if (this.config.leadInMs > 0) {
        this.enter("leadin", now, this.config.leadInMs);
        this.io.announce(`Get into position. The first hold starts in ${plural(this.config.leadInMs / 1000, "second")}.`);
        this.io.say("Get into position");
      } else {
        this.beginHold(now, true);
      }
    } else {
      state.endsAt = now + state.remainingMs;
      this.io.announce(state.phase === "hold" ? "Hold. Timer running again." : "Timer running again.");
    }
  }

  pause(now) {
    this.state.running = false;
    this.state.remainingMs = Math.max(0, this.state.endsAt - now);
    this.io.announce("Paused.");
  }

  enter(phase, at, length) {
    Object.assign(this.state, { phase, endsAt: at + length, length, counted: 4 });
  }

  beginHold(at, first = false) {
    this.enter("hold", at, this.config.holdMs);
    this.state.lastAnnouncedAt = 0;
    this.io.play("holdStart");
    const seconds = plural(this.config.holdMs / 1000, "second");
    this.io.announce(
      first ? `Hold for ${seconds}. ${this.repetitionText()}.` : `Hold. ${this.repetitionText()}.`,
    );
    this.io.say("Hold");
  }

  tick(now) {
    const state = this.state;
    // A loop, as a throttled tab may wake up several phases later.
    while (state.running && now >= state.endsAt) {
      this.endPhase(state.endsAt);
    }
    if (!state.running) {
      return;
    }
    if (state.phase === "leadin") {
      countDown(state, now, this.io);
    } else if (state.phase === "hold" && this.config.holdMs > ANNOUNCE_EVERY_S * 1000) {
      const held = Math.floor((this.config.holdMs - (state.endsAt - now)) / 1000);
      const mark = held - (held % ANNOUNCE_EVERY_S);
      if (mark > state.lastAnnouncedAt) {
        state.lastAnnouncedAt = mark;
        const left = Math.ceil((state.endsAt - now) / 1000);
        this.io.announce(`${plural(left, "second")} left.`);
      }
    }
  }

  endPhase(at) {
    const state = this.state;
    if (state.phase === "leadin") {
      this.beginHold(at, true);
      return;
    }
    if (state.phase === "rest") {
      this.beginHold(at);
      return;
    }
    this.io.play("holdEnd");
    if (state.repetition < this.config.repetitions) {
      state.repetition += 1;
      this.enter("rest", at, this.config.restMs);
      this.io.announce(`Relax. Get ready for repetition ${state.repetition} of ${this.config.repetitions}.`);
      this.io.say("Relax");
    } else if (this.config.eachSide && state.side === "right") {
      state.side = "left";
      state.repetition = 1;
      this.enter("rest", at, this.config.switchMs);
      this.io.announce("Right side done. Switch to the left side.");
      this.io.say("Switch to the left side");
    } else {
      state.running = false;
      state.phase = "done";
      this.io.finish();
    }
  }

  // The rest before the step's last hold: the moment to say what comes next.
  lastRest() {
    const { phase, repetition, side } = this.state;
    const lastSide = !this.config.eachSide || side === "left";
    return phase === "rest" && repetition === this.config.repetitions && lastSide;
  }

  render(el, now) {
    const state = this.state;
    let left = state.running ? Math.max(0, state.endsAt - now) : state.remainingMs;
    if (state.phase === "ready") {
      left = this.config.holdMs;
    } else if (state.phase === "done") {
      left = 0;
    }
    let word = PHASE_WORDS[state.phase];
    if (!state.running && ["leadin", "hold", "rest"].includes(state.phase)) {
      word = `Paused: ${word.toLowerCase()}`;
    }
    el.phase.textContent = word;
    el.clock.textContent = formatClock(Math.ceil(left / 1000));
    const total = state.phase === "ready" || state.phase === "done" ? this.config.holdMs : state.length;
    el.bar.max = total || 1;
    el.bar.value = state.phase === "done" ? el.bar.max : Math.max(0, total - left);
    el.reps.textContent = state.phase === "done"
      ? allDoneText(this.config)
      : `Repetition ${state.repetition} of ${this.config.repetitions}`;
  }
}
