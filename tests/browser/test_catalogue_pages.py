import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BEGINNER = [
    "Ankle pumps",
    "Heel slides",
    "Abdominal contraction",
    "Wall squats",
    "Heel raises",
    "Straight-leg raises",
]


def test_home_to_beginner_routine_shows_steps_in_order(page, catalogue):
    page.goto("/")
    page.get_by_role("link", name="Beginner").click()

    expect(page).to_have_url(re.compile(r"/routines/beginner/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Beginner routine")
    titles = page.locator("article.step h3 a").all_inner_texts()
    assert titles == BEGINNER


def test_nerve_pain_warning_sits_beside_straight_leg_raises(page, catalogue):
    page.goto("/routines/beginner/")

    slr = page.locator("article.step", has_text="Straight-leg raises")
    expect(slr.locator(".warning-avoid")).to_contain_text("nerve pain")
    assert page.locator("article.step .warning-avoid").count() == 1


def test_routine_page_fits_a_360px_phone(phone_page, catalogue):
    phone_page.goto("/routines/beginner/")

    scroll_width = phone_page.evaluate("document.documentElement.scrollWidth")
    client_width = phone_page.evaluate("document.documentElement.clientWidth")
    assert client_width == 360
    assert scroll_width <= client_width


def test_printed_routine_hides_navigation_and_keeps_every_step(page, catalogue):
    page.goto("/routines/beginner/")
    page.emulate_media(media="print")

    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.locator("article.step")).to_have_count(6)
    expect(page.locator("article.step .warning-avoid")).to_be_visible()
    expect(
        page.get_by_text("10 repetitions, hold 5 seconds each").first
    ).to_be_visible()
