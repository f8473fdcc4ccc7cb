"""The player's browser APIs: sounds, wake lock, speech and live announcements.

Recording stubs (player_stubs.js) replace Web Audio, the Screen Wake Lock API
and speech synthesis before the page loads, so the tests see what the player
called. These tests turn the lead-in and auto-advance off, so the holds start
at Start and the page stays; test_player_hands_free.py covers both.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.flows import (
    NO_LEAD_IN,
    held_locks,
    open_step,
    press,
    recorded,
    start_guide,
    stub_player_apis,
)

HOLD_MS = 20_000
HOLD_START = [784, 1175]
HOLD_END = [659, 440]
# Practice step 2 (bridge): five holds of 6 s, 3 s to get ready between them.
BRIDGE_MS = 5 * 6_000 + 4 * 3_000
# Practice step 3 (leg stretch): three holds of 20 s on each side, 3 s between
# them and 5 s to switch sides.
LEG_STRETCH_MS = 2 * (3 * HOLD_MS + 2 * 3_000) + 5_000


@pytest.fixture
def player_stubs(page, practice):
    """The practice routine on a laptop whose player calls are recorded, on a
    fake clock, with no lead-in and no auto-advance."""
    page.add_init_script(NO_LEAD_IN)
    stub_player_apis(page)


def run_to_the_end(page, player, total_ms):
    page.clock.run_for(total_ms + 1_000)
    expect(player.get_by_role("status")).to_have_text("Exercise done.")


# ----- sound ---------------------------------------------------------------


def test_a_sound_marks_the_start_and_the_end_of_each_hold(page, player_stubs):
    player = open_step(page, "practice", 2)
    press(player, "Start")
    assert recorded(page, "beeps") == HOLD_START
    page.clock.run_for(5_000)
    assert recorded(page, "beeps") == HOLD_START

    page.clock.run_for(1_500)
    expect(player.locator("[data-player-phase]")).to_have_text("Rest")
    assert recorded(page, "beeps") == HOLD_START + HOLD_END

    page.clock.run_for(2_000)  # The second hold starts 9 s in.
    assert recorded(page, "beeps") == HOLD_START + HOLD_END
    page.clock.run_for(1_000)
    assert recorded(page, "beeps") == (HOLD_START + HOLD_END) + HOLD_START

    run_to_the_end(page, player, BRIDGE_MS - 9_500)
    assert recorded(page, "beeps") == (HOLD_START + HOLD_END) * 5


def test_mute_sound_silences_every_hold_and_every_word(page, player_stubs):
    player = open_step(page, "practice", 2)
    press(player, "Mute sound")
    press(player, "Start")
    run_to_the_end(page, player, BRIDGE_MS)
    assert recorded(page, "audioContexts") == 1
    assert recorded(page, "beeps") == []
    assert recorded(page, "spoken") == []


# ----- wake lock -----------------------------------------------------------


def test_screen_is_kept_awake_for_the_whole_session(page, player_stubs):
    player = open_step(page, "practice", 2)
    assert recorded(page, "wakeLock") == []

    press(player, "Start")
    expect(player.get_by_role("button", name="Pause")).to_be_visible()
    assert recorded(page, "wakeLock") == ["request screen"]
    assert held_locks(page) == 1

    press(player, "Pause")  # Paused: still awake, the person is on the mat.
    expect(player.get_by_role("button", name="Resume")).to_be_visible()
    assert held_locks(page) == 1

    press(player, "Resume")
    run_to_the_end(page, player, BRIDGE_MS)
    assert held_locks(page) == 1  # Between steps too.
    assert recorded(page, "wakeLock") == ["request screen"]

    page.get_by_role("button", name="Done, next step →").click()
    expect(page).to_have_url(re.compile(r"/guide/3/$"))
    # The next page takes it again at once, before any touch (a counted
    # step or a rest needs it as much as a hold).
    expect(player).to_be_visible()
    assert held_locks(page) == 1


def test_wake_lock_is_taken_back_when_the_page_shows_again(page, player_stubs):
    player = open_step(page, "practice", 2)
    press(player, "Start")
    expect(player.get_by_role("button", name="Pause")).to_be_visible()

    page.evaluate("window.__calls.setVisibility('hidden')")
    assert held_locks(page) == 0
    page.evaluate("window.__calls.setVisibility('visible')")
    assert held_locks(page) == 1
    assert recorded(page, "wakeLock") == ["request screen", "dropped", "request screen"]

    press(player, "Pause")
    page.evaluate("window.__calls.setVisibility('hidden')")
    page.evaluate("window.__calls.setVisibility('visible')")
    assert held_locks(page) == 1


def test_no_second_wake_lock_from_quick_start_pause_start(page, player_stubs):
    player = open_step(page, "practice", 2)
    # A slow request: the person presses again before the browser answers.
    page.evaluate("window.__calls.wakeLockDelayMs = 2000")
    press(player, "Start")
    press(player, "Pause")
    press(player, "Resume")
    page.clock.run_for(2_500)
    assert held_locks(page) == 1
    assert recorded(page, "wakeLock") == ["request screen"]

    press(player, "Pause")
    page.clock.run_for(2_500)
    assert held_locks(page) == 1


# ----- speech --------------------------------------------------------------


def test_spoken_prompts_follow_the_holds_and_sides(page, player_stubs):
    player = open_step(page, "practice", 3)
    press(player, "Start")  # Spoken prompts are on without asking.
    run_to_the_end(page, player, LEG_STRETCH_MS)

    one_side = ["Hold"] + ["Relax", "Hold"] * 2
    assert recorded(page, "spoken") == [
        *one_side,
        "Switch to the left side",
        *one_side,
        "Step done, next: Walk",
    ]
    expect(player.locator("[data-player-next]")).to_have_text("Next up: Walk")


# ----- screen-reader announcements -----------------------------------------


def test_live_region_announces_phases_not_every_second(page, player_stubs):
    player = open_step(page, "practice", 3)
    status = player.get_by_role("status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("Press Start, then get into position.")

    press(player, "Start")
    expect(status).to_have_text("Hold for 20 seconds. Repetition 1 of 3, right side.")
    page.clock.run_for(HOLD_MS + 500)
    expect(status).to_have_text("Relax. Get ready for repetition 2 of 3.")
    # One 20 s hold: its start, one halfway reminder and its end.
    assert recorded(page, "announcements") == [
        "Hold for 20 seconds. Repetition 1 of 3, right side.",
        "10 seconds left.",
        "Relax. Get ready for repetition 2 of 3.",
    ]

    run_to_the_end(page, player, LEG_STRETCH_MS - HOLD_MS)
    announcements = recorded(page, "announcements")
    assert announcements[-1] == "Exercise done."
    assert "Right side done. Switch to the left side." in announcements
    # 137 s of holds and pauses: about one announcement every 8 seconds.
    assert len(announcements) == 18


# ----- without JavaScript ----------------------------------------------------


def test_previous_link_and_step_forms_work_without_javascript(no_js_page, practice):
    page = no_js_page
    start_guide(page, "practice")
    page.get_by_role("button", name="Skip", exact=True).click()
    expect(page).to_have_url(re.compile(r"/routines/practice/guide/2/$"))

    previous = page.get_by_role("link", name="← Previous")
    expect(previous).to_have_attribute("href", "/routines/practice/guide/1/")
    previous.click()
    expect(page).to_have_url(re.compile(r"/routines/practice/guide/1/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Knee rocks")
    expect(page.get_by_text("Marked: Skipped")).to_be_visible()

    page.get_by_role("button", name="Done, next step →").click()
    expect(page).to_have_url(re.compile(r"/routines/practice/guide/2/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bridge")
    page.get_by_role("link", name="← Previous").click()
    expect(page.get_by_text("Marked: Done")).to_be_visible()
