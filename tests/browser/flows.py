"""What browser tests do the same way, defined once: sign up, log in, answer
the screening, walk a guided run, drive the player, run axe."""

import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services
from exercises.models import Contraindication, Routine
from tests.factories import PASSWORD

NEW_PASSWORD = "quiet-river-lantern-42"
PASSWORD_FIELD = re.compile(r"^\s*Password\*?\s*$")
# Recording stubs of Web Audio, the wake lock and speech: see the file.
PLAYER_STUBS = Path(__file__).with_name("player_stubs.js").read_text()


def page_errors(page):
    """The list that the page's uncaught errors are added to, as they happen."""
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    return errors


# ----- accounts ------------------------------------------------------------


def record_session(user, routine, started, *, minutes, outcomes=None, **fields):
    """A guided session of ``routine`` recorded for ``user`` as the app records
    one, begun at ``started`` and ``minutes`` long: every step done unless
    ``outcomes`` (one a step) say otherwise; ``fields`` are the pain and notes."""
    steps = list(routine.steps.select_related("exercise"))
    if outcomes is None:
        outcomes = ["done"] * len(steps)
    session, _ = services.session_record(
        user=user,
        routine=routine,
        started_at=started,
        finished_at=started + timedelta(minutes=minutes),
        client_token=uuid.uuid4().hex,
        steps=[
            {
                "order": step.order,
                "exercise": step.exercise,
                "name": step.exercise.name,
                "outcome": outcome,
            }
            for step, outcome in zip(steps, outcomes, strict=True)
        ],
        **fields,
    )
    return session


def with_a_session_today(user, routine, outcomes=None):
    """``user``, with one guided session of ``routine`` recorded 20 minutes ago
    (14 minutes long, pain 6 → 4, a note) as ``user.completed_session``."""
    user.completed_session = record_session(
        user,
        routine,
        timezone.now() - timedelta(minutes=20),
        minutes=14,
        outcomes=outcomes,
        pain_before=6,
        pain_after=4,
        notes="Felt loose afterwards.",
    )
    return user


def sign_up(page, username, password=NEW_PASSWORD):
    page.goto("/accounts/signup/")
    fill_signup_form(page, username, password)


def fill_signup_form(page, username, password=NEW_PASSWORD):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email (optional)").fill(f"{username}@example.com")
    page.get_by_label(PASSWORD_FIELD).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_label("I agree that BackCare keeps my health information").check()
    page.get_by_role("button", name="Create account").click()
    # A new account is asked the health screening questions first; it may skip.
    expect(page).to_have_url(re.compile(r"/accounts/screening/$"))
    expect(page.get_by_text(f"Welcome, {username}.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Health screening")
    expect(page.get_by_role("link", name="Skip for now")).to_be_visible()


def answer(page, question, reply):
    page.get_by_role("group", name=question).get_by_label(reply, exact=True).check()


def answer_screening(page, yes=()):
    """Answer every screening question: yes to the warnings named by slug, no to
    the rest; the answers are saved and the dashboard shows."""
    for warning in Contraindication.objects.screened():
        reply = "Yes" if warning.slug in yes else "No"
        answer(page, warning.screening_question, reply)
    page.get_by_role("button", name="Save my answers").click()
    expect(page).to_have_url(re.compile(r"/progress/$"))
    expect(page.get_by_text("Your screening answers were saved.")).to_be_visible()


def log_in(page, username, password=PASSWORD, *, path="/accounts/login/"):
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def sign_in(page, user):
    """Log in as a user made by the factories, and land on the dashboard."""
    log_in(page, user.username)
    expect(page).to_have_url(re.compile(r"/progress/$"))


def wait_until(page, expression, *, seconds=10):
    """
    Wait until ``expression`` evaluates truthy in the page, a promise's value
    included. ``page.wait_for_function`` takes a promise itself as truthy
    and returns at once, whatever it resolves to.
    """
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not true in {seconds} s: {expression}"
        page.wait_for_timeout(50)


# ----- a guided run --------------------------------------------------------


def start_guide(page, slug, pick=1):
    """Tick the safety check and start: the run opens at step 1, or, when
    the routine's steps are alternatives, at step ``pick``, picked there."""
    page.goto(f"/routines/{slug}/guide/")
    choice = page.get_by_role("group", name="Which one today?")
    first = 1
    if choice.count():
        choice.locator(f"input[value='{pick}']").check()
        first = pick
    page.get_by_label("I have read these warnings").check()
    page.get_by_role("button", name="Start guided session").click()
    expect(page).to_have_url(re.compile(rf"/routines/{slug}/guide/{first}/$"))


def tick_and_start(page):
    """Tick the safety check and press Start."""
    page.get_by_label("I have read these warnings").check()
    page.get_by_role("button", name="Start guided session").click()


def confirm_clearance(clearance):
    """Tick the doctor's clearance and confirm it."""
    clearance.get_by_label("My doctor has cleared me to do these exercises").check()
    clearance.get_by_role("button", name="Confirm").click()


def start_with_pain(page, pain):
    """Tick the safety check, say the pain now (``pain``, a string), and start."""
    page.get_by_label("I have read these warnings").check()
    page.get_by_role("group", name="Pain now (before you start)").get_by_label(
        pain, exact=True
    ).check()
    page.get_by_role("button", name="Start guided session").click()


def walk_to_step(page, slug, number):
    """Start a run and press “Done” on every step before `number`."""
    steps = Routine.objects.get(slug=slug).steps.count()
    start_guide(page, slug)
    for step in range(1, number):
        expect(page.locator("#step-counter")).to_have_text(f"Step {step} of {steps}")
        page.get_by_role("button", name="Done, next step →").click()
    expect(page).to_have_url(re.compile(rf"/routines/{slug}/guide/{number}/$"))
    expect(page.locator("#step-counter")).to_have_text(f"Step {number} of {steps}")


def walk_to_finish(page, slug):
    """A run with “Done” on every step, to the finish page."""
    walk_to_step(page, slug, Routine.objects.get(slug=slug).steps.count())
    page.get_by_role("button", name="Done, finish →").click()
    expect_finish(page, slug)


def expect_finish(page, slug, outcomes=None):
    expect(page).to_have_url(re.compile(rf"/routines/{slug}/guide/finish/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("finished")
    if outcomes is not None:
        expect(page.locator(".guide-summary .badge")).to_have_text(outcomes)


# ----- the player ----------------------------------------------------------


def choose_pain(page, **answers):
    """Tap a number on each named 0–10 scale: choose_pain(page, before=5, after=4)."""
    for when, value in answers.items():
        scale = page.get_by_role("group", name=f"Pain {when} (0–10)")
        scale.get_by_label(str(value), exact=True).check()


# The player's settings for tests that time holds from Start: no lead-in, no
# auto-advance. Add it with page.add_init_script before the page loads.
NO_LEAD_IN = (
    "localStorage.setItem('backcare.player.settings',"
    " JSON.stringify({leadIn: 0, autoAdvance: false}))"
)


def player_of(page):
    player = page.locator("[data-player]")
    expect(player).to_be_visible()
    return player


def open_step(page, slug, number):
    """The player of a step of a run just started."""
    start_guide(page, slug, pick=number)
    if number != 1:
        page.goto(f"/routines/{slug}/guide/{number}/")
    return player_of(page)


def stub_player_apis(page):
    """Record what the player asks of the browser, and run timers on a fake clock."""
    page.add_init_script(PLAYER_STUBS)
    page.clock.install()


def stubbed_player(page, *init_scripts):
    """For a fixture to ``yield from``: ``page`` with ``init_scripts`` added
    and the player's calls recorded; no script error may happen meanwhile."""
    errors = page_errors(page)
    for script in init_scripts:
        page.add_init_script(script)
    stub_player_apis(page)
    yield page
    assert errors == []


def recorded(page, name):
    return page.evaluate("name => window.__calls[name]", name)


def held_locks(page):
    return page.evaluate("window.__calls.heldLocks()")


def press(player, name):
    player.get_by_role("button", name=name, exact=True).click()


def run_hands_free(page, steps, names):
    """
    With the first step's player started, let the clock run each step of
    ``names`` (their page under ``steps``: ".../guide/") until it moves on by
    itself, checking each step's heading and that its player runs.
    """
    for number, name in enumerate(names, start=1):
        expect(page).to_have_url(re.compile(rf"{steps}{number}/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(page.locator("[data-player]")).to_have_class(
            re.compile(r"\bis-running\b")
        )
        for _ in range(120):
            if not page.url.endswith(f"{steps}{number}/"):
                break
            page.clock.run_for(1_000)


def expect_done_and_saved(page):
    player = page.locator("[data-player]")
    expect(player.get_by_role("status")).to_contain_text("Exercise done")
    expect(player.locator("[data-player-saved]")).to_have_text(
        "Saved: this step is marked done."
    )
    expect(page.locator("[data-guide-next]")).to_be_focused()


# ----- every page ----------------------------------------------------------


def assert_no_axe_violations(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def assert_no_horizontal_scroll(page):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    client_width = page.evaluate("document.documentElement.clientWidth")
    assert client_width == 360
    assert scroll_width <= client_width, f"{scroll_width}px wide on a 360px screen"


# ----- the seed catalogue --------------------------------------------------

# The seed's beginner routine, for the tests that pin the seed's content.
BEGINNER_STEPS = [
    "Ankle pumps",
    "Heel slides",
    "Abdominal contraction",
    "Wall squats",
    "Heel raises",
    "Straight-leg raises",
]


# ----- the service worker --------------------------------------------------

# {cache name: [path of each entry]} of the worker's caches, in the page.
CACHED = """async () => {
  const found = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    found[name] = (await cache.keys()).map((request) => new URL(request.url).pathname);
  }
  return found;
}"""


def cached(page):
    """{cache name: [path of each entry]} of the worker's caches."""
    return page.evaluate(CACHED)
