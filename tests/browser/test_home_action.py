"""
The home page's first screen on a phone: one clear action, with its time; for
a signed-in person, the Today card's.
"""

import re

from playwright.sync_api import expect

from exercises.models import Routine
from tests.browser.flows import sign_in
from tests.factories import UserFactory


def assert_first_screen_action(page, name, time, *, label=None):
    """The one primary action, whole within the first 360×800 screen, names
    ``name`` and ``time`` (or reads ``label``, ``time`` shown above it), and
    one tap on it leads to the routine's safety check."""
    page.goto("/")
    assert page.evaluate("window.scrollY") == 0
    actions = page.locator("[data-primary-action]")
    expect(actions).to_have_count(1)
    action = actions.first
    expect(action).to_be_visible()
    if label is None:
        expect(action).to_have_text(
            re.compile(rf"^\s*Start the {name} routine\s+{time}\s*$")
        )
    else:
        expect(action).to_have_text(label)
        expect(page.locator("[data-today]")).to_contain_text(time)
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


def test_a_person_on_a_phone_starts_today_from_the_today_card(phone_page, catalogue):
    # Every day planned, at the intermediate level: today is a planned day.
    person = UserFactory(
        username="robin",
        plan_days="0123456",
        level=Routine.objects.get(slug="intermediate"),
    )
    sign_in(phone_page, person)

    phone_page.goto("/")
    expect(phone_page.locator("[data-today] h2")).to_have_text(
        "Today: Intermediate routine"
    )
    assert_first_screen_action(
        phone_page, "intermediate", "About 4 minutes", label="Start"
    )
