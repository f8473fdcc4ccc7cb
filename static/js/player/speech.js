// Spoken prompts, on wherever the browser can speak the page's language;
// the one mute control silences them with the tones. The language is the
// page's (<html lang>), spoken by a voice of that language: on a Chinese page
// a zh-CN voice (else any Chinese one), never an English voice reading
// Chinese. Where the device has no voice for it, nothing is said (the sounds
// still play) and the settings panel says so (settings.js).
import { pageLanguage } from "../i18n.js";

// <html lang> to the tag speechSynthesis voices carry.
const SPEECH_TAGS = { "zh-hans": "zh-CN", "zh-hant": "zh-TW", zh: "zh-CN" };

function normal(tag) {
  return String(tag || "").replace(/_/g, "-").toLowerCase();
}

export function speechTag(lang = pageLanguage()) {
  return SPEECH_TAGS[normal(lang)] || lang || "en";
}

// The best voice for ``tag`` among ``voices``: the same tag, else the same
// language (zh-CN, then any zh); null without one.
export function pickVoice(voices, tag) {
  const wanted = normal(tag);
  const language = wanted.split("-")[0];
  return (
    voices.find((voice) => normal(voice.lang) === wanted) ||
    voices.find((voice) => normal(voice.lang).split("-")[0] === language) ||
    null
  );
}

export class Speaker {
  constructor(settings) {
    this.settings = settings;
    this.supported = "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;
    this.tag = speechTag();
    this.voice = null;
    this.listeners = [];
    if (this.supported) {
      this.findVoice();
      // Most browsers list their voices a moment after the page loads.
      window.speechSynthesis.addEventListener?.("voiceschanged", () => {
        this.findVoice();
        for (const listener of this.listeners) {
          listener();
        }
      });
    }
  }

  findVoice() {
    try {
      this.voice = pickVoice(window.speechSynthesis.getVoices?.() || [], this.tag);
    } catch {
      this.voice = null;
    }
  }

  // Whether prompts can be spoken in the page's language. English is spoken
  // by the browser's own default voice even where it lists none; any other
  // language only by a voice of its own.
  canSpeak() {
    if (!this.supported) {
      return false;
    }
    return Boolean(this.voice) || normal(this.tag).split("-")[0] === "en";
  }

  // ``listener()`` when the voices the device offers change.
  onVoicesChanged(listener) {
    this.listeners.push(listener);
  }

  stop() {
    if (this.supported) {
      window.speechSynthesis.cancel();
    }
  }

  say(text) {
    if (this.settings.muted || !this.canSpeak()) {
      return;
    }
    try {
      window.speechSynthesis.cancel();
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = this.voice?.lang || this.tag;
      try {
        utterance.voice = this.voice;
      } catch {
        // Not a voice this browser made: its lang above chooses one.
      }
      window.speechSynthesis.speak(utterance);
    } catch {
      // Speech is optional.
    }
  }
}
