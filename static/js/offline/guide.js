// The guided session with no connection (issue 18). The service worker
// answers /routines/<slug>/offline/... with the offline page; this draws the
// routine's safety check, its steps and its finish page there, from the
// routine's plan the worker kept (/routines/<slug>/plan.json: the catalogue's
// rendered parts of each step, its pain scales and its warnings, the same
// HTML the guide shows online), and runs the steps with the guide's own
// player (static/js/player/main.js). A signed-in person's own parts (their
// red flags, the steps their screening skips) come with their screening.
// Offline, their routine's page is the visitor's, kept with the plan, with
// their marks added where their page online has them.
// Each step is a page of its own, as online. The run is kept in the tab
// (sessionStorage); saved, it waits in the worker's queue with its token
// until it can be sent, and is recorded once however often it is sent.
// In a language whose addresses have a prefix (/zh-hans/...), every address
// here has it, and the worker keeps that language's plan and pages apart.
import { gettext, interpolate, languagePrefix, ngettext, withoutPrefix } from "../i18n.js";
import { ask, sendSaves } from "./worker.js";

const PATH = /^\/routines\/([-\w]+)\/offline\/(?:(\d+|finish)\/)?$/;
// A routine's own page, where the worker answers with the offline page when
// it has none kept (a signed-in person's is never kept): drawn here.
const ROUTINE_PAGE = /^\/routines\/([-\w]+)\/$/;
const OUTCOMES = { done: "done", skip: "skipped", skip_safety: "skipped_for_safety" };
function label(outcome) {
  const labels = {
    done: gettext("Done"),
    skipped: gettext("Skipped"),
    skipped_for_safety: gettext("Skipped for safety"),
  };
  return labels[outcome];
}

// "Marked: Done", as the step's badge online says it.
function marked(outcome) {
  return interpolate(gettext("Marked: %(outcome)s"), { outcome: label(outcome) }, true);
}
const BADGES = {
  done: "text-bg-success",
  skipped: "text-bg-secondary",
  skipped_for_safety: "text-bg-warning",
};
// Refusal.NEEDS_CLEARANCE's words (exercises/guide.py).
function clearanceText() {
  return gettext(
    "Your health screening says to talk to your doctor before you exercise. Please confirm your doctor's clearance on the safety check before you go on.",
  );
}

function savedText() {
  return gettext("Saved on this phone; it will be added to your record when you are back online.");
}

function escape(text) {
  const span = document.createElement("span");
  span.textContent = String(text ?? "");
  return span.innerHTML;
}

function runKey(slug) {
  return `backcare.offline-run:${slug}`;
}

function loadRun(slug) {
  try {
    return JSON.parse(sessionStorage.getItem(runKey(slug)));
  } catch {
    return null;
  }
}

function saveRun(slug, run) {
  sessionStorage.setItem(runKey(slug), JSON.stringify(run));
}

function newToken() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `offline:${[...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

function durationText(ms) {
  const minutes = Math.floor(ms / 60000);
  const seconds = Math.floor((ms % 60000) / 1000);
  return minutes
    ? interpolate(gettext("%(minutes)s min %(seconds)s s"), { minutes, seconds }, true)
    : interpolate(gettext("%(seconds)s s"), { seconds }, true);
}

function addStyles(urls) {
  for (const href of urls) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.append(link);
  }
}

// The step's rendered parts link to the guide online; here they stay offline.
function keepLinksOffline(root, plan, base) {
  const guide = plan.guide_url;
  for (const link of root.querySelectorAll("a[href]")) {
    const path = new URL(link.href, window.location.href).pathname;
    if (path === guide) {
      link.href = base;
    } else if (path.startsWith(guide) && /^\d+\/$/.test(path.slice(guide.length))) {
      link.href = `${base}${path.slice(guide.length)}`;
    }
  }
}

function note() {
  return `<p class="alert alert-info offline-note" data-offline-note>
    ${escape(
      gettext(
        "You are using BackCare offline: this session runs on this phone. Once saved, it will be added to your record when you are back online. If your health screening asks for your doctor's clearance, it is checked then.",
      ),
    )}
  </p>`;
}

// The person's screening as the worker kept it on the last page loaded
// online (service-worker.js: keepPerson), for this routine: whether it needs
// their doctor's clearance, and the steps skipped for safety with the
// reasons the online step shows (rendered by the server). A visitor has none.
// ``clearanceFor``: what the doctor is asked to clear, {pk, description}.
// ``cleared``: the person confirmed their doctor's clearance here, offline,
// for all of it (it is recorded with the session they save, if it covers all
// the server asks for then: record()).
function screeningFor(kept, slug) {
  const routine = kept?.routines?.[slug];
  const asked = Boolean(kept?.needsClearance || routine?.needsClearance);
  const clearanceFor = routine?.clearanceFor || [];
  const clearedFor = kept?.clearedOffline ? kept.clearedFor || [] : [];
  const cleared =
    asked &&
    clearanceFor.length > 0 &&
    clearanceFor.every((warning) => clearedFor.includes(warning.pk));
  return {
    needsClearance: asked && !cleared,
    cleared,
    clearanceFor,
    skips: routine?.skips || {},
  };
}

// The person's own parts of the safety check and the routine page, as their
// pages online show them: what their red flags say (rendered by the server
// with their screening, kept by the worker); the red flags to look out for
// unless they answered the screening (each was asked then); the invitation
// to sign up (a visitor) or to answer it (a person who has not).
function ownParts(plan, kept) {
  let invite = "";
  if (!kept) {
    invite = plan.invite.visitor;
  } else if (!kept.answered) {
    invite = plan.invite.unanswered;
  }
  return {
    seeADoctor: kept?.seeADoctor || "",
    redFlags: kept?.answered ? "" : plan.red_flags,
    invite,
  };
}

// A form's answer on a pain scale: a number from 0 to 10, or null.
function painOf(form, name) {
  const value = new FormData(form).get(name);
  return value === null || value === "" ? null : Number(value);
}

// The numbers of the steps a run runs, in order: in a routine whose steps are
// alternatives, the one picked on the safety check alone (as GuidedRun.runs,
// exercises/guide.py); else every step in turn.
function runNumbers(plan, run) {
  return run?.chosen ? [run.chosen] : plan.steps.map((_, index) => index + 1);
}

// A step's outcome, as online: one skipped for safety unless marked otherwise.
function outcomeOf(run, screening, number) {
  return (
    run.outcomes[number] ||
    (screening.skips[number] && !run.overridden?.[number] ? "skipped_for_safety" : "skipped")
  );
}

// As online (templates/exercises/guide_start.html): no start until the
// person confirms their doctor's clearance, here on the safety check. Kept
// by the worker until the next page loaded online asks the server again;
// recorded on their profile with the session they save.
// The safety check's breadcrumb and heading, refused or not.
function safetyCheckHead(plan) {
  return `
    <nav aria-label="${escape(gettext("Breadcrumb"))}"><ol class="breadcrumb">
      <li class="breadcrumb-item"><a href="${languagePrefix()}/">${escape(gettext("Routines"))}</a></li>
      <li class="breadcrumb-item"><a href="${escape(plan.url)}">${escape(plan.title)}</a></li>
      <li class="breadcrumb-item active" aria-current="page">${escape(gettext("Safety check"))}</li>
    </ol></nav>
    <h1>${escape(gettext("Before you start: safety check"))}</h1>`;
}

function renderRefused(main, plan, screening, own) {
  document.title = interpolate(gettext("Safety check · %(title)s · BackCare"), { title: plan.title }, true);
  const reasons = screening.clearanceFor.length
    ? `<p>${escape(gettext("Your health screening says:"))}</p>
      <ul>${screening.clearanceFor.map((warning) => `<li>${escape(warning.description)}</li>`).join("")}</ul>`
    : "";
  main.innerHTML = `
    ${safetyCheckHead(plan)}
    ${own.seeADoctor}
    <p class="alert alert-warning needs-clearance" role="alert" data-offline-refused>${escape(clearanceText())}</p>
    ${own.redFlags}
    ${plan.safety}
    ${own.invite}
    <section class="card card-body border-warning mb-3 doctor-clearance" aria-labelledby="clearance-title">
      <h2 class="h5" id="clearance-title">${escape(gettext("Your doctor's clearance"))}</h2>
      ${reasons}
      <p>${escape(gettext("Please confirm that your doctor has cleared you before you start."))}</p>
      <form data-offline-clearance novalidate>
        <div class="alert alert-danger" role="alert" data-offline-error hidden></div>
        <div class="form-check mb-3">
          <input class="form-check-input" type="checkbox" id="offline-cleared" name="cleared">
          <label class="form-check-label" for="offline-cleared">${escape(gettext("My doctor has cleared me to do these exercises"))}</label>
        </div>
        <button type="submit" class="btn btn-warning">${escape(gettext("Confirm"))}</button>
      </form>
    </section>
    <a class="btn btn-outline-secondary" href="${languagePrefix()}/">${escape(gettext("Back to all routines"))}</a>`;
  const form = main.querySelector("[data-offline-clearance]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = form.querySelector("#offline-cleared");
    const error = form.querySelector("[data-offline-error]");
    if (!box.checked) {
      error.textContent = gettext("Please tick the box to confirm.");
      error.hidden = false;
      box.focus();
      return;
    }
    const pks = screening.clearanceFor.map((warning) => warning.pk);
    if (!(await ask({ type: "cleared", pks }))) {
      error.textContent = gettext(
        "This phone could not keep your answer (its storage may be full or switched off).",
      );
      error.hidden = false;
      return;
    }
    window.location.assign(`${languagePrefix()}/routines/${plan.slug}/offline/`);
  });
}

function renderStart(main, plan, base, screening, own) {
  document.title = interpolate(gettext("Safety check · %(title)s · BackCare"), { title: plan.title }, true);
  const total = plan.steps.length;
  // As online (guide_start.html): a routine whose steps are alternatives
  // asks which one, with the radio group the server rendered for it.
  const values = { title: plan.title, count: total };
  const lead = plan.fields.step
    ? ngettext(
        "%(title)s routine, one of %(count)s exercise, picked below. Please read every warning below.",
        "%(title)s routine, one of %(count)s exercises, picked below. Please read every warning below.",
        total,
      )
    : ngettext(
        "%(title)s routine, %(count)s step. Please read every warning below.",
        "%(title)s routine, %(count)s steps. Please read every warning below.",
        total,
      );
  main.innerHTML = `
    ${safetyCheckHead(plan)}
    ${own.seeADoctor}
    ${note()}
    ${
      screening.cleared
        ? `<p class="alert alert-info offline-cleared">${escape(
            gettext(
              "You confirmed that your doctor has cleared you to do these exercises. It will be noted on your profile with the session you save.",
            ),
          )}</p>`
        : ""
    }
    <p class="lead">${escape(interpolate(lead, values, true))}</p>
    ${own.redFlags}
    ${plan.safety}
    ${own.invite}
    <form class="card card-body bg-body-tertiary" data-offline-start novalidate>
      <div class="alert alert-danger" role="alert" data-offline-error hidden></div>
      ${plan.fields.step || ""}
      <div class="form-check mb-3">
        <input class="form-check-input" type="checkbox" id="offline-acknowledged" required>
        <label class="form-check-label" for="offline-acknowledged">${escape(gettext("I have read these warnings"))}</label>
      </div>
      ${plan.fields.pain_now}
      <div class="d-flex flex-wrap gap-2">
        <button type="submit" class="btn btn-primary btn-lg">${escape(gettext("Start guided session"))}</button>
      </div>
    </form>`;
  const form = main.querySelector("[data-offline-start]");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const acknowledged = form.querySelector("#offline-acknowledged");
    const error = form.querySelector("[data-offline-error]");
    const picked = Number(new FormData(form).get("step")) || null;
    const problems = [];
    if (plan.fields.step && !picked) {
      problems.push([plan.pick_error, form.querySelector("input[name=step]")]);
    }
    if (!acknowledged.checked) {
      problems.push([gettext("Please confirm that you have read the warnings."), acknowledged]);
    }
    if (problems.length) {
      error.textContent = problems.map(([message]) => message).join(" ");
      error.hidden = false;
      problems[0][1].focus();
      return;
    }
    const painValue = painOf(form, "pain_before");
    saveRun(plan.slug, {
      // The step picked among alternatives: the run is that one alone.
      chosen: picked,
      token: newToken(),
      acknowledged: true,
      started: new Date().toISOString(),
      finished: null,
      pain_before: painValue,
      outcomes: {},
      seconds: {},
      saved: false,
    });
    window.location.assign(`${base}${picked || 1}/`);
  });
}

function flaggedStep(parts, reasons, last) {
  return `
    <section class="card card-body border-danger mb-3 skipped-for-safety-panel" aria-labelledby="safety-title">
      <h2 class="h5" id="safety-title">${escape(gettext("Skipped for safety"))}</h2>
      ${reasons}
      <p>${escape(
        gettext(
          "This step is marked as skipped for safety because of your health screening. You can change your answers on your profile when you are back online.",
        ),
      )}</p>
      <form class="d-flex flex-wrap gap-2" data-guide-form>
        <button type="submit" name="action" value="skip_safety" class="btn btn-primary btn-lg" data-guide-next>${escape(last ? gettext("Continue to finish →") : gettext("Continue to the next step →"))}</button>
        <button type="submit" name="action" value="override" class="btn btn-outline-danger">${escape(gettext("My clinician has cleared me — show it anyway"))}</button>
      </form>
    </section>
    <nav class="guide-controls d-flex flex-wrap gap-2 mt-2" aria-label="${escape(gettext("Step navigation"))}">
      ${parts.previous}
    </nav>`;
}

async function renderStep(main, plan, base, number, run, screening) {
  const total = plan.steps.length;
  const step = plan.steps[number - 1];
  // Where the step is in the run: a step picked among alternatives is the
  // only one, with its own parts saying so (exercises/pages.py: alone).
  const numbers = runNumbers(plan, run);
  const position = numbers.indexOf(number) + 1;
  const last = position === numbers.length;
  const parts = run.chosen && step.alone ? { ...step.html, ...step.alone } : step.html;
  // The number of the run's last step: the player's script ends the run there.
  const lastNumber = last ? number : total;
  const outcome = run.outcomes[number];
  const reasons = screening.skips[number];
  const overridden = Boolean(reasons && run.overridden?.[number]);
  document.title = interpolate(
    gettext("Step %(number)s of %(total)s: %(name)s · BackCare"),
    { number: position, total: numbers.length, name: step.name },
    true,
  );
  if (reasons && !overridden) {
    main.innerHTML = `
    <div class="guide-step" data-guide data-step-number="${number}" data-step-total="${lastNumber}"
      data-run="${escape(run.token)}">
      ${parts.head}
      ${outcome ? `<p class="step-outcome badge text-bg-secondary">${escape(marked(outcome))}</p>` : ""}
      ${flaggedStep(parts, reasons, last)}
    </div>`;
  } else {
    main.innerHTML = `
    <div class="guide-step" data-guide data-step-number="${number}" data-step-total="${lastNumber}"
      data-run="${escape(run.token)}">
      ${parts.head}
      ${outcome ? `<p class="step-outcome badge text-bg-secondary">${escape(marked(outcome))}</p>` : ""}
      ${
        overridden
          ? `<p class="alert alert-warning overridden">${escape(
              gettext("Shown because you said your clinician has cleared you for it. Stop if it causes pain."),
            )}</p>`
          : ""
      }
      ${parts.warnings}
      ${
        step.avoidable
          ? `<form class="mb-2 skip-for-warning">
              <button type="submit" name="action" value="skip_safety" class="btn btn-danger btn-sm">${escape(gettext("Skip this exercise"))}</button>
            </form>`
          : ""
      }
      <div class="guide-stage">
      ${parts.player}
      <nav class="guide-controls d-flex flex-wrap gap-2 mb-4" aria-label="${escape(gettext("Step navigation"))}">
        ${parts.previous}
        <form class="d-flex flex-wrap gap-2" data-guide-form>
          <input type="hidden" name="seconds" value="" data-player-seconds>
          <button type="submit" name="action" value="done" class="btn btn-primary btn-lg" data-guide-next>${escape(last ? gettext("Done, finish →") : gettext("Done, next step →"))}</button>
          <button type="submit" name="action" value="skip" class="btn btn-outline-danger btn-lg" data-guide-skip>${escape(gettext("Skip"))}</button>
        </form>
      </nav>
      ${parts.how}
      </div>
      <p class="small text-body-secondary mt-2 keyboard-hint" data-guide-keyboard-hint hidden>${escape(
        gettext("Keyboard: Space starts or pauses the timer, → goes to the next step, ← to the previous one."),
      )}</p>
    </div>`;
  }
  keepLinksOffline(main, plan, base);
  const mark = (action, secondsText) => {
    const marked = OUTCOMES[action] || "skipped";
    const seconds = Number.parseInt(secondsText, 10);
    const current = loadRun(plan.slug) || run;
    current.outcomes[number] = marked;
    if (marked === "done" && !Number.isNaN(seconds)) {
      current.seconds[number] = seconds;
    } else {
      delete current.seconds[number];
    }
    if (last && !current.finished) {
      current.finished = new Date().toISOString();
    }
    saveRun(plan.slug, current);
  };
  // On the document, so that it runs after the player's own listener on the
  // form has written the time it measured into the form.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("[data-guide-form], form.skip-for-warning")) {
      return;
    }
    event.preventDefault();
    const action = event.submitter?.value || "done";
    if (action === "override") {
      const current = loadRun(plan.slug) || run;
      current.overridden = { ...current.overridden, [number]: true };
      saveRun(plan.slug, current);
      window.location.reload();
      return;
    }
    mark(action, form.querySelector("[data-player-seconds]")?.value);
    window.location.assign(last ? `${base}finish/` : `${base}${numbers[position]}/`);
  });
  // The player marks the step done when its timer ends, as online, by
  // posting the form; the worker hands the post back here (service-worker.js).
  navigator.serviceWorker.addEventListener("message", (event) => {
    const data = event.data;
    if (data?.backcare === "offline-mark" && data.path === window.location.pathname) {
      mark(data.action || "done", data.seconds);
    }
  });
  await import(plan.player);
}

// ``owner``: the id of the person signed in when the screening was kept,
// null for a visitor; the run is only ever recorded for them.
function record(plan, run, screening, owner, form) {
  return {
    routine: plan.slug,
    // The step picked among alternatives: ``steps`` is that one alone.
    ...(run.chosen ? { chosen: run.chosen } : {}),
    token: run.token,
    owner,
    // Confirmed on this phone's safety check for what it showed: recorded
    // with the session if that covers what the screening asks for then.
    doctor_cleared: screening.cleared,
    doctor_cleared_for: screening.cleared
      ? screening.clearanceFor.map((warning) => warning.pk)
      : [],
    acknowledged: run.acknowledged,
    started: run.started,
    finished: run.finished || new Date().toISOString(),
    pain_before: run.pain_before ?? painOf(form, "pain_before"),
    pain_after: painOf(form, "pain_after"),
    notes: new FormData(form).get("notes") ?? "",
    // Shown after "My clinician has cleared me": recorded as cleared, as online.
    overridden: Object.keys(run.overridden || {})
      .map(Number)
      .filter((number) => run.overridden[number])
      .sort((a, b) => a - b),
    steps: runNumbers(plan, run).map((number) => {
      const outcome = outcomeOf(run, screening, number);
      const seconds = run.seconds[number];
      return { outcome, seconds: outcome === "done" && seconds !== undefined ? seconds : null };
    }),
  };
}

function renderFinish(main, plan, base, run, screening, owner) {
  const numbers = runNumbers(plan, run);
  const outcomes = numbers.map((number) => outcomeOf(run, screening, number));
  const exercised = outcomes.includes("done");
  const finished = run.finished ? new Date(run.finished) : new Date();
  document.title = interpolate(gettext("Finished · %(title)s · BackCare"), { title: plan.title }, true);
  const fields = plan.fields;
  const painBefore =
    run.pain_before === null
      ? fields.pain_before
      : `<p class="pain-before-given">${interpolate(
          escape(gettext("Pain before you started: %(pain)s out of 10, as you said on the safety check.")),
          { pain: `<strong>${escape(run.pain_before)}</strong>` },
          true,
        )}</p>`;
  main.innerHTML = `
    ${
      exercised
        ? `<h1>${escape(interpolate(gettext("Well done: %(title)s routine finished"), { title: plan.title }, true))}</h1>`
        : `<h1>${escape(interpolate(gettext("%(title)s routine: no exercise done"), { title: plan.title }, true))}</h1>`
    }
    <p class="lead">${interpolate(
      escape(gettext("Time from start to finish: %(time)s.")),
      { time: `<strong>${escape(durationText(finished - new Date(run.started)))}</strong>` },
      true,
    )}</p>
    <h2 class="h5">${escape(gettext("Your steps"))}</h2>
    <ol class="list-group list-group-numbered mb-4 guide-summary">
      ${numbers
        .map((number, index) => {
          const step = plan.steps[number - 1];
          const outcome = outcomes[index];
          const seconds = run.seconds[number];
          const time = seconds === undefined ? "" : `: <span class="step-time">${escape(durationText(seconds * 1000))}</span>`;
          return `<li class="list-group-item d-flex justify-content-between align-items-start gap-2">
            <span class="me-auto">${escape(step.name)}${time} <span class="text-body-secondary small">(${escape(step.dose)})</span></span>
            <span class="badge ${BADGES[outcome]} outcome-${outcome}">${escape(label(outcome))}</span>
          </li>`;
        })
        .join("")}
    </ol>
    <section class="card card-body mb-4 finish-save" aria-labelledby="save-title" data-offline-save-section>
      <h2 class="h5" id="save-title">${escape(gettext("Save this session"))}</h2>
      ${note()}
      <form class="form-narrow" data-offline-save novalidate>
        <div class="alert alert-danger" role="alert" data-offline-error hidden></div>
        ${painBefore}
        ${fields.pain_after}
        ${fields.notes}
        <button type="submit" class="btn btn-primary btn-lg">${escape(gettext("Save session"))}</button>
      </form>
    </section>
    <p class="alert alert-success offline-saved" role="status" data-offline-saved ${run.saved ? "" : "hidden"}>${escape(savedText())}</p>
    <div class="d-flex flex-wrap gap-2">
      <a class="btn btn-outline-primary" href="${base}">${escape(gettext("Do this routine again"))}</a>
      <a class="btn btn-outline-secondary" href="${languagePrefix()}/">${escape(gettext("Back to all routines"))}</a>
    </div>`;
  const section = main.querySelector("[data-offline-save-section]");
  const saved = main.querySelector("[data-offline-saved]");
  section.hidden = run.saved;
  const form = main.querySelector("[data-offline-save]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector("[data-offline-error]");
    const queued = await ask({
      type: "queue",
      run: record(plan, run, screening, owner, form),
      prefix: languagePrefix(),
    });
    if (!queued) {
      error.textContent = gettext(
        "This phone could not keep the session (its storage may be full or switched off).",
      );
      error.hidden = false;
      return;
    }
    saveRun(plan.slug, { ...run, saved: true });
    section.hidden = true;
    saved.hidden = false;
    saved.focus?.();
    await sendSaves({ later: true });
  });
}

// The routine's page as online: the one a visitor sees (kept with the plan,
// service-worker.js), with the person's own marks where their page online
// has them (templates/exercises/routine.html): what their red flags say
// under the heading, their invitation, and on each step their screening
// advises against, why, under its dose. False without a page kept.
function renderRoutine(main, plan, base, screening, own) {
  const page = plan.page && new DOMParser().parseFromString(plan.page, "text/html");
  const content = page?.querySelector("main");
  if (!content) {
    return false;
  }
  document.title = page.title;
  main.innerHTML = content.innerHTML;
  main.querySelector("h1")?.insertAdjacentHTML("afterend", own.seeADoctor);
  const invite = main.querySelector(".screening-invite");
  invite?.insertAdjacentHTML("afterend", own.invite);
  invite?.remove();
  for (const [number, reasons] of Object.entries(screening.skips)) {
    main.querySelector(`#step-${number} .dose`)?.insertAdjacentHTML("afterend", reasons);
  }
  keepLinksOffline(main, plan, base);
  return true;
}

export async function runOffline() {
  const main = document.querySelector("main");
  const prefix = languagePrefix();
  const pathname = withoutPrefix();
  // A routine's page is drawn only where the worker gave the offline page.
  const routinePage = document.querySelector("[data-offline-shell]")
    ? pathname.match(ROUTINE_PAGE)
    : null;
  const match = pathname.match(PATH) || routinePage;
  if (!match || !main) {
    return;
  }
  const [, slug, page] = match;
  // The offline page's own text shows only when there is no plan to run.
  main.hidden = true;
  const plan = await ask({ type: "plan", slug, prefix });
  main.hidden = false;
  if (!plan) {
    return;
  }
  addStyles(plan.styles);
  const base = `${prefix}/routines/${slug}/offline/`;
  const run = loadRun(slug);
  const kept = await ask({ type: "screening", prefix });
  const screening = screeningFor(kept, slug);
  const own = ownParts(plan, kept);
  if (routinePage) {
    renderRoutine(main, plan, base, screening, own);
    return;
  }
  // As online: no start, and no step, until the doctor's clearance is confirmed.
  if (screening.needsClearance) {
    renderRefused(main, plan, screening, own);
    if (page) {
      window.history.replaceState(null, "", base);
    }
    return;
  }
  if (!page) {
    renderStart(main, plan, base, screening, own);
    return;
  }
  // As online: no step before the safety check; nor of a run that no longer
  // fits the plan (a pick among steps that are no longer alternatives, or
  // none among steps that now are).
  const picks = Boolean(plan.fields.step);
  const fits = run && Boolean(run.chosen) === picks && (!picks || plan.steps[run.chosen - 1]);
  if (!run?.acknowledged || !fits) {
    window.location.replace(base);
    return;
  }
  if (page === "finish") {
    renderFinish(main, plan, base, run, screening, kept?.person ?? null);
    return;
  }
  const number = Number.parseInt(page, 10);
  if (number < 1 || number > plan.steps.length) {
    window.location.replace(base);
    return;
  }
  // An alternative set aside for this run: to the one picked, as online.
  const numbers = runNumbers(plan, run);
  if (!numbers.includes(number)) {
    window.location.replace(`${base}${numbers[0]}/`);
    return;
  }
  await renderStep(main, plan, base, number, run, screening);
}
