"""A guided run in the browser: the player on every step, the keyboard, the
stopwatch's targets, and the run without JavaScript."""

import re

from playwright.sync_api import expect

from tests.browser.flows import (
    BEGINNER_STEPS,
    assert_no_axe_violations,
    expect_done_and_saved,
    expect_finish,
    open_step,
    page_errors,
    player_of,
    start_guide,
)

# Beginner holds: 10 holds of 5 s with a 3 s get-ready pause between them.
BEGINNER_HOLDS_MS = 10 * 5_000 + 9 * 3_000


# ----- the seed's beginner routine -----------------------------------------


def test_walk_beginner_routine_with_the_player(page, catalogue):
    errors = page_errors(page)
    page.clock.install()
    start_guide(page, "beginner")

    for number, name in enumerate(BEGINNER_STEPS, start=1):
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
            phase = player.locator("[data-player-phase]")
            expect(phase).to_have_text("Get into position")
            page.clock.run_for(5_000)  # The lead-in.
            expect(phase).to_have_text("Hold")
            expect(reps).to_have_text("Repetition 1 of 10")
            page.clock.run_for(5_000)
            expect(reps).to_have_text("Repetition 2 of 10")
            page.clock.run_for(BEGINNER_HOLDS_MS - 5_000)
            expect(reps).to_have_text("All 10 repetitions done")
        expect_done_and_saved(page)

        page.reload()
        expect(page.get_by_text("Marked: Done")).to_be_visible()
        page.locator("[data-guide-next]").click()

    expect_finish(page, "beginner", ["Done"] * 6)
    assert errors == []


def test_nerve_pain_warning_is_only_on_straight_leg_raises(page, catalogue):
    start_guide(page, "beginner")

    for number in range(1, 7):
        page.goto(f"/routines/beginner/guide/{number}/")
        warning = page.locator(".warning", has_text="nerve pain")
        if number == 6:
            expect(warning).to_be_visible()
            expect(warning).to_have_class(re.compile(r"\bwarning-avoid\b"))
        else:
            expect(warning).to_have_count(0)


def test_guide_works_without_javascript(no_js_page, catalogue):
    page = no_js_page
    start_guide(page, "beginner")

    for number, name in enumerate(BEGINNER_STEPS, start=1):
        expect(page).to_have_url(re.compile(rf"/guide/{number}/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(page.locator("[data-player]")).to_be_hidden()
        if number == 2:
            page.locator("[data-guide-skip]").click()
        else:
            page.locator("[data-guide-next]").click()

    outcomes = ["Done", "Skipped", "Done", "Done", "Done", "Done"]
    expect_finish(page, "beginner", outcomes)
    expect(page.locator(".guide-summary li")).to_have_count(6)
    for item, name in zip(
        page.locator(".guide-summary li").all(), BEGINNER_STEPS, strict=True
    ):
        expect(item).to_contain_text(name)


def test_player_fits_a_360px_phone(phone_page, catalogue):
    page = phone_page
    start_guide(page, "beginner")
    for number in (1, 3):
        page.goto(f"/routines/beginner/guide/{number}/")
        player = player_of(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
        for button in player.get_by_role("button").all():
            assert button.bounding_box()["height"] >= 44, button.inner_text()


# ----- the player's controls, on a routine of every kind of step -----------


def test_keyboard_starts_pauses_and_moves_between_steps(page, practice):
    page.clock.install()
    player = open_step(page, "practice", 2)  # Bridge: 5 holds of 6 s.
    clock = player.locator("[data-player-clock]")
    toggle = player.locator("[data-player-toggle]")
    expect(clock).to_have_text("0:06")

    page.keyboard.press("Space")
    expect(toggle).to_have_text("Pause")
    page.clock.run_for(5_000 + 2_000)  # The lead-in, then 2 s of the hold.
    expect(clock).to_have_text("0:04")

    page.keyboard.press("Space")
    expect(toggle).to_have_text("Resume")
    expect(player.locator("[data-player-phase]")).to_have_text("Paused: hold")
    page.clock.run_for(3_000)
    expect(clock).to_have_text("0:04")

    page.keyboard.press("Space")
    page.clock.run_for(1_000)
    expect(clock).to_have_text("0:03")

    player.get_by_role("button", name="Reset").click()
    expect(clock).to_have_text("0:03")  # Not yet: Reset asks first.
    player.get_by_role("button", name="Yes, reset").click()
    expect(clock).to_have_text("0:06")
    expect(toggle).to_have_text("Start")
    expect(player.locator("[data-player-reps]")).to_have_text("Repetition 1 of 5")

    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"/guide/3/$"))
    # The keys work once the step's player is up (its script shows it).
    expect(page.locator("[data-player]")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(re.compile(r"/guide/2/$"))


def test_stopwatch_marks_the_shortest_and_the_longest_target(page, practice):
    page.clock.install()
    player = open_step(page, "practice", 4)  # Walk: 10 to 15 minutes.
    first, second = player.locator("[data-player-target]").all()
    expect(first).to_have_text("10-minute target")
    expect(second).to_have_text("15-minute target")

    player.get_by_role("button", name="Start").click()
    page.clock.run_for("09:58")
    expect(first).not_to_have_class(re.compile(r"\bis-reached\b"))
    page.clock.run_for("00:02")
    expect(first).to_have_text("10-minute target reached")
    expect(first).to_have_class(re.compile(r"\bis-reached\b"))
    expect(second).to_have_text("15-minute target")
    expect(player.locator("[data-player-clock]")).to_have_text("10:00")
    expect(player.locator("[data-player-saved]")).to_have_text(
        "Saved: this step is marked done."
    )

    page.clock.run_for("05:00")
    expect(second).to_have_text("15-minute target reached")
    expect(player.get_by_role("status")).to_have_text(
        "15-minute target reached. Exercise done; stop when you are ready."
    )
    # The walk goes on until the person stops it.
    page.clock.run_for(5_000)
    expect(player.locator("[data-player-clock]")).to_have_text("15:05")
    player.get_by_role("button", name="Stop").click()
    page.clock.run_for(5_000)
    expect(player.locator("[data-player-clock]")).to_have_text("15:05")


def test_player_respects_reduced_motion(page, practice):
    clock = open_step(page, "practice", 4).locator("[data-player-clock]")
    assert clock.evaluate("el => getComputedStyle(el).transitionDuration") != "0s"

    page.emulate_media(reduced_motion="reduce")
    assert clock.evaluate("el => getComputedStyle(el).transitionDuration") == "0s"


def test_guide_pages_pass_axe(page, practice):
    # Without transitions axe never sees a colour halfway between two states.
    page.emulate_media(reduced_motion="reduce")
    page.goto("/routines/practice/guide/")
    # Both warnings are listed: the step's avoid and the routine's consult.
    expect(page.get_by_role("region", name="Avoid")).to_be_visible()
    expect(page.get_by_role("region", name="Consult a doctor")).to_be_visible()
    assert_no_axe_violations(page)

    # Step 3 carries the avoid-warning, and holds each side.
    player = open_step(page, "practice", 3)
    expect(page.locator(".warning-avoid")).to_be_visible()
    player.get_by_role("button", name="Start").click()
    assert_no_axe_violations(page)

    page.goto("/routines/practice/guide/1/")
    player_of(page)
    assert_no_axe_violations(page)

    page.goto("/routines/practice/guide/finish/")
    assert_no_axe_violations(page)


def test_mute_and_settings_are_remembered(page, practice):
    player = open_step(page, "practice", 1)
    mute = player.get_by_role("button", name="Mute sound")
    lead_in = player.get_by_label("Time to get into position")
    auto = player.get_by_label("Go on to the next step by itself")
    expect(mute).to_have_attribute("aria-pressed", "false")
    player.get_by_text("Settings").click()
    expect(lead_in).to_have_value("5")
    expect(auto).to_be_checked()

    mute.click()
    lead_in.select_option("10")
    auto.uncheck()
    expect(mute).to_have_attribute("aria-pressed", "true")

    page.reload()
    player.get_by_text("Settings").click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(lead_in).to_have_value("10")
    expect(auto).not_to_be_checked()
    page.goto("/routines/practice/guide/2/")
    expect(mute).to_have_attribute("aria-pressed", "true")

    mute.click()
    page.reload()
    expect(mute).to_have_attribute("aria-pressed", "false")
    player.get_by_text("Settings").click()
    expect(lead_in).to_have_value("10")


def test_continue_resumes_at_the_first_step_not_yet_marked(screen, practice):
    page = screen
    start_guide(page, "practice")
    page.get_by_role("button", name="Done, next step →").click()
    page.get_by_role("button", name="Skip", exact=True).click()
    expect(page.locator("#step-counter")).to_have_text("Step 3 of 4")

    for path in ("/routines/practice/", "/routines/practice/guide/"):
        page.goto(path)
        page.get_by_role("link", name="Continue at step 3 of 4").click()
        expect(page).to_have_url(re.compile(r"/routines/practice/guide/3/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Leg stretch")
