// The stopwatch of a timed step: it runs past every target until the person
// stops it; each target sounds and is announced, the first marks the step
// done, and the time exercised is what the Done form records.
import { gettext, interpolate, ngettext } from "../i18n.js";
import { formatClock } from "./format.js";

export class Stopwatch {
  constructor(config, io) {
    this.config = config;
    this.io = io;
    this.state = this.initial();
  }

  initial() {
    return { running: false, phase: "ready", elapsedMs: 0, startedAt: 0, reached: [] };
  }

  targets() {
    const { durationMin, durationMax } = this.config;
    return [...new Set([durationMin, durationMax].filter(Boolean))];
  }

  started() {
    return this.elapsed(Date.now()) > 0 || this.state.running;
  }

  elapsed(now) {
    const { elapsedMs, running, startedAt } = this.state;
    return elapsedMs + (running ? now - startedAt : 0);
  }

  seconds(now) {
    return Math.floor(this.elapsed(now) / 1000);
  }

  start(now) {
    const state = this.state;
    this.io.announce(state.elapsedMs ? gettext("Stopwatch running again.") : gettext("Stopwatch started."));
    state.running = true;
    state.phase = "running";
    state.startedAt = now;
  }

  pause(now) {
    const state = this.state;
    state.elapsedMs += now - state.startedAt;
    state.running = false;
    state.phase = "paused";
    this.io.announce(
      interpolate(gettext("Stopped at %(time)s."), { time: formatClock(this.seconds(now)) }, true),
    );
  }

  tick(now) {
    const minutes = this.elapsed(now) / 60000;
    const targets = this.targets();
    const last = targets[targets.length - 1];
    for (const target of targets) {
      if (minutes >= target && !this.state.reached.includes(target)) {
        this.state.reached.push(target);
        this.io.play("target");
        const values = { target, last };
        if (target === last) {
          this.io.announce(
            interpolate(
              gettext("%(target)s-minute target reached. Exercise done; stop when you are ready."),
              values,
              true,
            ),
          );
        } else {
          this.io.announce(
            interpolate(
              gettext(
                "%(target)s-minute target reached. Exercise done; keep going to %(last)s minutes if you feel well.",
              ),
              values,
              true,
            ),
          );
        }
        this.io.say(
          interpolate(
            ngettext("%(target)s minute. Target reached", "%(target)s minutes. Target reached", target),
            values,
            true,
          ),
        );
        this.io.markDone();
      }
    }
  }

  lastRest() {
    return false;
  }

  render(el, now) {
    const state = this.state;
    const elapsed = this.elapsed(now);
    el.clock.textContent = formatClock(Math.floor(elapsed / 1000));
    const words = { ready: gettext("Ready"), running: gettext("Running"), paused: gettext("Stopped") };
    el.phase.textContent = words[state.phase];
    // The bar fills towards the next target, so each target is a full bar.
    const targets = this.targets();
    const reached = state.reached;
    const next = targets.find((target) => !reached.includes(target));
    const previous = reached.filter((target) => target < (next ?? Infinity));
    const from = previous.length ? Math.max(...previous) * 60 : 0;
    el.bar.max = next ? next * 60 - from : 1;
    el.bar.value = next ? Math.max(0, Math.floor(elapsed / 1000) - from) : 1;
    for (const item of el.targets) {
      const minutes = Number.parseInt(item.dataset.playerTarget, 10);
      const isReached = reached.includes(minutes);
      if (item.classList.contains("is-reached") !== isReached) {
        item.classList.toggle("is-reached", isReached);
        const text = isReached ? gettext("%(minutes)s-minute target reached") : gettext("%(minutes)s-minute target");
        item.textContent = interpolate(text, { minutes }, true);
      }
    }
  }
}
