// The header's menu on a phone, with Bootstrap's collapse classes (the header
// in templates/base.html). Without JavaScript the toggler is a link to the
// menu, shown by :target; here it becomes a button that opens and closes it.
// Bootstrap's own script would do the same at thirty times the weight.

const link = document.querySelector("[data-menu-toggle]");
const menu = link && document.getElementById(link.hash.slice(1));

if (menu) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = link.className;
  button.textContent = link.textContent;
  button.setAttribute("aria-controls", menu.id);
  menu.dataset.menuReady = "";

  const show = (open) => {
    menu.classList.toggle("show", open);
    button.setAttribute("aria-expanded", String(open));
  };

  show(location.hash === `#${menu.id}`);
  link.replaceWith(button);

  button.addEventListener("click", () => {
    show(button.getAttribute("aria-expanded") !== "true");
  });

  // Escape closes an open menu and gives focus back to its button, as
  // Bootstrap's dropdowns do; only on a phone, where the menu can close.
  document.addEventListener("keydown", (event) => {
    const open = button.getAttribute("aria-expanded") === "true";
    const inside = menu.contains(document.activeElement);
    if (event.key !== "Escape" || !open || button.offsetParent === null) return;
    if (inside || document.activeElement === button) {
      show(false);
      button.focus();
    }
  });
}
