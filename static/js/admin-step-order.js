// Up and down buttons for a routine's steps in admin. Each swaps the step's
// order number with its neighbour's and moves the row, so an editor reorders
// steps without typing numbers; the order inputs stay what the server saves.

const group = document.querySelector("#steps-group");

function rows() {
  return [...group.querySelectorAll("tbody tr.form-row:not(.empty-form)")];
}

function orderOf(row) {
  return row.querySelector('input[name$="-order"]');
}

function stepName(row) {
  const select = row.querySelector('select[name$="-exercise"]');
  const option = select?.selectedOptions[0];
  return option && option.value ? option.textContent.trim() : "this step";
}

function label(row) {
  const name = stepName(row);
  row.querySelector("[data-step-up]").setAttribute("aria-label", `Move ${name} up`);
  row.querySelector("[data-step-down]").setAttribute("aria-label", `Move ${name} down`);
}

function move(row, delta) {
  const all = rows();
  const other = all[all.indexOf(row) + delta];
  if (!other) return;
  const mine = orderOf(row);
  const theirs = orderOf(other);
  [mine.value, theirs.value] = [theirs.value, mine.value];
  if (delta < 0) other.before(row);
  else other.after(row);
  for (const changed of [row, other]) {
    changed.classList.add("step-moved");
  }
}

function button(text, data, delta, row) {
  const control = document.createElement("button");
  control.type = "button";
  control.className = "step-move";
  control.textContent = text;
  control.dataset[data] = "";
  control.addEventListener("click", () => {
    move(row, delta);
    control.focus();
  });
  return control;
}

function enhance(row) {
  const order = orderOf(row);
  if (!order || row.querySelector(".step-move")) return;
  order.after(
    button("↑", "stepUp", -1, row),
    button("↓", "stepDown", 1, row),
  );
  label(row);
  row.querySelector('select[name$="-exercise"]')?.addEventListener("change", () => label(row));
}

if (group) {
  rows().forEach(enhance);
  // Django's inlines.js adds rows for “Add another Routine step”.
  document.addEventListener("formset:added", (event) => {
    if (event.detail?.formsetName === "steps") enhance(event.target);
  });
}
