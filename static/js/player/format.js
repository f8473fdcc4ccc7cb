// Words and clocks the timers share.

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

export function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export function sideText(config, state) {
  return config.eachSide ? `, ${state.side} side` : "";
}

export function allDoneText(config) {
  const text = `All ${plural(config.repetitions, "repetition")} done`;
  return config.eachSide ? `${text} on both sides` : text;
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
