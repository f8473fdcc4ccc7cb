"""The aerobic routine: the bike or the treadmill, one picked per session."""

import re

from playwright.sync_api import expect

from tests.browser.flows import (
    assert_no_axe_violations,
    expect_finish,
    player_of,
    press,
    stub_player_apis,
)

PICK = "Which one today?"


def expect_the_only_step(page):
    """A step picked among alternatives reads as the only step of its session."""
    expect(page.locator("#step-counter")).to_have_text("Step 1 of 1")
    progress = page.locator("progress.guide-progress")
    expect(progress).to_have_attribute("value", "1")
    expect(progress).to_have_attribute("max", "1")
    assert page.title().startswith("Step 1 of 1: ")
    expect(page.get_by_role("button", name="Done, finish →")).to_be_visible()
    expect(page.get_by_role("button", name="Done, next step →")).to_have_count(0)
    expect(page.get_by_role("link", name="← Safety check")).to_be_visible()
    expect(page.get_by_text("Step 2 of 2")).to_have_count(0)


def test_the_aerobic_routine_is_20_to_30_minutes_of_one_or_the_other(screen, catalogue):
    screen.goto("/")
    card = screen.get_by_role("listitem").filter(
        has=screen.get_by_role("link", name="Aerobic", exact=True)
    )
    expect(card).to_contain_text("About 20–30 minutes")
    expect(card).to_contain_text("One of: Stationary bike or Treadmill")

    card.get_by_role("link", name="Aerobic", exact=True).click()
    expect(screen.get_by_text("About 20–30 minutes", exact=True)).to_be_visible()
    expect(screen.get_by_text("Pick one of these for each session")).to_be_visible()
    expect(screen.get_by_text("40–60")).to_have_count(0)


def test_a_person_picks_the_treadmill_and_runs_it_alone(screen, catalogue):
    stub_player_apis(screen)
    screen.on("dialog", lambda dialog: dialog.accept())
    screen.goto("/routines/aerobic/")
    screen.get_by_role("link", name="Start guided session").click()

    choice = screen.get_by_role("group", name=PICK)
    expect(choice.get_by_label("Stationary bike, 20–30 minutes")).not_to_be_checked()
    choice.get_by_label("Treadmill, 20–30 minutes").check()
    screen.get_by_label("I have read these warnings").check()
    assert_no_axe_violations(screen)
    screen.get_by_role("button", name="Start guided session").click()

    expect(screen).to_have_url(re.compile(r"/routines/aerobic/guide/2/$"))
    expect(screen.get_by_role("heading", level=1)).to_have_text("Treadmill")
    expect_the_only_step(screen)
    player = player_of(screen)
    press(player, "Start")
    screen.clock.run_for("21:00")
    press(player, "Stop")
    screen.get_by_role("button", name="Done, finish →").click()

    expect_finish(screen, "aerobic", ["Done"])
    expect(screen.locator(".guide-summary")).to_contain_text("Treadmill")
    expect(screen.locator(".guide-summary")).not_to_contain_text("Stationary bike")


def test_the_safety_check_asks_to_pick_one_when_none_is_picked(page, catalogue):
    page.goto("/routines/aerobic/guide/")
    page.get_by_label("I have read these warnings").check()
    page.get_by_role("button", name="Start guided session").click()

    expect(page).to_have_url(re.compile(r"/routines/aerobic/guide/$"))
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "Choose which one you will do today."
    )


def test_a_picked_bike_is_the_only_step_and_goes_on_to_the_finish(screen, catalogue):
    stub_player_apis(screen)
    screen.goto("/routines/aerobic/guide/")
    screen.get_by_role("group", name=PICK).get_by_label(
        "Stationary bike, 20–30 minutes"
    ).check()
    screen.get_by_label("I have read these warnings").check()
    screen.get_by_role("button", name="Start guided session").click()

    expect(screen).to_have_url(re.compile(r"/routines/aerobic/guide/1/$"))
    expect(screen.get_by_role("heading", level=1)).to_have_text("Stationary bike")
    expect_the_only_step(screen)
    assert_no_axe_violations(screen)

    # The player names no next step: the treadmill is not part of this session.
    player = player_of(screen)
    expect(player).to_have_attribute("data-next-name", "")
    press(player, "Start")
    screen.clock.run_for("30:02")
    expect(player.locator("[data-player-targets]")).to_contain_text(
        "30-minute target reached"
    )
    press(player, "Stop")
    screen.get_by_role("button", name="Done, finish →").click()
    expect_finish(screen, "aerobic", ["Done"])
    expect(screen.locator(".guide-summary")).to_contain_text("Stationary bike")
    expect(screen.locator(".guide-summary")).not_to_contain_text("Treadmill")
