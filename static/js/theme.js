// The colour theme: Bootstrap's data-bs-theme on <html>, light or dark. A
// person's choice is kept in localStorage ("backcare.theme": "light" or
// "dark"; absent means auto, the system's prefers-color-scheme). A classic
// script in <head>, not a module, so that it runs before the first paint and
// a dark page never flashes white. Without it site.css follows the system
// alone, and the switch (templates/_partials/theme_switch.html) stays hidden:
// it could do nothing.
(() => {
  const KEY = "backcare.theme";
  const root = document.documentElement;
  const system = window.matchMedia("(prefers-color-scheme: dark)");

  function stored() {
    try {
      const value = localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : "auto";
    } catch {
      return "auto"; // Storage refused (a private window, a policy).
    }
  }

  function store(choice) {
    try {
      if (choice === "auto") {
        localStorage.removeItem(KEY);
      } else {
        localStorage.setItem(KEY, choice);
      }
    } catch {
      // Not remembered, but applied to this page.
    }
  }

  function showPressed(choice) {
    for (const button of document.querySelectorAll("[data-theme-choice]")) {
      button.setAttribute("aria-pressed", String(button.dataset.themeChoice === choice));
    }
  }

  function apply(choice) {
    const theme = choice === "auto" ? (system.matches ? "dark" : "light") : choice;
    root.setAttribute("data-bs-theme", theme);
    showPressed(choice);
  }

  apply(stored());

  system.addEventListener("change", () => {
    if (stored() === "auto") {
      apply("auto");
    }
  });

  // Paper is white: a page prints in the light theme whatever the screen's.
  window.addEventListener("beforeprint", () => root.setAttribute("data-bs-theme", "light"));
  window.addEventListener("afterprint", () => apply(stored()));

  // The choice made in another tab.
  window.addEventListener("storage", (event) => {
    if (event.key === KEY || event.key === null) {
      apply(stored());
    }
  });

  function wire() {
    for (const group of document.querySelectorAll("[data-theme-switch]")) {
      group.addEventListener("click", (event) => {
        const button = event.target.closest("[data-theme-choice]");
        if (button) {
          store(button.dataset.themeChoice);
          apply(button.dataset.themeChoice);
        }
      });
      group.hidden = false;
    }
    showPressed(stored());
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
