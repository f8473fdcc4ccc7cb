// Safe access to localStorage and sessionStorage: private mode or disabled
// storage falls back to defaults instead of breaking the player.

function store(kind) {
  return {
    get(key) {
      try {
        const text = window[kind].getItem(key);
        return text === null ? null : JSON.parse(text);
      } catch {
        return null;
      }
    },
    // Whether the value was kept: a full or disabled store refuses it.
    set(key, value) {
      try {
        window[kind].setItem(key, JSON.stringify(value));
        return true;
      } catch {
        return false; // The value then lasts for this page only.
      }
    },
    remove(key) {
      try {
        window[kind].removeItem(key);
      } catch {
        // Nothing to remove.
      }
    },
  };
}

// Settings outlive the tab; a run's state lives as long as the tab does.
export const local = store("localStorage");
export const session = store("sessionStorage");
