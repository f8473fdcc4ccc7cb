// A refused form comes back with an error summary at the top of its section
// (templates/accounts/_partials/error_summary.html). Focusing it shows it on
// a phone without scrolling, and a screen reader reads it out; its links
// move focus to the field they name.

const summary = document.querySelector("[data-error-summary]");

function fieldBlock(field) {
  // Crispy wraps each field with its label in #div_<id>; a radio group's
  // choices share a fieldset whose legend asks the question.
  return document.getElementById(`div_${field.id}`) ?? field.closest("fieldset") ?? field;
}

if (summary) {
  summary.focus({ preventScroll: true });
  summary.scrollIntoView({ block: "start", behavior: "instant" });

  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const field = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) {
      return;
    }
    event.preventDefault();
    // The label stays in view above the field, where the browser's own jump
    // to the fragment would put the bare input at the very top.
    fieldBlock(field).scrollIntoView({ block: "start", behavior: "instant" });
    field.focus({ preventScroll: true });
  });
}
