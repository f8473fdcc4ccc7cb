"""The guided step's first screen: the player comes first on a phone and a
laptop, hold and rest are told apart by word and colour, and the keyboard
hint shows only where there is a keyboard."""

import pytest
from playwright.sync_api import expect

from tests.browser.flows import player_of, start_guide

VIEWPORT_BOTTOM = 800


def test_start_and_the_clock_are_in_the_first_viewport_on_every_beginner_step(
    screen, catalogue
):
    page = screen
    start_guide(page, "beginner")
    for number in range(1, 7):
        page.goto(f"/routines/beginner/guide/{number}/")
        player = player_of(page)
        if number == 6:
            # The warning is still shown, before the timer, with its way out.
            warning = page.locator(".warning-avoid")
            expect(warning).to_be_visible()
            assert warning.bounding_box()["y"] < player.bounding_box()["y"]
            skip = page.get_by_role("button", name="Skip this exercise")
            assert skip.bounding_box()["y"] < player.bounding_box()["y"]
        if player.get_attribute("data-mode") == "count":
            shown = [player.locator("[data-player-count]")]
        else:
            shown = [player.locator("[data-player-clock]")]
        shown.append(player.locator("[data-player-toggle]"))
        for element in shown:
            box = element.bounding_box()
            assert box["y"] + box["height"] <= VIEWPORT_BOTTOM, (number, box)
        assert page.evaluate("scrollY") == 0


@pytest.mark.parametrize(("name", "shown"), [("phone", False), ("laptop", True)])
def test_keyboard_hint_only_with_a_keyboard(open_screen, catalogue, name, shown):
    page = open_screen(name)
    start_guide(page, "beginner")
    player_of(page)
    hint = page.locator("[data-guide-keyboard-hint]")
    if shown:
        expect(hint).to_be_visible()
    else:
        expect(hint).to_be_hidden()
