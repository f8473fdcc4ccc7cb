// The repetition counter: a tap per repetition, or, after Start, a paced
// count that taps for the person (a lead-in, then one repetition every
// pace), right side then left where the step has sides. Phases: ready,
// leadin, pace, rest (switching sides), done.
import { allDoneText, countDown, plural, sideText } from "./format.js";

export class Counter {
  constructor(config, io) {
    this.config = config;
    this.io = io;
    this.state = this.initial();
  }

  initial() {
    return { running: false, phase: "ready", side: "right", count: 0, endsAt: 0, remainingMs: 0, counted: 4 };
  }

  started() {
    return this.state.phase !== "ready";
  }

  start(now) {
    const state = this.state;
    state.running = true;
    if (state.phase === "ready") {
      state.phase = "leadin";
      state.endsAt = now + this.config.leadInMs;
      state.counted = 4;
      this.io.announce(
        `Get into position. Counting starts in ${plural(this.config.leadInMs / 1000, "second")}, one repetition every ${plural(this.config.paceMs / 1000, "second")}.`,
      );
      this.io.say("Get into position");
    } else {
      state.endsAt = now + state.remainingMs;
      this.io.announce("Counting again.");
    }
  }

  pause(now) {
    this.state.running = false;
    this.state.remainingMs = Math.max(0, this.state.endsAt - now);
    this.io.announce("Paused.");
  }

  tick(now) {
    const state = this.state;
    while (state.running && now >= state.endsAt) {
      const at = state.endsAt;
      if (state.phase === "leadin" || state.phase === "rest") {
        state.phase = "pace";
        state.endsAt = at + this.config.paceMs;
        this.io.play("holdStart");
        this.io.say("Go");
      } else {
        state.endsAt = at + this.config.paceMs;
        this.tap(at);
      }
    }
    if (state.running && state.phase === "leadin") {
      countDown(state, now, this.io);
    }
  }

  // One repetition, tapped by the person or by the pace.
  tap(at) {
    const state = this.state;
    if (state.phase === "done") {
      return;
    }
    const { repetitions, eachSide } = this.config;
    state.count += 1;
    this.io.play("tick");
    if (state.count < repetitions) {
      this.io.announce(`Repetition ${state.count} of ${repetitions} counted${sideText(this.config, state)}.`);
      if (state.running) {
        this.io.say(String(state.count));
      }
    } else if (eachSide && state.side === "right") {
      // The last repetition on the right ends that side, as its last hold does.
      this.io.play("holdEnd");
      state.side = "left";
      state.count = 0;
      if (state.running) {
        state.phase = "rest";
        state.endsAt = at + this.config.switchMs;
      }
      this.io.announce("Right side done. Switch to the left side.");
      this.io.say("Switch to the left side");
    } else {
      this.io.play("holdEnd");
      state.running = false;
      state.phase = "done";
      this.io.finish();
    }
  }

  // Takes back the latest tap, across the change of sides if need be.
  undo() {
    const state = this.state;
    if (state.count === 0) {
      if (!(this.config.eachSide && state.side === "left")) {
        return;
      }
      state.side = "right";
      state.count = this.config.repetitions;
    }
    state.count -= 1;
    if (state.phase === "done") {
      state.phase = "ready";
    }
    this.io.announce(`Back to ${state.count} of ${this.config.repetitions}${sideText(this.config, state)}.`);
  }

  lastRest() {
    return false;
  }

  render(el) {
    const state = this.state;
    el.countNumber.textContent = String(state.count);
    el.reps.textContent = state.phase === "done"
      ? allDoneText(this.config)
      : `${state.count} of ${this.config.repetitions} repetitions`;
    el.count.disabled = state.phase === "done";
    el.undo.disabled = state.count === 0 && state.side === "right";
    const words = { ready: "Ready", leadin: "Get into position", pace: "Counting", rest: "Switch sides", done: "Done" };
    el.phase.textContent = words[state.phase];
  }
}
