"""Each side in every player mode: right first, then left, then done.

A counted step and a held step, both with "each side", on a phone and on a
laptop; the recording stubs of test_player_apis show the prompts and sounds.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS, open_page
from tests.browser.test_guide import expect_done_and_saved, player_of, start_guide
from tests.browser.test_player_apis import STUBS, press, recorded
from tests.factories import ExerciseFactory, RoutineFactory, RoutineStepFactory

pytestmark = pytest.mark.browser

# Step 2: two holds of 5 s a side, 3 s to get ready between them, 5 s to
# switch sides: the right side ends at 13 s, the left holds start at 18 s
# and 26 s, and the step ends at 31 s.
HOLD_MS = 5_000


@pytest.fixture(params=SCREENS, ids=SCREENS)
def screen(browser, request, live_server):
    page = open_page(browser, request, live_server, **SCREENS[request.param])
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.add_init_script(STUBS)
    page.clock.install()
    yield page
    assert errors == []


@pytest.fixture
def sided(db):
    routine = RoutineFactory(slug="sided", title="Sided")
    RoutineStepFactory(
        routine=routine,
        exercise=ExerciseFactory(slug="heel-slides", name="Heel slides"),
        order=1,
        repetitions=3,
        each_side=True,
    )
    RoutineStepFactory(
        routine=routine,
        exercise=ExerciseFactory(slug="knee-to-chest", name="Knee to chest"),
        order=2,
        repetitions=2,
        hold_seconds=5,
        each_side=True,
    )
    RoutineStepFactory(
        routine=routine,
        exercise=ExerciseFactory(slug="marching", name="Marching on the spot"),
        order=3,
        repetitions=None,
        duration_min_minutes=1,
        duration_max_minutes=2,
        each_side=True,
    )
    return routine


def open_sided_step(page, number):
    start_guide(page, "sided")
    if number != 1:
        page.goto(f"/routines/sided/guide/{number}/")
    player = player_of(page)
    press(player, "Speak prompts")
    return player


def expect_not_done(page, player):
    expect(player).not_to_have_class(re.compile(r"\bis-done\b"))
    expect(player.locator("[data-player-saved]")).to_be_hidden()
    expect(page.get_by_text("Marked: Done")).to_have_count(0)


def expect_side_note(page, repetitions):
    expect(page.locator(".side-note")).to_have_text(
        f"Sides: do the {repetitions} on your right side, then on your left side."
    )


def test_counter_counts_the_right_side_then_the_left(screen, sided):
    page = screen
    player = open_sided_step(page, 1)
    expect(player.locator("#player-title")).to_have_text("Counter")
    expect_side_note(page, "3 repetitions")
    side = player.locator("[data-player-side]")
    reps = player.locator("[data-player-reps]")
    number = player.locator("[data-player-count-number]")
    status = player.get_by_role("status")
    count = player.get_by_role("button", name="Tap to count")
    expect(side).to_have_text("Now: right side")
    expect(side).to_be_in_viewport()
    expect(reps).to_have_text("0 of 3 repetitions")

    for tap in (1, 2):
        count.click()
        expect(side).to_have_text("Now: right side")
        expect(reps).to_have_text(f"{tap} of 3 repetitions")
        expect(number).to_have_text(str(tap))
        expect(status).to_have_text(f"Repetition {tap} of 3 counted, right side.")

    count.click()  # The last one on the right switches sides, as a hold does.
    expect(side).to_have_text("Now: left side")
    expect(reps).to_have_text("0 of 3 repetitions")
    expect(number).to_have_text("0")
    expect(status).to_have_text("Right side done. Switch to the left side.")
    expect(count).to_be_enabled()
    expect_not_done(page, player)
    assert recorded(page, "beeps") == [880]

    for tap in (1, 2):
        count.click()
        expect(side).to_have_text("Now: left side")
        expect(reps).to_have_text(f"{tap} of 3 repetitions")
        expect(number).to_have_text(str(tap))
        expect(status).to_have_text(f"Repetition {tap} of 3 counted, left side.")
    expect_not_done(page, player)

    count.click()
    expect(reps).to_have_text("All 3 repetitions done on both sides")
    expect(count).to_be_disabled()
    expect_done_and_saved(page)
    assert recorded(page, "beeps") == [880, 880]
    assert recorded(page, "spoken") == ["Switch to the left side", "Exercise done"]

    page.reload()
    expect(page.get_by_text("Marked: Done")).to_be_visible()


def test_undo_takes_the_counter_back_across_the_change_of_sides(screen, sided):
    page = screen
    player = open_sided_step(page, 1)
    side = player.locator("[data-player-side]")
    reps = player.locator("[data-player-reps]")
    count = player.get_by_role("button", name="Tap to count")
    undo = player.get_by_role("button", name="Undo last")
    expect(undo).to_be_disabled()

    for _ in range(3):
        count.click()
    expect(side).to_have_text("Now: left side")
    expect(undo).to_be_enabled()

    undo.click()
    expect(side).to_have_text("Now: right side")
    expect(reps).to_have_text("2 of 3 repetitions")
    expect(player.get_by_role("status")).to_have_text("Back to 2 of 3, right side.")

    count.click()
    expect(side).to_have_text("Now: left side")
    expect(reps).to_have_text("0 of 3 repetitions")
    expect_not_done(page, player)


def test_hold_timer_holds_the_right_side_then_the_left(screen, sided):
    page = screen
    player = open_sided_step(page, 2)
    expect(player.locator("#player-title")).to_have_text("Hold timer")
    expect_side_note(page, "2 repetitions")
    side = player.locator("[data-player-side]")
    reps = player.locator("[data-player-reps]")
    status = player.get_by_role("status")
    expect(side).to_have_text("Now: right side")
    expect(side).to_be_in_viewport()

    press(player, "Start")
    expect(status).to_have_text("Hold for 5 seconds. Repetition 1 of 2, right side.")
    page.clock.run_for(HOLD_MS + 500)
    expect(side).to_have_text("Now: right side")
    expect(reps).to_have_text("Repetition 2 of 2")
    page.clock.run_for(7_000)  # 12.5 s: the last hold on the right.
    expect(side).to_have_text("Now: right side")
    expect(reps).to_have_text("Repetition 2 of 2")

    page.clock.run_for(1_000)  # 13.5 s: time to switch.
    expect(side).to_have_text("Now: left side")
    expect(reps).to_have_text("Repetition 1 of 2")
    expect(status).to_have_text("Right side done. Switch to the left side.")
    expect_not_done(page, player)

    page.clock.run_for(5_000)  # 18.5 s: the first hold on the left.
    expect(status).to_have_text("Hold. Repetition 1 of 2, left side.")
    page.clock.run_for(12_000)  # 30.5 s: the last hold on the left.
    expect(side).to_have_text("Now: left side")
    expect(reps).to_have_text("Repetition 2 of 2")
    expect_not_done(page, player)

    page.clock.run_for(1_000)
    expect(reps).to_have_text("All 2 repetitions done on both sides")
    expect_done_and_saved(page)
    assert recorded(page, "beeps") == [880] * 4
    one_side = ["Hold", "Relax", "Hold"]
    spoken = [*one_side, "Switch to the left side", *one_side, "Exercise done"]
    assert recorded(page, "spoken") == spoken


def test_stopwatch_has_no_sides_to_promise(screen, sided):
    page = screen
    player = open_sided_step(page, 3)
    expect(player.locator("#player-title")).to_have_text("Stopwatch")
    expect(page.locator(".dose")).to_have_text("Dose: 1–2 minutes")
    expect(page.locator(".side-note")).to_have_count(0)
    expect(player.locator("[data-player-side]")).to_have_count(0)

    press(player, "Start")
    page.clock.run_for("02:01")
    expect(player.get_by_role("status")).to_have_text(
        "2-minute target reached. Exercise done."
    )
    expect(player).not_to_contain_text("side")
