"""The lead-in is not a hold: "Get into position", then 3, 2, 1 with the
second now lit, in its own amber look and with its own beeps, never the
hold's clock; and the controls stay where they were, so a tap still lands.

Recording stubs (player_stubs.js) stand in for Web Audio, speech and the wake
lock; Playwright's clock runs the timers. The lead-in is the default 5 s."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.flows import (
    open_step,
    press,
    recorded,
    stubbed_player,
)

COUNTDOWN = [880]
HOLD_START = [784, 1175]
LEAD_IN_MS = 5_000


@pytest.fixture
def stubbed(screen, practice):
    yield from stubbed_player(screen)


def stand_still(page):
    """The page's clock moves only when the test runs it: on a slow machine
    the lead-in must not run on into the hold between two checks."""
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)


def countdown_of(player):
    return player.locator("[data-player-countdown]")


def expect_lit(player, lit, *, past=()):
    """The countdown shows 3 2 1, `lit` (or none) the number now."""
    countdown = countdown_of(player)
    expect(countdown).to_be_visible()
    expect(countdown).to_have_text(re.compile(r"^\s*3\s*2\s*1\s*$"))
    for number in (3, 2, 1):
        item = countdown.locator(f"[data-count='{number}']")
        if number == lit:
            expect(item).to_have_class(re.compile(r"\bis-now\b"))
        else:
            expect(item).not_to_have_class(re.compile(r"\bis-now\b"))
        if number in past:
            expect(item).to_have_class(re.compile(r"\bis-past\b"))
        else:
            expect(item).not_to_have_class(re.compile(r"\bis-past\b"))


def assert_in_place(toggle, ready_at):
    """Start/Pause has not moved since the step was ready (but for the 2 px
    of the hold's thicker frame), so a tap aimed at it still lands."""
    assert abs(toggle.bounding_box()["y"] - ready_at) <= 2


def colours(locator):
    return locator.evaluate(
        "(element) => [getComputedStyle(element).color,"
        " getComputedStyle(element).backgroundColor]"
    )


def test_a_held_steps_lead_in_counts_3_2_1_in_its_own_look(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)  # Bridge: 5 holds of 6 s.
    stand_still(page)
    phase = player.locator("[data-player-phase]")
    clock = player.locator("[data-player-clock]")
    toggle = player.locator("[data-player-toggle]")
    expect(clock).to_have_text("0:06")
    expect(countdown_of(player)).to_be_hidden()
    ready_at = toggle.bounding_box()["y"]

    press(player, "Start")

    expect(player).to_have_class(re.compile(r"\bis-leadin\b"))
    expect(phase).to_have_text("Get into position")
    expect(clock).to_be_hidden()  # Never the hold's 0:05 … 0:01.
    expect_lit(player, None)
    assert_in_place(toggle, ready_at)
    lead_in_look = colours(countdown_of(player).locator("[data-count='3']"))

    page.clock.run_for(2_500)
    expect_lit(player, 3)
    page.clock.run_for(1_000)
    expect_lit(player, 2, past=(3,))
    press(player, "Pause")
    expect(phase).to_have_text("Paused: get into position")
    expect_lit(player, 2, past=(3,))
    press(player, "Resume")
    page.clock.run_for(1_000)
    expect_lit(player, 1, past=(3, 2))
    # Its own sound: a beep for each of 3, 2, 1, none of the hold's.
    assert recorded(page, "beeps") == COUNTDOWN * 3

    page.clock.run_for(600)  # The hold starts, with its own sound.
    expect(player).not_to_have_class(re.compile(r"\bis-leadin\b"))
    expect(phase).to_have_text("Hold")
    expect(countdown_of(player)).to_be_hidden()
    expect(clock).to_be_visible()
    expect(clock).to_have_text("0:06")
    assert recorded(page, "beeps") == COUNTDOWN * 3 + HOLD_START
    assert_in_place(toggle, ready_at)
    assert colours(clock) != lead_in_look


def test_a_counted_steps_lead_in_counts_3_2_1_on_the_tap_button(stubbed):
    page = stubbed
    player = open_step(page, "practice", 1)  # Knee rocks: 10, counted.
    stand_still(page)
    number = player.locator("[data-player-count-number]")
    toggle = player.locator("[data-player-toggle]")
    ready_at = toggle.bounding_box()["y"]

    press(player, "Start")

    expect(player).to_have_class(re.compile(r"\bis-leadin\b"))
    expect(player.locator("[data-player-phase]")).to_have_text("Get into position")
    expect(number).to_be_hidden()
    expect_lit(player, None)
    assert_in_place(toggle, ready_at)
    page.clock.run_for(4_500)
    expect_lit(player, 1, past=(3, 2))

    page.clock.run_for(600)  # Counting starts.
    expect(player).not_to_have_class(re.compile(r"\bis-leadin\b"))
    expect(player.locator("[data-player-phase]")).to_have_text("Counting")
    expect(countdown_of(player)).to_be_hidden()
    expect(number).to_have_text("0")
    assert_in_place(toggle, ready_at)
