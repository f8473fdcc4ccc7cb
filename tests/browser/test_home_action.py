"""The home page's first screen on a phone: one clear action, with its time."""

import re

import pytest
from playwright.sync_api import expect

from exercises.models import Routine
from tests.browser.flows import sign_in
from tests.factories import CompletedSessionFactory, UserFactory


@pytest.fixture
def last_routine(settings):
    """The site as settings.py names the accounts app's reader of a person's last routine."""
    settings.LAST_ROUTINE = "accounts.routines.last_routine_id"


def assert_first_screen_action(page, name, time):
    """The one primary action, whole within the first 360×800 screen, names
    ``name`` and ``time``, and leads to the routine's safety check."""
    page.goto("/")
    assert page.evaluate("window.scrollY") == 0
    actions = page.locator("[data-primary-action]")
    expect(actions).to_have_count(1)
    action = actions.first
    expect(action).to_be_visible()
    expect(action).to_have_text(
        re.compile(rf"^\s*Start the {name} routine\s+{time}\s*$")
    )
    box = action.bounding_box()
    viewport = page.viewport_size
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] + box["height"] <= viewport["height"], box
    assert box["height"] >= 44, box  # a thumb's target

    action.tap()

    expect(page).to_have_url(re.compile(rf"/routines/{name}/guide/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Before you start: safety check"
    )
    expect(page.get_by_text(f"{name.capitalize()} routine,")).to_be_visible()


def test_a_visitor_on_a_phone_is_offered_the_beginner_routine(phone_page, catalogue):
    assert_first_screen_action(phone_page, "beginner", "About 7 minutes")


def test_a_person_on_a_phone_is_offered_the_routine_they_did_last(
    phone_page, catalogue, last_routine
):
    person = UserFactory(username="robin")
    CompletedSessionFactory(
        user=person, routine=Routine.objects.get(slug="intermediate")
    )
    sign_in(phone_page, person)

    assert_first_screen_action(phone_page, "intermediate", "About 4 minutes")
