// The hold timer: a lead-in to get into position, then holds and rests,
// right side then left where the step has sides. Phases: ready, leadin,
// hold, rest, done. Every time is a Date.now() value, so a throttled tab,
// a locked phone or a reload catches up instead of drifting.
import { gettext, interpolate, ngettext } from "../i18n.js";
import { allDoneText, countDown, formatClock, secondsText } from "./format.js";

const ANNOUNCE_EVERY_S = 10;
// Each phase's word, and what it reads while paused ("Paused: hold").
function phaseWord(phase, paused) {
  if (paused) {
    const words = {
      leadin: gettext("Paused: get into position"),
      hold: gettext("Paused: hold"),
      rest: gettext("Paused: rest"),
    };
    return words[phase];
  }
  const words = {
    ready: gettext("Ready"),
    leadin: gettext("Get into position"),
    hold: gettext("Hold"),
    rest: gettext("Rest"),
    done: gettext("Done"),
  };
  return words[phase];
}

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
    const { repetition, side } = this.state;
    let text = gettext("Repetition %(count)s of %(total)s");
    if (this.config.eachSide) {
      text = side === "left"
        ? gettext("Repetition %(count)s of %(total)s, left side")
        : gettext("Repetition %(count)s of %(total)s, right side");
    }
    return interpolate(text, { count: repetition, total: this.config.repetitions }, true);
  }

  start(now) {
    const state = this.state;
    state.running = true;
    if (state.phase === "ready") {
      if (this.config.leadInMs > 0) {
        this.enter("leadin", now, this.config.leadInMs);
        this.io.announce(
          interpolate(
            gettext("Get into position. The first hold starts in %(lead_in)s."),
            { lead_in: secondsText(this.config.leadInMs / 1000) },
            true,
          ),
        );
        this.io.say(gettext("Get into position"));
      } else {
        this.beginHold(now, true);
      }
    } else {
      state.endsAt = now + state.remainingMs;
      this.io.announce(
        state.phase === "hold" ? gettext("Hold. Timer running again.") : gettext("Timer running again."),
      );
    }
  }

  pause(now) {
    this.state.running = false;
    this.state.remainingMs = Math.max(0, this.state.endsAt - now);
    this.io.announce(gettext("Paused."));
  }

  enter(phase, at, length) {
    Object.assign(this.state, { phase, endsAt: at + length, length, counted: 4 });
  }

  beginHold(at, first = false) {
    this.enter("hold", at, this.config.holdMs);
    this.state.lastAnnouncedAt = 0;
    this.io.play("holdStart");
    const values = { seconds: secondsText(this.config.holdMs / 1000), repetition: this.repetitionText() };
    this.io.announce(
      interpolate(
        first ? gettext("Hold for %(seconds)s. %(repetition)s.") : gettext("Hold. %(repetition)s."),
        values,
        true,
      ),
    );
    this.io.say(gettext("Hold"));
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
        this.io.announce(
          interpolate(ngettext("%(count)s second left.", "%(count)s seconds left.", left), { count: left }, true),
        );
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
      this.io.announce(
        interpolate(
          gettext("Relax. Get ready for repetition %(count)s of %(total)s."),
          { count: state.repetition, total: this.config.repetitions },
          true,
        ),
      );
      this.io.say(gettext("Relax"));
    } else if (this.config.eachSide && state.side === "right") {
      state.side = "left";
      state.repetition = 1;
      this.enter("rest", at, this.config.switchMs);
      this.io.announce(gettext("Right side done. Switch to the left side."));
      this.io.say(gettext("Switch to the left side"));
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
    const paused = !state.running && ["leadin", "hold", "rest"].includes(state.phase);
    el.phase.textContent = phaseWord(state.phase, paused);
    el.clock.textContent = formatClock(Math.ceil(left / 1000));
    const total = state.phase === "ready" || state.phase === "done" ? this.config.holdMs : state.length;
    el.bar.max = total || 1;
    el.bar.value = state.phase === "done" ? el.bar.max : Math.max(0, total - left);
    el.reps.textContent = state.phase === "done"
      ? allDoneText(this.config)
      : interpolate(
          gettext("Repetition %(count)s of %(total)s"),
          { count: state.repetition, total: this.config.repetitions },
          true,
        );
  }
}
