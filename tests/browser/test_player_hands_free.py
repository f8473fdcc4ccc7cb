"""Hands-free: a lead-in before the first hold, a sound at each hold's start
and end, spoken prompts, auto-advance through a whole routine with the
screen kept awake, and nothing lost on Reset, a reload or a long walk.

Recording stubs (player_stubs.js) stand in for Web Audio, speech and the wake
lock; Playwright's clock runs the timers."""

import re

import pytest
from playwright.sync_api import expect

from accounts import services
from exercises.models import Contraindication
from tests.browser.flows import (
    BEGINNER_STEPS,
    NO_LEAD_IN,
    assert_no_axe_violations,
    expect_finish,
    held_locks,
    open_step,
    page_errors,
    press,
    recorded,
    run_hands_free,
    sign_in,
    start_guide,
    stub_player_apis,
    stubbed_player,
)
from tests.factories import UserFactory

COUNTDOWN = [880]
HOLD_START = [784, 1175]
HOLD_END = [659, 440]
TICK = [1568]


@pytest.fixture
def stubbed(page, practice):
    yield from stubbed_player(page)


def test_lead_in_counts_down_before_the_first_hold(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)  # Bridge: 5 holds of 6 s.
    phase = player.locator("[data-player-phase]")
    press(player, "Start")
    expect(phase).to_have_text("Get into position")
    expect(player.get_by_role("status")).to_have_text(
        "Get into position. The first hold starts in 5 seconds."
    )
    assert recorded(page, "spoken") == ["Get into position"]
    assert recorded(page, "beeps") == []

    page.clock.run_for(4_500)  # 3, 2, 1: spoken and beeped.
    expect(phase).to_have_text("Get into position")
    assert recorded(page, "spoken") == ["Get into position", "3", "2", "1"]
    assert recorded(page, "beeps") == COUNTDOWN * 3

    page.clock.run_for(600)  # 5.1 s: the hold starts, with its own sound.
    expect(phase).to_have_text("Hold")
    expect(player.get_by_role("status")).to_have_text(
        "Hold for 6 seconds. Repetition 1 of 5."
    )
    assert recorded(page, "beeps") == COUNTDOWN * 3 + HOLD_START
    assert recorded(page, "spoken")[-1] == "Hold"


def test_the_lead_in_length_is_a_remembered_setting(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)
    player.get_by_text("Settings").click()
    player.get_by_label("Time to get into position").select_option("0")
    page.reload()
    press(player, "Start")
    expect(player.locator("[data-player-phase]")).to_have_text("Hold")
    assert recorded(page, "beeps") == HOLD_START


def test_every_hold_sounds_at_its_start_and_its_end(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)
    press(player, "Start")
    page.clock.run_for(5_000 + 6_000 + 500)  # The first hold ended.
    expect(player.locator("[data-player-phase]")).to_have_text("Rest")
    assert HOLD_START != HOLD_END
    assert recorded(page, "beeps") == COUNTDOWN * 3 + HOLD_START + HOLD_END
    assert recorded(page, "spoken")[-1] == "Relax"

    page.clock.run_for(47_000 - 11_500 + 500)  # 47 s: lead-in, 5 holds, 4 rests.
    expect(player.get_by_role("status")).to_have_text("Exercise done.")
    assert recorded(page, "beeps") == COUNTDOWN * 3 + (HOLD_START + HOLD_END) * 5
    assert recorded(page, "spoken")[-1] == "Step done, next: Leg stretch"


def test_each_counted_repetition_ticks(stubbed):
    page = stubbed
    player = open_step(page, "practice", 1)  # Knee rocks: 10 repetitions.
    for _ in range(3):
        player.get_by_role("button", name="Tap to count").click()
    assert recorded(page, "beeps") == TICK * 3


def test_one_mute_silences_every_sound_and_word(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)
    press(player, "Mute sound")
    press(player, "Start")
    page.clock.run_for(48_000)
    expect(player.get_by_role("status")).to_have_text("Exercise done.")
    assert recorded(page, "beeps") == []
    assert recorded(page, "spoken") == []


def test_next_up_is_shown_in_the_last_rest(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)
    next_up = player.locator("[data-player-next]")
    press(player, "Start")
    page.clock.run_for(30_000)  # 30 s: in the third rest (29–32 s).
    expect(player.locator("[data-player-phase]")).to_have_text("Rest")
    expect(next_up).to_be_hidden()
    page.clock.run_for(9_000)  # 39 s: the last rest (38–41 s).
    expect(player.locator("[data-player-phase]")).to_have_text("Rest")
    expect(next_up).to_have_text("Next up: Leg stretch")


def test_a_whole_routine_runs_hands_free_after_the_first_tap(page, catalogue):
    errors = page_errors(page)
    stub_player_apis(page)
    start_guide(page, "beginner")
    page.locator("[data-player-toggle]").click()  # The only touch.
    assert held_locks(page) == 1

    for number, name in enumerate(BEGINNER_STEPS, start=1):
        expect(page).to_have_url(re.compile(rf"/guide/{number}/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        player = page.locator("[data-player]")
        expect(player).to_have_class(re.compile(r"\bis-running\b"))
        # The screen stays awake on every step, counted ones too.
        assert held_locks(page) == 1
        for _ in range(120):
            if page.url.endswith(f"/guide/{number}/"):
                page.clock.run_for(1_000)
            else:
                break
    expect_finish(page, "beginner", ["Done"] * 6)
    assert errors == []


def test_without_auto_advance_next_is_the_big_button(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)
    player.get_by_text("Settings").click()
    player.get_by_label("Go on to the next step by itself").uncheck()
    press(player, "Start")
    page.clock.run_for(47_500)
    expect(player.get_by_role("status")).to_have_text("Exercise done.")
    expect(player.locator("[data-player-next]")).to_have_text("Next up: Leg stretch")
    page.clock.run_for(30_000)
    expect(page).to_have_url(re.compile(r"/guide/2/$"))
    expect(page.get_by_role("button", name="Done, next step →")).to_be_focused()


def test_auto_advance_can_be_stopped_for_this_step(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)
    press(player, "Start")
    page.clock.run_for(47_500)
    expect(player.locator("[data-player-next]")).to_have_text(
        "Next up: Leg stretch, in 5 s"
    )
    press(player, "Stay on this step")
    page.clock.run_for(30_000)
    expect(page).to_have_url(re.compile(r"/guide/2/$"))


def test_player_controls_pass_axe_with_confirm_and_settings_open(stubbed):
    page = stubbed
    page.emulate_media(reduced_motion="reduce")
    player = open_step(page, "practice", 3)
    press(player, "Start")
    page.clock.run_for(8_000)
    press(player, "Reset")
    player.get_by_text("Settings").click()
    expect(player.get_by_role("button", name="Yes, reset")).to_be_visible()
    assert_no_axe_violations(page)


def test_the_wake_lock_is_taken_back_after_the_page_is_hidden(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)
    press(player, "Start")
    press(player, "Pause")
    assert held_locks(page) == 1  # Paused, resting or done: still awake.
    page.evaluate("window.__calls.setVisibility('hidden')")
    assert held_locks(page) == 0
    page.evaluate("window.__calls.setVisibility('visible')")
    assert held_locks(page) == 1
    assert recorded(page, "wakeLock") == ["request screen", "dropped", "request screen"]


def test_reset_asks_first(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)
    clock = player.locator("[data-player-clock]")
    press(player, "Start")
    page.clock.run_for(8_000)
    expect(clock).to_have_text("0:03")

    press(player, "Reset")
    press(player, "Keep going")
    page.clock.run_for(1_000)
    expect(clock).to_have_text("0:02")
    expect(player.get_by_role("button", name="Pause")).to_be_visible()

    press(player, "Reset")
    press(player, "Yes, reset")
    expect(clock).to_have_text("0:06")
    expect(player.get_by_role("button", name="Start")).to_be_visible()
    expect(player.get_by_role("status")).to_have_text("Timer reset.")


def test_the_timer_survives_a_reload_mid_hold(stubbed):
    page = stubbed
    page.on("dialog", lambda dialog: dialog.accept())
    player = open_step(page, "practice", 3)  # Leg stretch: 3 × 20 s a side.
    press(player, "Start")
    # Lead-in 5 s, the right side (3 × 20 s + 2 × 3 s), 5 s to switch, 12 s
    # into the left side's first hold.
    page.clock.run_for(5_000 + 66_000 + 5_000 + 8_000)
    expect(player.locator("[data-player-side]")).to_have_text("Now: left side")
    expect(player.locator("[data-player-clock]")).to_have_text("0:12")

    page.reload()
    expect(player.get_by_role("status")).to_have_text(
        "Timer restored where you left it."
    )
    expect(player.locator("[data-player-side]")).to_have_text("Now: left side")
    expect(player.locator("[data-player-reps]")).to_have_text("Repetition 1 of 3")
    expect(player.locator("[data-player-phase]")).to_have_text("Hold")
    expect(player.get_by_role("button", name="Pause")).to_be_visible()
    page.clock.run_for(2_000)
    expect(player.locator("[data-player-clock]")).to_have_text("0:10")


def test_the_stopwatch_runs_past_its_target_and_posts_the_time(stubbed):
    page = stubbed
    posted = []
    page.on(
        "request",
        lambda request: (
            request.method == "POST"
            and request.url.endswith("/guide/4/")
            and posted.append(request.post_data)
        ),
    )
    player = open_step(page, "practice", 4)  # Walk: 10 to 15 minutes.
    press(player, "Start")
    page.clock.run_for("31:00")
    expect(player.locator("[data-player-clock]")).to_have_text("31:00")
    expect(player.get_by_role("status")).to_have_text(
        "15-minute target reached. Exercise done; stop when you are ready."
    )
    press(player, "Stop")
    expect(player.get_by_role("button", name="Resume")).to_be_visible()
    # The 10-minute target saved the step with the time so far ...
    assert 'name="seconds"\r\n\r\n600\r\n' in posted[0], posted
    # ... and Done records the whole walk.
    page.get_by_role("button", name="Done, finish →").click()
    expect_finish(page, "practice")
    assert "seconds=1860" in posted[-1], posted
    assert "action=done" in posted[-1]


def test_rest_and_side_switch_last_as_long_as_the_step_says(stubbed, practice):
    page = stubbed
    practice.steps.filter(order=3).update(rest_seconds=8, switch_seconds=12)
    page.add_init_script(NO_LEAD_IN)
    player = open_step(page, "practice", 3)  # Leg stretch: 3 × 20 s each side.
    phase = player.locator("[data-player-phase]")
    press(player, "Start")
    page.clock.run_for(20_000 + 7_500)  # 7.5 s into an 8 s rest.
    expect(phase).to_have_text("Rest")
    page.clock.run_for(1_000)  # 8.5 s: the second hold.
    expect(phase).to_have_text("Hold")

    # The right side ends at 3 × 20 s + 2 × 8 s = 76 s; the switch lasts 12 s.
    page.clock.run_for(76_000 - 28_500 + 11_000)
    expect(player.locator("[data-player-side]")).to_contain_text("left")
    expect(phase).not_to_have_text("Hold")
    page.clock.run_for(1_500)
    expect(phase).to_have_text("Hold")


def test_hold_and_rest_differ_in_word_and_colour(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)
    phase = player.locator("[data-player-phase]")
    press(player, "Start")

    def look():
        return phase.evaluate(
            "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color,"
            " getComputedStyle(el.closest('[data-player]')).borderTopColor]"
        )

    page.clock.run_for(5_500)
    expect(phase).to_have_text("Hold")
    hold = look()
    page.clock.run_for(6_000)
    expect(phase).to_have_text("Rest")
    rest = look()
    assert hold[0] != rest[0], (hold, rest)  # the badge's colour
    assert hold[2] != rest[2], (hold, rest)  # the card's border


def test_the_screen_is_let_go_when_the_page_is_left(stubbed):
    page = stubbed
    player = open_step(page, "practice", 2)
    press(player, "Start")
    assert held_locks(page) == 1
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    assert held_locks(page) == 0
    assert recorded(page, "wakeLock")[-1] == "release"


# ----- a step skipped for safety, in a hands-free run (issue 27.2) ----------


def screened_in(page, *warnings):
    """Signed in as a person who answered yes to ``warnings``."""
    person = UserFactory()
    services.screening_update(user=person, conditions=list(warnings))
    sign_in(page, person)


def test_a_hands_free_run_goes_on_past_a_step_skipped_for_safety(screen, catalogue):
    page = screen
    errors = page_errors(page)
    stub_player_apis(page)
    screened_in(page, Contraindication.objects.get(slug="nerve-pain-legs"))
    start_guide(page, "beginner")
    page.locator("[data-player-toggle]").click()  # The only touch.

    run_hands_free(page, "/routines/beginner/guide/", BEGINNER_STEPS[:5])

    # 6. Straight-leg raises: it says why it is skipped, then goes on.
    expect(page).to_have_url(re.compile(r"/guide/6/$"))
    panel = page.locator(".skipped-for-safety-panel")
    expect(panel).to_contain_text(
        "You told us: Do you have nerve pain that runs down into your legs? Yes."
    )
    notice = panel.locator("[data-guide-advance]")
    # The notice counts down from 5 s (the step before may have used some).
    expect(notice).to_have_text(re.compile(r"^Going on to the finish in [1-5] s$"))
    expect(panel.get_by_role("status")).to_have_text(
        "Skipped for safety: your health screening advises against this "
        "exercise. Going on to the finish."
    )
    assert recorded(page, "spoken") == [
        "Straight-leg raises skipped for safety: your health screening "
        "advises against it. Next: the finish"
    ]
    assert held_locks(page) == 1  # The screen stays awake.
    expect(page).to_have_url(re.compile(r"/guide/6/$"))
    page.clock.run_for(5_500)

    expect_finish(page, "beginner", ["Done"] * 5 + ["Skipped for safety"])
    assert errors == []


def test_a_step_skipped_for_safety_hands_free_starts_the_next_one(
    page, practice, avoid_warning
):
    errors = page_errors(page)
    stub_player_apis(page)
    screened_in(page, avoid_warning)
    player = open_step(page, "practice", 2)  # Bridge, then the flagged step 3.
    press(player, "Start")
    page.clock.run_for(47_500 + 5_500)

    expect(page).to_have_url(re.compile(r"/guide/3/$"))
    expect(page.locator("[data-guide-advance]")).to_have_text(
        re.compile(r"^Going on to step 4 in [1-5] s$")
    )
    page.clock.run_for(5_500)

    # 4. Walk: its stopwatch runs without a touch, as after any step.
    expect(page).to_have_url(re.compile(r"/guide/4/$"))
    expect(page.locator("[data-player]")).to_have_class(re.compile(r"\bis-running\b"))
    assert errors == []


def test_a_step_skipped_for_safety_can_be_stayed_on(page, practice, avoid_warning):
    stub_player_apis(page)
    screened_in(page, avoid_warning)
    player = open_step(page, "practice", 2)
    press(player, "Start")
    page.clock.run_for(47_500 + 5_500)
    expect(page).to_have_url(re.compile(r"/guide/3/$"))

    page.get_by_role("button", name="Stay on this step").click()
    page.clock.run_for(30_000)

    expect(page).to_have_url(re.compile(r"/guide/3/$"))
    expect(page.locator("[data-guide-advance]")).to_be_hidden()
    expect(page.get_by_role("button", name="Stay on this step")).to_be_hidden()
    expect(
        page.get_by_role("button", name="Continue to the next step →")
    ).to_be_focused()


def test_a_step_skipped_for_safety_opened_by_hand_waits(page, practice, avoid_warning):
    stub_player_apis(page)
    screened_in(page, avoid_warning)
    start_guide(page, "practice")
    page.goto("/routines/practice/guide/3/")
    expect(page.locator(".skipped-for-safety-panel")).to_be_visible()

    page.clock.run_for(30_000)

    expect(page).to_have_url(re.compile(r"/guide/3/$"))
    expect(page.locator("[data-guide-advance]")).to_have_count(0)
    assert recorded(page, "spoken") == []
