"""The guided step's first screen: the player comes first on a phone and a
laptop, the drawing is large below the timer on a phone and beside it on a
laptop, hold and rest are told apart by word and colour, and the keyboard
hint shows only where there is a keyboard."""

import pytest
from playwright.sync_api import expect

from tests.browser.flows import player_of, start_guide

VIEWPORT_BOTTOM = 800
LARGE = 300  # px: a figure a person on a mat can make out


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


def test_the_drawing_is_large_below_the_timer_on_a_phone_beside_it_on_a_laptop(
    screen, catalogue
):
    page = screen
    phone = page.viewport_size["width"] == 360
    start_guide(page, "beginner")
    for number in range(1, 7):
        page.goto(f"/routines/beginner/guide/{number}/")
        player = player_of(page)
        img = page.locator("figure.illustration img.illustration-moving")
        expect(img).to_have_count(1)
        img.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=img.element_handle())
        drawing, timer = img.bounding_box(), player.bounding_box()
        assert drawing["width"] >= LARGE, (number, drawing)
        if phone:
            # The full width, under the player (which keeps the first screen).
            main = page.locator("main").bounding_box()
            assert drawing["width"] >= main["width"] - 2 * 16, (number, drawing)
            assert drawing["y"] >= timer["y"] + timer["height"], (number, drawing)
        else:
            # Beside the timer: to its right, level with it, in the first screen.
            assert drawing["x"] >= timer["x"] + timer["width"], (number, drawing)
            assert drawing["y"] < timer["y"] + timer["height"], (number, drawing)
            assert drawing["y"] + drawing["height"] > timer["y"], (number, drawing)
            assert drawing["y"] + drawing["height"] <= VIEWPORT_BOTTOM, number
        page.evaluate("scrollTo(0, 0)")
        toggle = player.locator("[data-player-toggle]").bounding_box()
        assert toggle["y"] + toggle["height"] <= VIEWPORT_BOTTOM, (number, toggle)


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
