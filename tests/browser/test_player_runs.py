"""The player keeps what it kept in the tab to its own run: a timer left on a
step of an earlier run is not brought back (nor marked done) in a new run, an
auto-advance that landed elsewhere does not start a later page's timer, a
Skip records no time, and leaving a running timer asks "Leave site?" only
when the tab could not keep it.

The player's calls to Web Audio, speech and the wake lock are recorded by
stubs (player_stubs.js); Playwright's clock runs the timers."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.flows import (
    NO_LEAD_IN,
    expect_finish,
    open_step,
    player_of,
    press,
    stub_player_apis,
    stubbed_player,
)


@pytest.fixture
def stubbed(page, practice):
    page.on("dialog", lambda dialog: dialog.accept())  # Leaving a running timer.
    yield from stubbed_player(page)


def start_again(page):
    """Back to the safety check of a run under way, and start a new run."""
    page.goto("/routines/practice/guide/")
    page.get_by_label("I have read these warnings").check()
    page.get_by_role("button", name=re.compile(r"^Start again")).click()
    expect(page).to_have_url(re.compile(r"/routines/practice/guide/1/$"))


def expect_ready(player):
    expect(player.locator("[data-player-phase]")).to_have_text("Ready")
    expect(player.get_by_role("button", name="Start", exact=True)).to_be_visible()
    expect(player).not_to_have_class(re.compile(r"\bis-(running|done)\b"))


def start_the_bridge(page):
    """Bridge (5 holds of 6 s), started with no lead-in, 2 s into its first
    hold: its player."""
    page.add_init_script(NO_LEAD_IN)
    player = open_step(page, "practice", 2)
    press(player, "Start")
    page.clock.run_for(2_000)
    return player


def expect_not_marked(page, player):
    """Not saved as done, nor marked so once the page is drawn again."""
    expect(player.locator("[data-player-saved]")).to_be_hidden()
    page.reload()
    expect(page.get_by_text("Marked:")).to_have_count(0)


def test_a_hold_left_in_one_run_is_not_restored_in_a_new_run(stubbed):
    page = stubbed
    player = start_the_bridge(page)
    expect(player.locator("[data-player-phase]")).to_have_text("Hold")

    start_again(page)  # Back to the safety check: a new run.
    page.goto("/routines/practice/guide/2/")
    player = player_of(page)
    expect_ready(player)
    expect(player.get_by_role("status")).not_to_contain_text("restored")

    page.clock.run_for(120_000)  # Long past the old hold's end.
    expect_ready(player)
    expect(page).to_have_url(re.compile(r"/guide/2/$"))
    expect_not_marked(page, player)


def test_a_hold_that_ran_out_while_away_is_not_marked_done(stubbed):
    page = stubbed
    player = start_the_bridge(page)
    page.goto("/routines/practice/")  # Away, with the hold running.
    page.clock.run_for(120_000)
    page.goto("/routines/practice/guide/2/")  # Same run, time ran out.
    player = player_of(page)
    expect_ready(player)
    page.clock.run_for(30_000)
    expect_not_marked(page, player)


def test_the_timer_is_still_restored_within_the_same_run(stubbed):
    page = stubbed
    player = start_the_bridge(page)
    page.reload()
    expect(player.get_by_role("status")).to_have_text(
        "Timer restored where you left it."
    )
    expect(player.locator("[data-player-phase]")).to_have_text("Hold")


def finish_step_2_with_auto_advance_landing_elsewhere(page):
    """Run step 2 to its end with auto-advance on; the advancing POST is
    answered with a redirect to a page without a player (as a refusal is)."""

    def elsewhere(route):
        if (
            route.request.method == "POST"
            and "action=done" in (route.request.post_data or "")
            and route.request.is_navigation_request()
        ):
            route.fulfill(status=302, headers={"Location": "/routines/practice/"})
        else:
            route.continue_()

    page.route("**/guide/2/", elsewhere)
    player = open_step(page, "practice", 2)
    press(player, "Start")
    page.clock.run_for(47_500)  # Lead-in 5 s, 5 holds and 4 rests: done.
    expect(player.locator("[data-player-next]")).to_have_text(
        "Next up: Leg stretch, in 5 s"
    )
    page.clock.run_for(6_000)  # Auto-advance submits.
    expect(page).to_have_url(re.compile(r"/routines/practice/$"))
    page.unroute("**/guide/2/")


def test_a_stale_auto_advance_does_not_start_a_new_runs_timer(stubbed):
    page = stubbed
    finish_step_2_with_auto_advance_landing_elsewhere(page)
    start_again(page)  # A new run: its step 1 is the first player page.
    player = player_of(page)
    page.clock.run_for(3_000)
    expect(player).not_to_have_class(re.compile(r"\bis-running\b"))
    expect(player.locator("[data-player-count-number]")).to_have_text("0")
    page.goto("/routines/practice/guide/3/")
    player = player_of(page)
    page.clock.run_for(3_000)
    expect_ready(player)


def test_a_stale_auto_advance_does_not_start_another_step(stubbed):
    page = stubbed
    finish_step_2_with_auto_advance_landing_elsewhere(page)
    page.goto("/routines/practice/guide/4/")  # The same run, not step 3.
    player = player_of(page)
    page.clock.run_for(3_000)
    expect(player.get_by_role("button", name="Start", exact=True)).to_be_visible()
    expect(player).not_to_have_class(re.compile(r"\bis-running\b"))
    # Nor is it kept for a later visit to step 3.
    page.goto("/routines/practice/guide/3/")
    player = player_of(page)
    page.clock.run_for(3_000)
    expect_ready(player)


def posts_to(page, number):
    posted = []
    page.on(
        "request",
        lambda request: (
            request.method == "POST"
            and request.url.endswith(f"/guide/{number}/")
            and posted.append(request.post_data)
        ),
    )
    return posted


def test_skip_on_a_stopwatch_step_posts_no_seconds(stubbed):
    page = stubbed
    posted = posts_to(page, 4)
    player = open_step(page, "practice", 4)  # Walk: a stopwatch.
    press(player, "Start")
    page.clock.run_for("02:00")
    press(player, "Stop")
    page.get_by_role("button", name="Skip", exact=True).click()
    expect(page).to_have_url(re.compile(r"/guide/finish/$"))
    assert len(posted) == 1, posted
    assert "action=skip" in posted[0]
    assert "seconds=&" in posted[0] or posted[0].endswith("seconds="), posted


def test_done_without_starting_the_stopwatch_posts_no_seconds(stubbed):
    page = stubbed
    posted = posts_to(page, 4)
    open_step(page, "practice", 4)
    page.get_by_role("button", name="Done, finish →").click()
    expect_finish(page, "practice")
    assert "action=done" in posted[-1]
    assert "seconds=&" in posted[-1] or posted[-1].endswith("seconds="), posted


# ----- leaving a running timer ------------------------------------------------

# sessionStorage refuses every write, as a full or disabled store does.
STORAGE_REFUSED = """
const setItem = Storage.prototype.setItem;
Storage.prototype.setItem = function (key, value) {
  if (this === window.sessionStorage) {
    throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
  }
  return setItem.call(this, key, value);
};
"""


def dialogs_of(page, *, accept=True):
    """The types of the dialogs the browser shows on the page, each accepted
    (or dismissed); the player's calls recorded, on a fake clock."""
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", answer)
    stub_player_apis(page)
    return dialogs


def start_a_hold(page):
    """Practice step 2 (bridge): Start, the lead-in, 2 s into the first hold."""
    player = open_step(page, "practice", 2)
    press(player, "Start")
    page.clock.run_for(5_000 + 2_000)
    expect(player.locator("[data-player-phase]")).to_have_text("Hold")
    expect(player.locator("[data-player-clock]")).to_have_text("0:04")
    return player


def expect_the_hold_goes_on(page, player):
    expect(player.get_by_role("status")).to_have_text(
        "Timer restored where you left it."
    )
    expect(player.locator("[data-player-phase]")).to_have_text("Hold")
    expect(player.get_by_role("button", name="Pause", exact=True)).to_be_visible()


def test_reloading_mid_hold_asks_nothing_and_the_hold_goes_on(screen, practice):
    page = screen
    dialogs = dialogs_of(page)
    player = start_a_hold(page)

    page.reload()

    assert dialogs == []
    expect_the_hold_goes_on(page, player)
    page.clock.run_for(1_000)
    expect(player.locator("[data-player-clock]")).to_have_text("0:03")


def test_previous_mid_hold_asks_nothing_and_the_hold_is_kept(page, practice):
    dialogs = dialogs_of(page)
    start_a_hold(page)

    page.get_by_role("link", name="← Previous").click()

    expect(page).to_have_url(re.compile(r"/guide/1/$"))
    assert dialogs == []
    page.get_by_role("button", name="Done, next step →").click()
    expect(page).to_have_url(re.compile(r"/guide/2/$"))
    expect_the_hold_goes_on(page, player_of(page))


def test_leaving_asks_first_when_the_tab_cannot_keep_the_timer(page, practice):
    page.add_init_script(STORAGE_REFUSED)
    dialogs = dialogs_of(page, accept=False)
    player = start_a_hold(page)

    page.get_by_role("link", name="← Previous").click()

    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/guide/2/$"))
    expect(player.locator("[data-player-phase]")).to_have_text("Hold")


def test_leaving_a_step_not_begun_asks_nothing_even_when_nothing_is_kept(
    page, practice
):
    page.add_init_script(STORAGE_REFUSED)
    dialogs = dialogs_of(page)
    player = open_step(page, "practice", 2)
    press(player, "Mute sound")  # A gesture: without one no page may ask.

    page.get_by_role("link", name="← Previous").click()

    expect(page).to_have_url(re.compile(r"/guide/1/$"))
    assert dialogs == []
