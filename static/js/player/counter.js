// The repetition counter: a tap per repetition, or, after Start, a paced
// count that taps for the person (a lead-in, then one repetition every
// pace), right side then left where the step has sides. Phases: ready,
// leadin, pace, rest (switching sides), done.
import { gettext, interpolate, ngettext } from "../i18n.js";
import { allDoneText, countDown, secondsText } from "./format.js";

// "Repetition 3 of 10 counted, right side.": one whole sentence per side.
function countedText(config, state) {
  let text = gettext("Repetition %(count)s of %(total)s counted.");
  if (config.eachSide) {
    text = state.side === "left"
      ? gettext("Repetition %(count)s of %(total)s counted, left side.")
      : gettext("Repetition %(count)s of %(total)s counted, right side.");
  }
  return interpolate(text, { count: state.count, total: config.repetitions }, true);
}

// "Back to 2 of 3, right side." after an undo.
function backToText(config, state) {
  let text = gettext("Back to %(count)s of %(total)s.");
  if (config.eachSide) {
    text = state.side === "left"
      ? gettext("Back to %(count)s of %(total)s, left side.")
      : gettext("Back to %(count)s of %(total)s, right side.");
  }
  return interpolate(text, { count: state.count, total: config.repetitions }, true);
}

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
        interpolate(
          gettext("Get into position. Counting starts in %(lead_in)s, one repetition every %(pace)s."),
          {
            lead_in: secondsText(this.config.leadInMs / 1000),
            pace: secondsText(this.config.paceMs / 1000),
          },
          true,
        ),
      );
      this.io.say(gettext("Get into position"));
    } else {
      state.endsAt = now + state.remainingMs;
      this.io.announce(gettext("Counting again."));
    }
  }

  pause(now) {
    this.state.running = false;
    this.state.remainingMs = Math.max(0, this.state.endsAt - now);
    this.io.announce(gettext("Paused."));
  }

  tick(now) {
    const state = this.state;
    while (state.running && now >= state.endsAt) {
      const at = state.endsAt;
      if (state.phase === "leadin" || state.phase === "rest") {
        state.phase = "pace";
        state.endsAt = at + this.config.paceMs;
        this.io.play("holdStart");
        this.io.say(gettext("Go"));
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
      this.io.announce(countedText(this.config, state));
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
      this.io.announce(gettext("Right side done. Switch to the left side."));
      this.io.say(gettext("Switch to the left side"));
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
    this.io.announce(backToText(this.config, state));
  }

  lastRest() {
    return false;
  }

  render(el) {
    const state = this.state;
    el.countNumber.textContent = String(state.count);
    el.reps.textContent = state.phase === "done"
      ? allDoneText(this.config)
      : interpolate(
          ngettext(
            "%(count)s of %(total)s repetition",
            "%(count)s of %(total)s repetitions",
            this.config.repetitions,
          ),
          { count: state.count, total: this.config.repetitions },
          true,
        );
    el.count.disabled = state.phase === "done";
    el.undo.disabled = state.count === 0 && state.side === "right";
    const words = {
      ready: gettext("Ready"),
      leadin: gettext("Get into position"),
      pace: gettext("Counting"),
      rest: gettext("Switch sides"),
      done: gettext("Done"),
    };
    el.phase.textContent = words[state.phase];
  }
}
