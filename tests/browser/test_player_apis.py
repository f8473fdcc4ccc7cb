"""The player's browser APIs: beep, wake lock, speech and live announcements.

Recording stubs replace Web Audio, the Screen Wake Lock API and speech
synthesis before the page loads, so the tests see what the player called.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_guide import player_of, start_guide

pytestmark = pytest.mark.browser

# Records into window.__calls what the player asks of the browser.
STUBS = """
(() => {
  const calls = {
    audioContexts: 0,
    beeps: [],
    wakeLock: [],
    wakeLockDelayMs: 0,
    spoken: [],
    announcements: [],
  };
  window.__calls = calls;

  class FakeAudioContext {
    constructor() {
      calls.audioContexts += 1;
      this.state = "running";
      this.currentTime = 0;
      this.destination = {};
    }
    resume() { return Promise.resolve(); }
    createOscillator() {
      const oscillator = {
        type: "",
        frequency: { value: 0 },
        connect: (node) => node,
        start: () => calls.beeps.push(oscillator.frequency.value),
        stop: () => {},
      };
      return oscillator;
    }
    createGain() {
      const param = { value: 1, setValueAtTime() {}, exponentialRampToValueAtTime() {} };
      return { gain: param, connect: (node) => node };
    }
  }
  window.AudioContext = FakeAudioContext;
  window.webkitAudioContext = FakeAudioContext;

  const held = new Set();
  function makeSentinel() {
    const listeners = [];
    const sentinel = {
      type: "screen",
      released: false,
      addEventListener: (type, listener) => listeners.push(listener),
      removeEventListener() {},
      async release() {
        if (!sentinel.released) {
          sentinel.released = true;
          held.delete(sentinel);
          calls.wakeLock.push("release");
          listeners.forEach((listener) => listener(new Event("release")));
        }
      },
    };
    return sentinel;
  }
  const wakeLock = {
    request(type) {
      calls.wakeLock.push(`request ${type}`);
      const sentinel = makeSentinel();
      held.add(sentinel);
      if (!calls.wakeLockDelayMs) return Promise.resolve(sentinel);
      return new Promise((resolve) =>
        setTimeout(() => resolve(sentinel), calls.wakeLockDelayMs));
    },
  };
  Object.defineProperty(navigator, "wakeLock", { value: wakeLock, configurable: true });
  calls.heldLocks = () => held.size;

  // The browser drops a wake lock when the page is hidden.
  let visibility = "visible";
  Object.defineProperty(document, "visibilityState", { get: () => visibility });
  calls.setVisibility = (state) => {
    visibility = state;
    if (state === "hidden") {
      for (const sentinel of [...held]) {
        sentinel.released = true;
        held.delete(sentinel);
        calls.wakeLock.push("dropped");
      }
    }
    document.dispatchEvent(new Event("visibilitychange"));
  };

  if (!("speechSynthesis" in window)) {
    window.speechSynthesis = {};
  }
  window.speechSynthesis.speak = (utterance) => calls.spoken.push(utterance.text);
  window.speechSynthesis.cancel = () => {};

  document.addEventListener("DOMContentLoaded", () => {
    const status = document.querySelector("[data-player-status]");
    if (!status) return;
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          calls.announcements.push(node.textContent);
        }
      }
    }).observe(status, { childList: true });
  });
})();
"""

INTERMEDIATE_HOLD_MS = 20_000
# Beginner step 3: ten holds of 5 s, 3 s to get ready between them.
BEGINNER_STEP_3_MS = 10 * 5_000 + 9 * 3_000
# Intermediate step 1: five holds of 20 s on each side, 5 s to switch sides.
INTERMEDIATE_STEP_MS = 2 * (5 * 20_000 + 4 * 3_000) + 5_000


def open_step(page, slug, number):
    """The player of a step, with the stubs and a fake clock installed."""
    page.add_init_script(STUBS)
    page.clock.install()
    start_guide(page, slug)
    if number != 1:
        page.goto(f"/routines/{slug}/guide/{number}/")
    return player_of(page)


def recorded(page, name):
    return page.evaluate("name => window.__calls[name]", name)


def held_locks(page):
    return page.evaluate("window.__calls.heldLocks()")


def press(player, name):
    player.get_by_role("button", name=name, exact=True).click()


def run_to_the_end(page, player, total_ms):
    page.clock.run_for(total_ms + 1_000)
    expect(player.get_by_role("status")).to_have_text("Exercise done.")


# ----- sound ---------------------------------------------------------------


def test_a_beep_sounds_at_the_end_of_each_hold(page, catalogue):
    player = open_step(page, "beginner", 3)
    press(player, "Start")
    page.clock.run_for(4_000)
    assert recorded(page, "beeps") == []

    page.clock.run_for(1_500)
    expect(player.locator("[data-player-phase]")).to_have_text("Get ready")
    assert recorded(page, "beeps") == [880]

    page.clock.run_for(6_500)  # The second hold ends 13 s in.
    assert recorded(page, "beeps") == [880]
    page.clock.run_for(1_000)
    assert recorded(page, "beeps") == [880] * 2

    run_to_the_end(page, player, BEGINNER_STEP_3_MS - 14_000)
    assert recorded(page, "beeps") == [880] * 10


def test_mute_beep_silences_every_hold(page, catalogue):
    player = open_step(page, "beginner", 3)
    press(player, "Mute beep")
    press(player, "Start")
    run_to_the_end(page, player, BEGINNER_STEP_3_MS)
    assert recorded(page, "audioContexts") == 1
    assert recorded(page, "beeps") == []


# ----- wake lock -----------------------------------------------------------


def test_screen_is_kept_awake_only_while_the_timer_runs(page, catalogue):
    player = open_step(page, "beginner", 3)
    assert recorded(page, "wakeLock") == []

    press(player, "Start")
    expect(player.get_by_role("button", name="Pause")).to_be_visible()
    assert recorded(page, "wakeLock") == ["request screen"]
    assert held_locks(page) == 1

    press(player, "Pause")
    expect(player.get_by_role("button", name="Resume")).to_be_visible()
    assert recorded(page, "wakeLock") == ["request screen", "release"]
    assert held_locks(page) == 0

    press(player, "Resume")
    expect(player.get_by_role("button", name="Pause")).to_be_visible()
    assert held_locks(page) == 1
    run_to_the_end(page, player, BEGINNER_STEP_3_MS)
    assert recorded(page, "wakeLock") == ["request screen", "release"] * 2
    assert held_locks(page) == 0


def test_wake_lock_is_taken_back_when_the_page_shows_again(page, catalogue):
    player = open_step(page, "beginner", 3)
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
    assert held_locks(page) == 0


def test_no_wake_lock_is_left_behind_by_quick_start_pause_start(page, catalogue):
    player = open_step(page, "beginner", 3)
    # A slow request: the person presses again before the browser answers.
    page.evaluate("window.__calls.wakeLockDelayMs = 2000")
    press(player, "Start")
    press(player, "Pause")
    press(player, "Resume")
    page.clock.run_for(2_500)
    assert held_locks(page) == 1

    press(player, "Pause")
    page.clock.run_for(2_500)
    assert held_locks(page) == 0


# ----- speech --------------------------------------------------------------


def test_spoken_prompts_follow_the_holds_and_sides(page, catalogue):
    player = open_step(page, "intermediate", 1)
    press(player, "Speak prompts")
    press(player, "Start")
    run_to_the_end(page, player, INTERMEDIATE_STEP_MS)

    one_side = ["Hold"] + ["Relax", "Hold"] * 4
    assert recorded(page, "spoken") == [
        *one_side,
        "Switch to the left side",
        *one_side,
        "Exercise done",
    ]


def test_nothing_is_spoken_unless_prompts_are_turned_on(page, catalogue):
    player = open_step(page, "beginner", 3)
    expect(player.get_by_role("button", name="Speak prompts")).to_have_attribute(
        "aria-pressed", "false"
    )
    press(player, "Start")
    run_to_the_end(page, player, BEGINNER_STEP_3_MS)
    assert recorded(page, "spoken") == []


# ----- screen-reader announcements -----------------------------------------


def test_live_region_announces_phases_not_every_second(page, catalogue):
    player = open_step(page, "intermediate", 1)
    status = player.get_by_role("status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("Get into position, then press Start.")

    press(player, "Start")
    expect(status).to_have_text("Hold for 20 seconds. Repetition 1 of 5, right side.")
    page.clock.run_for(INTERMEDIATE_HOLD_MS + 500)
    expect(status).to_have_text("Relax. Get ready for repetition 2 of 5.")
    # One 20 s hold: its start, one halfway reminder and its end.
    assert recorded(page, "announcements") == [
        "Hold for 20 seconds. Repetition 1 of 5, right side.",
        "10 seconds left.",
        "Relax. Get ready for repetition 2 of 5.",
    ]

    run_to_the_end(page, player, INTERMEDIATE_STEP_MS - INTERMEDIATE_HOLD_MS)
    announcements = recorded(page, "announcements")
    assert announcements[-1] == "Exercise done."
    assert "Right side done. Switch to the left side." in announcements
    # 229 s of holds and pauses: about one announcement every 8 seconds.
    assert len(announcements) == 30


# ----- without JavaScript ----------------------------------------------------


def test_previous_link_and_step_forms_work_without_javascript(no_js_page, catalogue):
    page = no_js_page
    start_guide(page)
    page.get_by_role("button", name="Skip", exact=True).click()
    expect(page).to_have_url(re.compile(r"/routines/beginner/guide/2/$"))

    previous = page.get_by_role("link", name="← Previous")
    expect(previous).to_have_attribute("href", "/routines/beginner/guide/1/")
    previous.click()
    expect(page).to_have_url(re.compile(r"/routines/beginner/guide/1/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ankle pumps")
    expect(page.get_by_text("Marked: Skipped")).to_be_visible()

    page.get_by_role("button", name="Done, next step →").click()
    expect(page).to_have_url(re.compile(r"/routines/beginner/guide/2/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Heel slides")
    page.get_by_role("link", name="← Previous").click()
    expect(page.get_by_text("Marked: Done")).to_be_visible()
