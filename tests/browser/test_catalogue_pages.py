"""The seed catalogue's pages: its routines in order, on a phone and on paper."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.flows import (
    BEGINNER_STEPS,
    assert_no_horizontal_scroll,
    start_guide,
)


def test_home_to_beginner_routine_shows_steps_in_order(page, catalogue):
    page.goto("/")
    page.get_by_role("link", name="Beginner", exact=True).click()

    expect(page).to_have_url(re.compile(r"/routines/beginner/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Beginner routine")
    titles = page.locator("article.step h3 a").all_inner_texts()
    assert titles == BEGINNER_STEPS


def test_nerve_pain_warning_sits_beside_straight_leg_raises(page, catalogue):
    page.goto("/routines/beginner/")

    slr = page.locator("article.step", has_text="Straight-leg raises")
    expect(slr.locator(".warning-avoid")).to_contain_text("nerve pain")
    assert page.locator("article.step .warning-avoid").count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/routines/beginner/",
        "/routines/advanced/",
        "/routines/aerobic/",
        "/exercises/straight-leg-raises/",
        "/about/",
        "/routines/beginner/guide/",
        "/no/such/page/",
    ],
)
def test_public_pages_fit_a_360px_phone(phone_page, catalogue, path):
    phone_page.goto(path)

    assert_no_horizontal_scroll(phone_page)


@pytest.mark.parametrize(
    ("slug", "pages"),
    [("beginner", ["1/", "3/", "6/", "finish/"]), ("intermediate", ["1/"])],
)
def test_guide_steps_and_finish_fit_a_360px_phone(phone_page, catalogue, slug, pages):
    start_guide(phone_page, slug)

    for path in pages:
        response = phone_page.goto(f"/routines/{slug}/guide/{path}")
        assert response.status == 200, path
        assert_no_horizontal_scroll(phone_page)


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
