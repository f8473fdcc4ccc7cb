import re

import pytest
from playwright.sync_api import expect

from tests.browser.flows import assert_no_axe_violations

pytestmark = pytest.mark.browser

BEGINNER = [
    "Ankle pumps",
    "Heel slides",
    "Abdominal contraction",
    "Wall squats",
    "Heel raises",
    "Straight-leg raises",
]
# Beginner holds: 10 holds of 5 s with a 3 s get-ready pause between them.
BEGINNER_HOLDS_MS = 10 * 5_000 + 9 * 3_000


def start_guide(page, slug="beginner"):
    page.goto(f"/routines/{slug}/guide/")
    page.get_by_label("I have read these warnings").check()
    page.get_by_role("button", name="Start guided session").click()
    expect(page).to_have_url(re.compile(rf"/routines/{slug}/guide/1/$"))


def player_of(page):
    player = page.locator("[data-player]")
    expect(player).to_be_visible()
    return player


def expect_done_and_saved(page):
    player = page.locator("[data-player]")
    expect(player.get_by_role("status")).to_contain_text("Exercise done")
    expect(player.locator("[data-player-saved]")).to_have_text(
        "Saved: this step is marked done."
    )
    expect(page.locator("[data-guide-next]")).to_be_focused()


def test_walk_beginner_routine_with_the_player(page, catalogue):
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.clock.install()
    start_guide(page)

    for number, name in enumerate(BEGINNER, start=1):
        expect(page).to_have_url(re.compile(rf"/guide/{number}/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        player = player_of(page)
        reps = player.locator("[data-player-reps]")
        if player.get_attribute("data-mode") == "count":
            count = player.get_by_role("button", name="Tap to count")
            for _ in range(9):
                count.click()
            expect(reps).to_have_text("9 of 10 repetitions")
            count.click()
            expect(count).to_be_disabled()
        else:
            player.get_by_role("button", name="Start").click()
            expect(reps).to_have_text("Repetition 1 of 10")
            page.clock.run_for(5_000)
            expect(reps).to_have_text("Repetition 2 of 10")
            page.clock.run_for(BEGINNER_HOLDS_MS - 5_000)
            expect(reps).to_have_text("All 10 repetitions done")
        expect_done_and_saved(page)

        page.reload()
        expect(page.get_by_text("Marked: Done")).to_be_visible()
        page.locator("[data-guide-next]").click()

    expect(page).to_have_url(re.compile(r"/routines/beginner/guide/finish/$"))
    expect(page.locator(".guide-summary .badge")).to_have_text(["Done"] * 6)
    assert errors == []


def test_each_side_step_switches_from_right_to_left(page, catalogue):
    page.clock.install()
    start_guide(page, "intermediate")
    player = player_of(page)
    side = player.locator("[data-player-side]")
    reps = player.locator("[data-player-reps]")
    expect(side).to_have_text("Now: right side")

    player.get_by_role("button", name="Start").click()
    page.clock.run_for(20_000)
    expect(reps).to_have_text("Repetition 2 of 5")
    # Five holds of 20 s with 3 s between them end the right side at 112 s.
    page.clock.run_for(91_000)
    expect(side).to_have_text("Now: right side")
    expect(reps).to_have_text("Repetition 5 of 5")
    page.clock.run_for(1_000)
    expect(side).to_have_text("Now: left side")
    expect(reps).to_have_text("Repetition 1 of 5")
    expect(player.get_by_role("status")).to_contain_text("Switch to the left side")

    # A 5 s pause to change sides, then five more holds: done at 229 s.
    page.clock.run_for(116_000)
    expect(reps).to_have_text("Repetition 5 of 5")
    page.clock.run_for(1_000)
    expect(reps).to_have_text("All 5 repetitions done on both sides")
    expect_done_and_saved(page)


def test_nerve_pain_warning_is_only_on_straight_leg_raises(page, catalogue):
    start_guide(page)

    for number in range(1, 7):
        page.goto(f"/routines/beginner/guide/{number}/")
        warning = page.locator(".warning", has_text="nerve pain")
        if number == 6:
            expect(warning).to_be_visible()
            expect(warning).to_have_class(re.compile(r"\bwarning-avoid\b"))
        else:
            expect(warning).to_have_count(0)


def test_keyboard_starts_pauses_and_moves_between_steps(page, catalogue):
    page.clock.install()
    start_guide(page)
    page.goto("/routines/beginner/guide/3/")
    player = player_of(page)
    clock = player.locator("[data-player-clock]")
    toggle = player.locator("[data-player-toggle]")
    expect(clock).to_have_text("0:05")

    page.keyboard.press("Space")
    expect(toggle).to_have_text("Pause")
    page.clock.run_for(2_000)
    expect(clock).to_have_text("0:03")

    page.keyboard.press("Space")
    expect(toggle).to_have_text("Resume")
    expect(player.locator("[data-player-phase]")).to_have_text("Paused: hold")
    page.clock.run_for(3_000)
    expect(clock).to_have_text("0:03")

    page.keyboard.press("Space")
    page.clock.run_for(1_000)
    expect(clock).to_have_text("0:02")

    player.get_by_role("button", name="Reset").click()
    expect(clock).to_have_text("0:05")
    expect(toggle).to_have_text("Start")
    expect(player.locator("[data-player-reps]")).to_have_text("Repetition 1 of 10")

    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"/guide/4/$"))
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(re.compile(r"/guide/3/$"))


def test_guide_works_without_javascript(no_js_page, catalogue):
    page = no_js_page
    start_guide(page)

    for number, name in enumerate(BEGINNER, start=1):
        expect(page).to_have_url(re.compile(rf"/guide/{number}/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(page.locator("[data-player]")).to_be_hidden()
        if number == 2:
            page.locator("[data-guide-skip]").click()
        else:
            page.locator("[data-guide-next]").click()

    expect(page).to_have_url(re.compile(r"/routines/beginner/guide/finish/$"))
    outcomes = ["Done", "Skipped", "Done", "Done", "Done", "Done"]
    expect(page.locator(".guide-summary .badge")).to_have_text(outcomes)
    expect(page.locator(".guide-summary li")).to_have_count(6)
    for item, name in zip(
        page.locator(".guide-summary li").all(), BEGINNER, strict=True
    ):
        expect(item).to_contain_text(name)


def test_aerobic_stopwatch_marks_the_20_minute_target(page, catalogue):
    page.clock.install()
    start_guide(page, "aerobic")
    player = player_of(page)
    first, second = player.locator("[data-player-target]").all()
    expect(first).to_have_text("20-minute target")
    expect(second).to_have_text("30-minute target")

    player.get_by_role("button", name="Start").click()
    page.clock.run_for("19:58")
    expect(first).not_to_have_class(re.compile(r"\bis-reached\b"))
    page.clock.run_for("00:02")
    expect(first).to_have_text("20-minute target reached")
    expect(first).to_have_class(re.compile(r"\bis-reached\b"))
    expect(second).to_have_text("30-minute target")
    expect(player.locator("[data-player-clock]")).to_have_text("20:00")
    expect(player.locator("[data-player-saved]")).to_have_text(
        "Saved: this step is marked done."
    )

    page.clock.run_for("10:00")
    expect(second).to_have_text("30-minute target reached")
    expect(player.get_by_role("status")).to_contain_text("Exercise done")
    page.clock.run_for(5_000)
    expect(player.locator("[data-player-clock]")).to_have_text("30:00")


def test_player_respects_reduced_motion(page, catalogue):
    start_guide(page, "aerobic")
    clock = player_of(page).locator("[data-player-clock]")
    assert clock.evaluate("el => getComputedStyle(el).transitionDuration") != "0s"

    page.emulate_media(reduced_motion="reduce")
    assert clock.evaluate("el => getComputedStyle(el).transitionDuration") == "0s"


def test_guide_pages_pass_axe(page, catalogue):
    # Without transitions axe never sees a colour halfway between two states.
    page.emulate_media(reduced_motion="reduce")
    page.goto("/routines/beginner/guide/")
    assert_no_axe_violations(page)

    start_guide(page)
    page.goto("/routines/beginner/guide/6/")
    player_of(page).get_by_role("button", name="Start").click()
    assert_no_axe_violations(page)

    page.goto("/routines/beginner/guide/1/")
    player_of(page)
    assert_no_axe_violations(page)

    page.goto("/routines/beginner/guide/finish/")
    assert_no_axe_violations(page)


def test_mute_and_speech_toggles_are_remembered(page, catalogue):
    start_guide(page)
    player = player_of(page)
    mute = player.get_by_role("button", name="Mute beep")
    speech = player.get_by_role("button", name="Speak prompts")
    expect(mute).to_have_attribute("aria-pressed", "false")
    expect(speech).to_have_attribute("aria-pressed", "false")

    mute.click()
    speech.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(speech).to_have_attribute("aria-pressed", "true")

    page.reload()
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(speech).to_have_attribute("aria-pressed", "true")
    page.goto("/routines/beginner/guide/2/")
    expect(mute).to_have_attribute("aria-pressed", "true")

    speech.click()
    page.reload()
    expect(speech).to_have_attribute("aria-pressed", "false")
    expect(mute).to_have_attribute("aria-pressed", "true")


def test_player_fits_a_360px_phone(phone_page, catalogue):
    page = phone_page
    start_guide(page)
    for number in (1, 3):
        page.goto(f"/routines/beginner/guide/{number}/")
        player = player_of(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
        for button in player.get_by_role("button").all():
            assert button.bounding_box()["height"] >= 44, button.inner_text()


@pytest.mark.parametrize("width", [360, 1280])
def test_continue_resumes_at_the_first_step_not_yet_marked(page, catalogue, width):
    page.set_viewport_size({"width": width, "height": 800})
    start_guide(page)
    page.get_by_role("button", name="Done, next step →").click()
    page.get_by_role("button", name="Skip", exact=True).click()
    expect(page.locator("#step-counter")).to_have_text("Step 3 of 6")

    page.goto("/routines/beginner/")
    page.get_by_role("link", name="Continue at step 3 of 6").click()
    expect(page).to_have_url(re.compile(r"/routines/beginner/guide/3/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Abdominal contraction")

    page.goto("/routines/beginner/guide/")
    page.get_by_role("link", name="Continue at step 3 of 6").click()
    expect(page).to_have_url(re.compile(r"/routines/beginner/guide/3/$"))
