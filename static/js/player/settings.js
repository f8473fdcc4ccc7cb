// The person's player settings, remembered in localStorage.
import { gettext } from "../i18n.js";
import { local } from "./storage.js";

const KEY = "backcare.player.settings";
const DEFAULTS = { muted: false, leadIn: 5, autoAdvance: true };
export const LEAD_IN_CHOICES = [0, 3, 5, 10];

export function loadSettings() {
  const saved = local.get(KEY) || {};
  const settings = { ...DEFAULTS, ...saved };
  if (!LEAD_IN_CHOICES.includes(settings.leadIn)) {
    settings.leadIn = DEFAULTS.leadIn;
  }
  return settings;
}

export function saveSettings(settings) {
  local.set(KEY, settings);
}

// In the settings panel, a note when the device cannot speak the page's
// language (speech.js): the prompts stay silent, the sounds still play.
export function showVoiceNote(panel, speaker) {
  if (!panel) {
    return;
  }
  const note = document.createElement("p");
  note.className = "small text-body-secondary mt-2 mb-0 player-voice";
  note.dataset.playerVoice = "";
  panel.append(note);
  const update = () => {
    if (speaker.canSpeak()) {
      note.hidden = true;
      note.textContent = "";
      return;
    }
    note.textContent = speaker.supported
      ? gettext("Spoken prompts: there is no voice for this language on this device. The sounds still play.")
      : gettext("Spoken prompts: this browser cannot speak. The sounds still play.");
    note.hidden = false;
  };
  update();
  speaker.onVoicesChanged(update);
}
