"""A routine's guided session with no connection (issue 18): run on the phone
from the plan the service worker kept, saved there, and recorded once when
the connection returns, however often (and from however many devices) the
save is sent. Logging out asks before it drops a save not yet sent."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services
from accounts.models import CompletedSession
from exercises.cache import catalogue_changed
from exercises.models import Contraindication
from tests.browser.flows import (
    BEGINNER_STEPS,
    NO_LEAD_IN,
    assert_no_axe_violations,
    choose_pain,
    confirm_clearance,
    log_in,
    page_errors,
    press,
    run_hands_free,
    sign_in,
    start_with_pain,
    stub_player_apis,
    tick_and_start,
    wait_until,
)
from tests.factories import UserFactory, red_flag

ROUTINE = "/routines/practice/"
OFFLINE = "/routines/practice/offline/"
SAVED = "Saved on this phone; it will be added to your record when you are back online."
ARRIVED = re.compile(r"Your Practice session from .+ was added to your record\.")

READY = """Promise.race([
  navigator.serviceWorker.ready.then(() => true),
  new Promise((resolve) => setTimeout(() => resolve(false), 10000)),
])"""

# Ask the worker as the pages do (static/js/offline/worker.js).
ASK = """(message) => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => resolve(event.data);
  navigator.serviceWorker.controller.postMessage(message, [channel.port2]);
})"""

QUEUED = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("backcare-offline");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("saves").objectStore("saves").getAll();
    request.onsuccess = () => { open.result.close(); resolve(request.result); };
  };
})"""


def controlled(page):
    """Wait for the worker, then reload so that it controls the page."""
    assert page.evaluate(READY), "no service worker"
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")


def ask(page, **message):
    return page.evaluate(ASK, message)


def wait_for_plan(page, slug="practice"):
    for _ in range(50):
        if ask(page, type="plan", slug=slug):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the worker kept no plan")


class Dialogs:
    """Every question the page asks; answered yes unless `decline` is set."""

    def __init__(self):
        self.asked = []
        self.decline = False

    def __call__(self, dialog):
        self.asked.append(dialog.message)
        if self.decline and dialog.type == "confirm":
            dialog.dismiss()
        else:
            dialog.accept()  # Leaving a running timer, say.


@pytest.fixture
def dialogs():
    return Dialogs()


def casey_on_a_stubbed_player(page, dialogs):
    """Casey signed in; the page's questions answered by ``dialogs``, the
    player's APIs stubbed, with no lead-in: the list the page's errors go to."""
    errors = page_errors(page)
    page.on("dialog", dialogs)
    stub_player_apis(page)
    page.add_init_script(NO_LEAD_IN)
    sign_in(page, UserFactory(username="casey"))
    return errors


@pytest.fixture
def phone(page, practice, dialogs):
    """Signed in, the routine's page opened once under the worker; the
    player's timers on Playwright's clock."""
    errors = casey_on_a_stubbed_player(page, dialogs)
    page.goto(ROUTINE)
    controlled(page)
    wait_for_plan(page)
    yield page
    assert errors == []


def run_offline_and_save(page):
    page.context.set_offline(True)
    page.reload()

    # The page for a signed-in person is not kept: it is drawn from the plan,
    # and its Start leads to the offline guide.
    expect(page).to_have_url(re.compile(rf"{ROUTINE}$"))
    page.get_by_role("link", name="Start guided session").click()
    expect(page).to_have_url(re.compile(rf"{OFFLINE}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Before you start: safety check"
    )
    expect(page.locator("[data-offline-note]")).to_contain_text("offline")
    # Every warning, as online, before step 1.
    expect(page.get_by_text("if you had back surgery this year")).to_be_visible()
    expect(page.get_by_text("pain running down one leg")).to_be_visible()
    page.get_by_role("button", name="Start guided session").click()
    expect(page.get_by_role("alert")).to_contain_text("read the warnings")
    expect(page).to_have_url(re.compile(rf"{OFFLINE}$"))
    start_with_pain(page, "5")

    # 1. Knee rocks, counted by the player to the end.
    expect(page).to_have_url(re.compile(rf"{OFFLINE}1/$"))
    expect(page.locator("#step-counter")).to_have_text("Step 1 of 4")
    player = page.locator("[data-player]")
    press(player, "Start")
    page.clock.run_for(60_000)
    expect(player.get_by_role("status")).to_contain_text("Exercise done")
    expect(player.locator("[data-player-saved]")).to_have_text(
        "Saved: this step is marked done."
    )
    page.get_by_role("button", name="Done, next step →").click()

    # 2. Bridge: five holds of 6 s, timed by the player.
    expect(page.locator("#step-counter")).to_have_text("Step 2 of 4")
    player = page.locator("[data-player]")
    press(player, "Start")
    page.clock.run_for(120_000)
    expect(player.get_by_role("status")).to_contain_text("Exercise done")
    page.get_by_role("button", name="Done, next step →").click()

    # 3. Leg stretch: its AVOID warning offers to skip it, as online.
    expect(page.locator("#step-counter")).to_have_text("Step 3 of 4")
    expect(page.get_by_text("pain running down one leg")).to_be_visible()
    page.get_by_role("button", name="Skip this exercise").click()

    # 4. Walk: the stopwatch to its 10-minute target.
    expect(page.locator("#step-counter")).to_have_text("Step 4 of 4")
    player = page.locator("[data-player]")
    press(player, "Start")
    page.clock.run_for(10 * 60_000 + 2_000)
    expect(player.get_by_role("status")).to_contain_text("Exercise done")
    page.get_by_role("button", name="Done, finish →").click()

    expect(page).to_have_url(re.compile(rf"{OFFLINE}finish/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Well done: Practice routine finished"
    )
    expect(page.locator(".guide-summary .badge")).to_have_text(
        ["Done", "Done", "Skipped for safety", "Done"]
    )
    choose_pain(page, after=3)
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    assert CompletedSession.objects.count() == 0


def test_a_session_run_offline_is_recorded_once_when_back_online(phone):
    page = phone
    run_offline_and_save(page)
    [queued] = page.evaluate(QUEUED)
    assert queued["run"]["token"].startswith("offline:")

    page.context.set_offline(False)

    expect(page.get_by_text(ARRIVED)).to_be_visible(timeout=15_000)
    assert page.evaluate(QUEUED) == []
    page.goto("/progress/history/")
    expect(page.locator("a[href^='/progress/sessions/']")).to_have_count(1)
    session = CompletedSession.objects.get()
    assert session.client_token == queued["run"]["token"]
    assert (session.pain_before, session.pain_after) == (5, 3)
    assert [step.outcome for step in session.steps.order_by("order")] == [
        "done",
        "done",
        "skipped_for_safety",
        "done",
    ]
    # The stopwatch's time, as online (only a timed step keeps one).
    seconds = [step.seconds for step in session.steps.order_by("order")]
    assert seconds[:3] == [None, None, None]
    assert 600 <= seconds[3] <= 610


def test_the_same_save_sent_twice_from_another_device_is_recorded_once(
    phone, browser, live_server
):
    page = phone
    run_offline_and_save(page)
    [queued] = page.evaluate(QUEUED)
    page.context.set_offline(False)
    expect(page.get_by_text(ARRIVED)).to_be_visible(timeout=15_000)

    # Another device holding the same queued save (its state copied over).
    context = browser.new_context(base_url=live_server.url)
    other = context.new_page()
    try:
        log_in(other, "casey")
        expect(other).to_have_url(re.compile(r"/progress/$"))
        controlled(other)
        for _ in range(2):
            assert ask(other, type="queue", run=queued["run"]) is True
            assert ask(other, type="send") is True
        expect(other.get_by_text(ARRIVED).first).to_be_visible()
        assert other.evaluate(QUEUED) == []
    finally:
        context.close()

    assert CompletedSession.objects.count() == 1


def test_a_save_refused_for_the_doctors_clearance_waits_and_logging_out_asks(
    phone, dialogs, consult_warning
):
    page = phone
    run_offline_and_save(page)
    # The screening, answered elsewhere meanwhile, asks for a doctor's clearance.
    person = get_user_model().objects.get(username="casey")
    services.screening_update(user=person, conditions=[consult_warning])
    page.context.set_offline(False)

    expect(page.get_by_text("talk to your doctor before you exercise")).to_be_visible()
    page.goto("/about/")
    expect(page.get_by_text("talk to your doctor before you exercise")).to_be_visible()
    assert len(page.evaluate(QUEUED)) == 1
    assert CompletedSession.objects.count() == 0
    page.wait_for_timeout(300)  # The page asks the worker how many wait.

    dialogs.decline = True
    dialogs.asked.clear()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_timeout(500)

    assert len(dialogs.asked) == 1
    assert "not yet added to your record" in dialogs.asked[0]
    expect(page.get_by_role("link", name=re.compile("casey"))).to_be_visible()
    assert len(page.evaluate(QUEUED)) == 1

    dialogs.decline = False
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    wait_until(page, f"({QUEUED})().then((saves) => saves.length === 0)")
    assert CompletedSession.objects.count() == 0


def test_logging_out_with_nothing_queued_asks_nothing(phone, dialogs):
    page = phone
    page.goto("/about/")
    dialogs.asked.clear()

    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert dialogs.asked == []


def test_a_visitors_offline_save_waits_for_them_to_log_in(page, practice, dialogs):
    page.on("dialog", dialogs)
    UserFactory(username="robin")
    page.goto(ROUTINE)
    controlled(page)
    wait_for_plan(page)
    page.context.set_offline(True)

    # The visitor's routine page was kept; its Start leads to the offline guide.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice routine")
    page.get_by_role("link", name="Start guided session").click()
    expect(page).to_have_url(re.compile(rf"{OFFLINE}$"))
    tick_and_start(page)
    for number in range(1, 4):
        expect(page.locator("#step-counter")).to_have_text(f"Step {number} of 4")
        page.get_by_role("button", name="Skip", exact=True).click()
    page.get_by_role("button", name="Done, finish →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Well done: Practice routine finished"
    )
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text(SAVED)).to_be_visible()

    page.context.set_offline(False)
    expect(
        page.get_by_text("Log in, and the session saved on this phone")
    ).to_be_visible()
    assert CompletedSession.objects.count() == 0

    log_in(page, "robin")
    expect(page.get_by_text(ARRIVED)).to_be_visible()
    session = CompletedSession.objects.get()
    assert session.user.username == "robin"
    assert [step.outcome for step in session.steps.order_by("order")] == [
        "skipped",
        "skipped",
        "skipped",
        "done",
    ]


# The kept screening, or null when the worker does not answer at once.
KEPT_SCREENING = f"""Promise.race([
  ({ASK})({{type: "screening"}}),
  new Promise((resolve) => setTimeout(() => resolve(null), 500)),
])"""


def wait_for_screening(page):
    for _ in range(30):
        if page.evaluate(KEPT_SCREENING):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the worker kept no screening")


def screened_phone(page, *warnings):
    """A person who answered yes to ``warnings``, signed in, with the
    routine's plan and their screening kept by the worker."""
    person = UserFactory(username="casey")
    services.screening_update(user=person, conditions=list(warnings))
    stub_player_apis(page)
    page.add_init_script(NO_LEAD_IN)
    sign_in(page, person)
    page.goto(ROUTINE)
    controlled(page)
    wait_for_plan(page)
    wait_for_screening(page)
    page.context.set_offline(True)
    page.goto(OFFLINE)


def test_a_step_the_screening_advises_against_is_skipped_for_safety_offline(
    page, practice, dialogs, avoid_warning
):
    errors = page_errors(page)
    page.on("dialog", dialogs)
    screened_phone(page, avoid_warning)
    tick_and_start(page)
    for number in range(1, 3):
        expect(page.locator("#step-counter")).to_have_text(f"Step {number} of 4")
        page.get_by_role("button", name="Skip", exact=True).click()

    # 3. Cat-cow's each-side step: pre-marked, with the reason, as online.
    expect(page.locator("#step-counter")).to_have_text("Step 3 of 4")
    panel = page.locator(".skipped-for-safety-panel")
    expect(panel.get_by_role("heading")).to_have_text("Skipped for safety")
    expect(panel).to_contain_text(
        "You told us: Do you have pain running down one leg? Yes."
    )
    expect(page.locator("[data-guide-skip]")).to_have_count(0)
    # Shown anyway, it is the step as online, said to be so.
    panel.get_by_role("button", name="My clinician has cleared me").click()
    expect(page.locator(".overridden")).to_contain_text("clinician has cleared you")
    expect(page.locator("[data-guide-skip]")).to_be_visible()
    page.go_back()
    page.goto(f"{OFFLINE}3/")
    expect(page.locator(".overridden")).to_be_visible()

    # The next run: continued past it, it is skipped for safety.
    page.goto(OFFLINE)
    tick_and_start(page)
    page.get_by_role("button", name="Skip", exact=True).click()
    page.get_by_role("button", name="Skip", exact=True).click()
    page.get_by_role("button", name="Continue to the next step →").click()
    expect(page.locator("#step-counter")).to_have_text("Step 4 of 4")
    page.get_by_role("button", name="Skip", exact=True).click()
    expect(page.locator(".guide-summary .outcome-skipped_for_safety")).to_have_count(1)
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text(SAVED)).to_be_visible()

    page.context.set_offline(False)
    expect(page.get_by_text(ARRIVED)).to_be_visible(timeout=15_000)
    session = CompletedSession.objects.get()
    assert [step.outcome for step in session.steps.order_by("order")] == [
        "skipped",
        "skipped",
        "skipped_for_safety",
        "skipped",
    ]
    assert errors == []


def test_a_person_needing_their_doctors_clearance_cannot_start_offline(
    page, practice, consult_warning
):
    screened_phone(page, consult_warning)

    expect(page.get_by_role("alert")).to_have_text(
        "Your health screening says to talk to your doctor before you exercise. "
        "Please confirm your doctor's clearance on the safety check before you go on."
    )
    expect(page.get_by_role("button", name="Start guided session")).to_have_count(0)
    page.goto(f"{OFFLINE}1/")
    expect(page.locator("#step-counter")).to_have_count(0)
    expect(page.locator("[data-offline-refused]")).to_be_visible()


def test_a_doctors_clearance_confirmed_offline_is_recorded_with_the_session(
    page, practice, consult_warning, avoid_warning
):
    errors = page_errors(page)
    screened_phone(page, consult_warning, avoid_warning)

    # The safety check asks for the clearance, as online, and says why.
    clearance = page.locator(".doctor-clearance")
    expect(clearance.get_by_role("heading")).to_have_text("Your doctor's clearance")
    expect(clearance).to_contain_text("if you had back surgery this year")
    expect(page.get_by_role("button", name="Start guided session")).to_have_count(0)
    clearance.get_by_role("button", name="Confirm").click()
    expect(clearance.get_by_role("alert")).to_have_text(
        "Please tick the box to confirm."
    )
    confirm_clearance(clearance)

    expect(
        page.get_by_text("You confirmed that your doctor has cleared you")
    ).to_be_visible()
    expect(page.locator("[data-offline-refused]")).to_have_count(0)
    tick_and_start(page)
    for number in range(1, 3):
        expect(page.locator("#step-counter")).to_have_text(f"Step {number} of 4")
        page.get_by_role("button", name="Skip", exact=True).click()
    # 3. Flagged by the screening; shown anyway on the clinician's word.
    expect(page.locator("#step-counter")).to_have_text("Step 3 of 4")
    page.get_by_role("button", name="My clinician has cleared me").click()
    expect(page.locator(".overridden")).to_contain_text("clinician has cleared you")
    page.get_by_role("button", name="Done, next step →").click()
    expect(page.locator("#step-counter")).to_have_text("Step 4 of 4")
    page.get_by_role("button", name="Skip", exact=True).click()
    expect(page.locator(".guide-summary .badge")).to_have_text(
        ["Skipped", "Skipped", "Done", "Skipped"]
    )
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    assert CompletedSession.objects.count() == 0
    # With what the safety check showed the doctor clearing.
    [save] = page.evaluate(QUEUED)
    assert save["run"]["doctor_cleared_for"] == [consult_warning.pk]

    page.context.set_offline(False)
    expect(page.get_by_text(ARRIVED)).to_be_visible(timeout=15_000)
    page.goto("/progress/history/")
    expect(page.locator("a[href^='/progress/sessions/']")).to_have_count(1)

    # Recorded as online: the clearance on the person, the step cleared.
    person = get_user_model().objects.get(username="casey")
    assert person.doctor_cleared_on == timezone.localdate()
    session = CompletedSession.objects.get()
    steps = session.steps.order_by("order")
    assert [step.outcome for step in steps] == ["skipped", "skipped", "done", "skipped"]
    assert [step.cleared_by_clinician for step in steps] == [False, False, True, False]
    assert errors == []


def test_logging_out_forgets_the_kept_screening(page, practice, avoid_warning):
    person = UserFactory(username="casey")
    services.screening_update(user=person, conditions=[avoid_warning])
    sign_in(page, person)
    page.goto(ROUTINE)
    controlled(page)
    wait_for_screening(page)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    wait_until(page, f"{KEPT_SCREENING}.then((kept) => !kept)")


# The offline run kept in the tab (guide.js), its times in ms of the page's clock.
RUN_TIMES = """slug => {
  const run = JSON.parse(sessionStorage.getItem(`backcare.offline-run:${slug}`));
  return [Date.parse(run.started), run.finished && Date.parse(run.finished)];
}"""


def test_a_hands_free_run_offline_goes_on_past_a_step_skipped_for_safety(
    screen, catalogue
):
    page = screen
    errors = page_errors(page)
    person = UserFactory(username="casey")
    nerve_pain = Contraindication.objects.get(slug="nerve-pain-legs")
    services.screening_update(user=person, conditions=[nerve_pain])
    stub_player_apis(page)
    sign_in(page, person)
    page.goto("/routines/beginner/")
    controlled(page)
    wait_for_plan(page, "beginner")
    wait_for_screening(page)
    page.context.set_offline(True)
    page.goto("/routines/beginner/offline/")
    tick_and_start(page)
    page.locator("[data-player-toggle]").click()  # The only touch.

    run_hands_free(page, "/routines/beginner/offline/", BEGINNER_STEPS[:5])

    # 6. Straight-leg raises: it says why it is skipped, then goes on.
    expect(page).to_have_url(re.compile(r"/offline/6/$"))
    arrived = page.evaluate("Date.now()")
    panel = page.locator(".skipped-for-safety-panel")
    expect(panel).to_contain_text(
        "You told us: Do you have nerve pain that runs down into your legs? Yes."
    )
    expect(panel.locator("[data-guide-advance]")).to_have_text(
        re.compile(r"^Going on to the finish in [1-5] s$")
    )
    page.clock.run_for(5_500)

    expect(page).to_have_url(re.compile(r"/offline/finish/$"))
    expect(page.locator(".guide-summary .badge")).to_have_text(
        ["Done"] * 5 + ["Skipped for safety"]
    )
    # The time counted is the time exercised: the run ended as it went on
    # from the skipped step, not whenever the person looks at the phone.
    page.clock.run_for(10 * 60_000)
    started, finished = page.evaluate(RUN_TIMES, "beginner")
    assert arrived < finished <= arrived + 6_000
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    [save] = page.evaluate(QUEUED)
    assert save["run"]["started"] < save["run"]["finished"]
    assert [step["outcome"] for step in save["run"]["steps"]] == ["done"] * 5 + [
        "skipped_for_safety"
    ]
    assert errors == []


# ----- the offline guide is the online one (issue 27.4) --------------------


def online_and_offline(page, path, *warnings, cleared=False):
    """
    ``path``'s main content online, then offline, for a person who answered
    yes to ``warnings`` (None: one who never answered), with the routine's
    plan and their screening kept by the worker; the page is left offline.
    """
    person = UserFactory(username="casey")
    if warnings != (None,):
        services.screening_update(user=person, conditions=list(warnings))
    if cleared:
        services.doctor_clearance_record(user=person)
    sign_in(page, person)
    page.goto(ROUTINE)
    controlled(page)
    wait_for_plan(page)
    wait_for_screening(page)
    page.goto(path)
    online = page.locator("main").inner_text()
    page.context.set_offline(True)
    page.reload()
    return online


def test_reloading_the_routine_page_offline_shows_the_persons_routine_page(
    screen, practice, avoid_warning
):
    page = screen
    errors = page_errors(page)
    online = online_and_offline(page, ROUTINE, avoid_warning)

    expect(page).to_have_url(re.compile(rf"{ROUTINE}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice routine")
    # Their own marks, as online: the step their screening advises against.
    expect(page.locator("#step-3 .not-recommended")).to_contain_text(
        "You told us: Do you have pain running down one leg? Yes."
    )
    expect(page.locator(".not-recommended")).to_have_count(1)
    assert page.locator("main").inner_text() == online
    assert page.title() == "Practice routine · BackCare"

    page.get_by_role("link", name="Start guided session").click()
    expect(page).to_have_url(re.compile(rf"{OFFLINE}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Before you start: safety check"
    )
    assert errors == []


def test_a_visitors_routine_page_offline_is_still_the_one_kept(page, practice):
    page.goto(ROUTINE)
    controlled(page)
    wait_for_plan(page)
    online = page.locator("main").inner_text()
    page.context.set_offline(True)
    page.reload()

    expect(page.get_by_role("heading", level=1)).to_have_text("Practice routine")
    expect(page.locator(".screening-invite")).to_contain_text("Create an account")
    assert page.locator("main").inner_text() == online


PAIN_LEGEND = "0 is no pain, 10 the worst pain imaginable."


def test_offline_pain_is_asked_on_the_same_0_to_10_scale_as_online(screen, practice):
    page = screen
    stub_player_apis(page)
    page.add_init_script(NO_LEAD_IN)
    online_and_offline(page, ROUTINE, None)
    page.goto(OFFLINE)

    # The safety check: pain now, eleven buttons, the words for 0 and 10.
    now = page.get_by_role("group", name="Pain now (before you start)")
    expect(now.get_by_role("radio")).to_have_count(11)
    expect(now.get_by_text(PAIN_LEGEND)).to_be_visible()
    expect(page.locator("input[type=number]")).to_have_count(0)
    assert_no_axe_violations(page)
    tick_and_start(page)
    for number in range(1, 5):
        expect(page.locator("#step-counter")).to_have_text(f"Step {number} of 4")
        page.locator("[data-guide-skip], [data-guide-next]").last.click()
    expect(page).to_have_url(re.compile(rf"{OFFLINE}finish/$"))

    # The finish page: pain before and after on the scale, as online.
    for label in ["Pain before (0–10)", "Pain after (0–10)"]:
        scale = page.get_by_role("group", name=label)
        expect(scale.get_by_role("radio")).to_have_count(11)
        expect(scale.get_by_text(PAIN_LEGEND)).to_be_visible()
    expect(page.locator("input[type=number]")).to_have_count(0)
    assert_no_axe_violations(page)
    choose_pain(page, before=6, after=4)
    page.get_by_label("Notes").fill("Stiff in the morning.")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    [save] = page.evaluate(QUEUED)
    assert (save["run"]["pain_before"], save["run"]["pain_after"]) == (6, 4)
    assert save["run"]["notes"] == "Stiff in the morning."


def test_pain_said_on_the_offline_safety_check_is_not_asked_again(page, practice):
    stub_player_apis(page)
    online_and_offline(page, ROUTINE, None)
    page.goto(OFFLINE)
    start_with_pain(page, "7")
    page.goto(f"{OFFLINE}finish/")

    expect(page.locator(".pain-before-given")).to_contain_text("7")
    expect(page.get_by_role("group", name="Pain before (0–10)")).to_have_count(0)
    choose_pain(page, after=2)
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    [save] = page.evaluate(QUEUED)
    assert (save["run"]["pain_before"], save["run"]["pain_after"]) == (7, 2)


def test_a_person_who_answered_the_screening_sees_no_red_flag_list_offline(
    screen, practice, avoid_warning
):
    page = screen
    red_flag()  # Asked of everyone: listed on the safety check of a visitor.
    online = online_and_offline(page, "/routines/practice/guide/", avoid_warning)
    assert "see a doctor instead if you have any of these" not in online
    page.goto(OFFLINE)

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Before you start: safety check"
    )
    expect(page.get_by_text("pain running down one leg").first).to_be_visible()
    expect(page.locator(".red-flag-list")).to_have_count(0)
    expect(page.locator(".screening-invite")).to_have_count(0)


def test_a_person_with_a_red_flag_sees_their_own_answers_offline(screen, practice):
    page = screen
    flag = red_flag()
    online = online_and_offline(page, "/routines/practice/guide/", flag, cleared=True)
    assert "See a doctor before you exercise" in online
    page.goto(OFFLINE)

    section = page.locator(".see-a-doctor")
    expect(section.get_by_role("heading")).to_have_text(
        "See a doctor before you exercise"
    )
    expect(section).to_contain_text(flag.title)
    expect(page.locator(".red-flag-list")).to_have_count(0)


def test_a_person_who_never_answered_is_asked_to_offline_as_online(screen, practice):
    page = screen
    red_flag()
    online = online_and_offline(page, "/routines/practice/guide/", None)
    assert "Answer the health screening" in online
    assert "see a doctor instead if you have any of these" in online
    page.goto(OFFLINE)

    expect(page.locator(".red-flag-list")).to_be_visible()
    expect(page.locator(".screening-invite")).to_have_text(
        re.compile(r"^Answer the health screening so BackCare can point out")
    )


def test_an_offline_steps_drawing_is_laid_out_as_online(screen, catalogue):
    page = screen
    phone = page.viewport_size["width"] == 360
    page.goto("/routines/beginner/")
    controlled(page)
    wait_for_plan(page, "beginner")
    page.context.set_offline(True)
    page.goto("/routines/beginner/offline/")
    tick_and_start(page)

    for number in range(1, 7):
        page.goto(f"/routines/beginner/offline/{number}/")
        player = page.locator("[data-player]")
        expect(player).to_be_visible()
        img = page.locator("figure.illustration img.illustration-moving")
        expect(img).to_have_count(1)
        img.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=img.element_handle())
        drawing, timer = img.bounding_box(), player.bounding_box()
        if phone:  # Under the player, the full width.
            assert drawing["y"] >= timer["y"] + timer["height"], (number, drawing)
        else:  # Beside the timer, level with it.
            assert drawing["x"] >= timer["x"] + timer["width"], (number, drawing)
            assert drawing["y"] < timer["y"] + timer["height"], (number, drawing)


# ----- a routine whose steps are alternatives (issue 27.9) ------------------

AEROBIC = "/routines/aerobic/"
AEROBIC_OFFLINE = "/routines/aerobic/offline/"
PICK = "Which one today?"


def test_offline_the_aerobic_routine_offers_one_step_and_records_it_alone(
    screen, catalogue, dialogs
):
    page = screen
    errors = casey_on_a_stubbed_player(page, dialogs)
    page.goto("/routines/aerobic/guide/")
    online = page.get_by_role("group", name=PICK).inner_text()
    page.goto(AEROBIC)
    controlled(page)
    wait_for_plan(page, "aerobic")
    page.context.set_offline(True)
    page.goto(AEROBIC_OFFLINE)

    # The safety check asks which one, as online, and starts none unpicked.
    choice = page.get_by_role("group", name=PICK)
    expect(choice.get_by_role("radio")).to_have_count(2)
    assert choice.inner_text() == online
    expect(page.locator(".lead")).to_contain_text("one of 2 exercises, picked below")
    assert_no_axe_violations(page)
    tick_and_start(page)
    expect(page.get_by_role("alert")).to_contain_text(
        "Choose which one you will do today."
    )
    expect(page).to_have_url(re.compile(rf"{AEROBIC_OFFLINE}$"))
    choice.get_by_label("Treadmill, 20–30 minutes").check()
    page.get_by_role("button", name="Start guided session").click()

    # The treadmill alone: the only step of the session.
    expect(page).to_have_url(re.compile(rf"{AEROBIC_OFFLINE}2/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Treadmill")
    expect(page.locator("#step-counter")).to_have_text("Step 1 of 1")
    assert page.title().startswith("Step 1 of 1: Treadmill")
    expect(page.get_by_role("link", name="← Safety check")).to_have_attribute(
        "href", AEROBIC_OFFLINE
    )
    expect(page.locator("[data-player]")).to_have_attribute("data-next-name", "")
    expect(page.get_by_role("button", name="Done, next step →")).to_have_count(0)
    # The bike is not part of it: its address leads to the treadmill.
    page.goto(f"{AEROBIC_OFFLINE}1/")
    expect(page).to_have_url(re.compile(rf"{AEROBIC_OFFLINE}2/$"))
    player = page.locator("[data-player]")
    press(player, "Start")
    page.clock.run_for("21:00")
    press(player, "Stop")
    page.get_by_role("button", name="Done, finish →").click()

    expect(page).to_have_url(re.compile(rf"{AEROBIC_OFFLINE}finish/$"))
    expect(page.locator(".guide-summary li")).to_have_count(1)
    expect(page.locator(".guide-summary")).to_contain_text("Treadmill")
    expect(page.locator(".guide-summary .badge")).to_have_text(["Done"])
    choose_pain(page, before=4, after=3)
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    [queued] = page.evaluate(QUEUED)
    assert queued["run"]["chosen"] == 2
    assert [step["outcome"] for step in queued["run"]["steps"]] == ["done"]

    page.context.set_offline(False)
    expect(
        page.get_by_text(re.compile(r"Your Aerobic session from .+ was added"))
    ).to_be_visible(timeout=15_000)
    session = CompletedSession.objects.get()
    assert [
        (step.exercise_name, step.order, step.outcome)
        for step in session.steps.order_by("order")
    ] == [("Treadmill", 2, "done")]
    assert 1260 <= session.steps.get().seconds <= 1265
    assert errors == []


# ----- the routine's page kept with its plan (issue 27.4) ------------------

# The worker's own fetch of the routine's page (keepPlan), not a navigation.
ROUTINE_PAGE_URL = re.compile(r"/routines/practice/$")


def from_the_worker(request):
    # A navigation passed on by the worker asks for HTML; its fetch() for
    # the page asks for anything.
    return request.service_worker is not None and request.headers["accept"] == "*/*"


def test_the_plan_is_kept_when_the_routine_page_cannot_be_fetched(page, practice):
    errors = page_errors(page)
    refused = []

    def no_page(route):
        if from_the_worker(route.request):
            refused.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.context.route(ROUTINE_PAGE_URL, no_page)
    sign_in(page, UserFactory(username="casey"))
    page.goto(ROUTINE)
    controlled(page)

    wait_for_plan(page)
    assert refused, "the worker never asked for the routine's page"
    page.context.set_offline(True)
    page.goto(OFFLINE)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Before you start: safety check"
    )
    start_with_pain(page, "5")
    expect(page).to_have_url(re.compile(rf"{OFFLINE}1/$"))
    expect(page.locator("#step-counter")).to_have_text("Step 1 of 4")
    assert errors == []


def test_the_routine_page_is_fetched_again_only_when_the_catalogue_changed(
    page, practice
):
    fetched = []

    def count(route):
        if from_the_worker(route.request):
            fetched.append(route.request.url)
        route.continue_()

    def reopen():
        # The worker keeps the plan after the page is answered: wait for it.
        with page.context.expect_event(
            "requestfinished", lambda request: request.url.endswith("plan.json")
        ):
            page.reload()
        page.wait_for_timeout(1000)

    page.context.route(ROUTINE_PAGE_URL, count)
    page.goto(ROUTINE)
    controlled(page)
    wait_for_plan(page)
    first = len(fetched)

    reopen()
    reopen()
    unchanged = len(fetched)
    practice.summary = "A new summary, on the routine's page only."
    practice.save()
    catalogue_changed()
    reopen()

    assert first >= 1
    assert unchanged == first
    assert len(fetched) == first + 1
