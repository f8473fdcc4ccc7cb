// Words and clocks the timers share.
import { interpolate, ngettext } from "../i18n.js";

export function formatClock(totalSeconds) {
  const seconds = Math.max(0, totalSeconds);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  if (hours) {
    return `${hours}:${String(minutes).padStart(2, "0")}:${rest}`;
  }
  return `${minutes}:${rest}`;
}

// "5 seconds", in the page's language.
export function secondsText(count) {
  return interpolate(ngettext("%(count)s second", "%(count)s seconds", count), { count }, true);
}

export function allDoneText(config) {
  const count = config.repetitions;
  const text = config.eachSide
    ? ngettext(
        "All %(count)s repetition done on both sides",
        "All %(count)s repetitions done on both sides",
        count,
      )
    : ngettext("All %(count)s repetition done", "All %(count)s repetitions done", count);
  return interpolate(text, { count }, true);
}

// The last seconds of a lead-in or a switch are counted down aloud: 3, 2, 1.
export function countDown(state, now, io) {
  const left = Math.ceil((state.endsAt - now) / 1000);
  if (left >= 1 && left <= 3 && left < (state.counted ?? 4)) {
    state.counted = left;
    io.play("countdown");
    io.say(String(left));
  }
}
