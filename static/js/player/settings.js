// The person's player settings, remembered in localStorage.
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
