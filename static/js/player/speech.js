// Spoken prompts, on wherever the browser can speak; the one mute control
// silences them with the tones.

export class Speaker {
  constructor(settings) {
    this.settings = settings;
    this.supported = "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;
  }

  stop() {
    if (this.supported) {
      window.speechSynthesis.cancel();
    }
  }

  say(text) {
    if (this.settings.muted || !this.supported) {
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
