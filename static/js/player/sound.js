// Short tones through Web Audio, one pattern per event so each is known by
// ear: a rising pair starts a hold, a falling pair ends it, a high click
// counts a repetition, a plain beep counts down. The AudioContext needs a
// user gesture (or an earlier one on this site) before it plays.

const PATTERNS = {
  countdown: [[880, 0.15]],
  holdStart: [[784, 0.12], [1175, 0.2]],
  holdEnd: [[659, 0.15], [440, 0.35]],
  tick: [[1568, 0.05]],
  target: [[880, 0.15], [880, 0.15], [1319, 0.3]],
};

export class Sound {
  constructor(settings) {
    this.settings = settings;
    this.context = null;
  }

  unlock() {
    if (!this.context) {
      const AudioContext = window.AudioContext || window.webkitAudioContext;
      if (!AudioContext) {
        return;
      }
      try {
        this.context = new AudioContext();
      } catch {
        this.context = null;
        return;
      }
    }
    if (this.context.state === "suspended") {
      this.context.resume().catch(() => {});
    }
  }

  play(name) {
    if (this.settings.muted || !this.context) {
      return;
    }
    try {
      let at = this.context.currentTime;
      for (const [frequency, length] of PATTERNS[name]) {
        const oscillator = this.context.createOscillator();
        const gain = this.context.createGain();
        oscillator.type = "sine";
        oscillator.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
        oscillator.connect(gain).connect(this.context.destination);
        oscillator.start(at);
        oscillator.stop(at + length + 0.05);
        at += length + 0.08;
      }
    } catch {
      // A sound is a nicety; never let it stop the timer.
    }
  }
}
