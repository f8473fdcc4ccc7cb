"""Each side in every player mode: right first, then left, then done.

A counted step and a held step, both with "each side", on a phone and on a
laptop; the recording stubs (player_stubs.js) show the prompts and sounds.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.flows import (
    NO_LEAD_IN,
    expect_done_and_saved,
    open_step,
    press,
    recorded,
    stubbed_player,
)
from tests.factories import ExerciseFactory, RoutineFactory, RoutineStepFactory

# Step 2: two holds of 5 s a side, 3 s to get ready between them, 5 s to
# switch sides: the right side ends at 13 s, the left holds start at 18 s
# and 26 s, and the step ends at 31 s.
HOLD_MS = 5_000
TICK = [1568]
HOLD_START = [784, 1175]
HOLD_END = [659, 440]
# Each step does "each side": counted, held and timed.
SIDED_STEPS = [
    ("heel-slides", "Heel slides", {"repetitions": 3}),
    ("knee-to-chest", "Knee to chest", {"repetitions": 2, "hold_seconds": 5}),
    (
        "marching",
        "Marching on the spot",
        {"repetitions": None, "duration_min_minutes": 1, "duration_max_minutes": 2},
    ),
]


@pytest.fixture
def sided(db):
    routine = RoutineFactory(slug="sided", title="Sided")
    for order, (slug, name, dose) in enumerate(SIDED_STEPS, start=1):
        exercise = ExerciseFactory(slug=slug, name=name)
        RoutineStepFactory(
            routine=routine, exercise=exercise, order=order, each_side=True, **dose
        )
    return routine


@pytest.fixture
def sided_screen(screen, sided):
    """The sided routine on each screen, its player calls recorded, on a fake
    clock, with no lead-in and no auto-advance (test_player_hands_free.py has
    those); no script error may happen."""
    yield from stubbed_player(screen, NO_LEAD_IN)


def open_sided_step(page, number):
    return open_step(page, "sided", number)


def expect_not_done(page, player):
    expect(player).not_to_have_class(re.compile(r"\bis-done\b"))
    expect(player.locator("[data-player-saved]")).to_be_hidden()
    expect(page.get_by_text("Marked: Done")).to_have_count(0)


def open_step_with_sides(page, number, title, repetitions):
    """A step's player, its title and side note checked, on the right side."""
    player = open_sided_step(page, number)
    expect(player.locator("#player-title")).to_have_text(title)
    expect(page.locator(".side-note")).to_have_text(
        f"Sides: do the {repetitions} on your right side, then on your left side."
    )
    side = player.locator("[data-player-side]")
    expect(side).to_have_text("Now: right side")
    expect(side).to_be_in_viewport()
    return player, side, player.locator("[data-player-reps]")


def tap_twice(player, side):
    """Two taps of three on one side, each counted and announced."""
    for tap in (1, 2):
        player.get_by_role("button", name="Tap to count").click()
        expect(player.locator("[data-player-side]")).to_have_text(f"Now: {side} side")
        expect(player.locator("[data-player-reps]")).to_have_text(
            f"{tap} of 3 repetitions"
        )
        expect(player.locator("[data-player-count-number]")).to_have_text(str(tap))
        expect(player.get_by_role("status")).to_have_text(
            f"Repetition {tap} of 3 counted, {side} side."
        )


def test_counter_counts_the_right_side_then_the_left(sided_screen):
    page = sided_screen
    player, side, reps = open_step_with_sides(page, 1, "Counter", "3 repetitions")
    number = player.locator("[data-player-count-number]")
    status = player.get_by_role("status")
    count = player.get_by_role("button", name="Tap to count")
    expect(reps).to_have_text("0 of 3 repetitions")

    tap_twice(player, "right")

    count.click()  # The last one on the right switches sides, as a hold does.
    expect(side).to_have_text("Now: left side")
    expect(reps).to_have_text("0 of 3 repetitions")
    expect(number).to_have_text("0")
    expect(status).to_have_text("Right side done. Switch to the left side.")
    expect(count).to_be_enabled()
    expect_not_done(page, player)
    assert recorded(page, "beeps") == TICK * 3 + HOLD_END

    tap_twice(player, "left")
    expect_not_done(page, player)

    count.click()
    expect(reps).to_have_text("All 3 repetitions done on both sides")
    expect(count).to_be_disabled()
    expect_done_and_saved(page)
    assert recorded(page, "beeps") == (TICK * 3 + HOLD_END) * 2
    assert recorded(page, "spoken") == [
        "Switch to the left side",
        "Step done, next: Knee to chest",
    ]

    page.reload()
    expect(page.get_by_text("Marked: Done")).to_be_visible()


def test_undo_takes_the_counter_back_across_the_change_of_sides(sided_screen):
    page = sided_screen
    player, side, reps = open_step_with_sides(page, 1, "Counter", "3 repetitions")
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


def test_hold_timer_holds_the_right_side_then_the_left(sided_screen):
    page = sided_screen
    player, side, reps = open_step_with_sides(page, 2, "Hold timer", "2 repetitions")
    status = player.get_by_role("status")

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
    assert recorded(page, "beeps") == (HOLD_START + HOLD_END) * 4
    one_side = ["Hold", "Relax", "Hold"]
    last = "Step done, next: Marching on the spot"
    spoken = [*one_side, "Switch to the left side", *one_side, last]
    assert recorded(page, "spoken") == spoken


def test_stopwatch_has_no_sides_to_promise(sided_screen):
    page = sided_screen
    player = open_sided_step(page, 3)
    expect(player.locator("#player-title")).to_have_text("Stopwatch")
    expect(page.locator(".dose")).to_have_text("Dose: 1–2 minutes")
    expect(page.locator(".side-note")).to_have_count(0)
    expect(player.locator("[data-player-side]")).to_have_count(0)

    press(player, "Start")
    page.clock.run_for("02:01")
    expect(player.get_by_role("status")).to_have_text(
        "2-minute target reached. Exercise done; stop when you are ready."
    )
    expect(player).not_to_contain_text("side")
