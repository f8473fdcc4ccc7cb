"""Forms in a real browser: the hand log works first time, errors are seen."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import CompletedSession
from tests.browser.conftest import SCREENS, open_page
from tests.browser.flows import assert_no_axe_violations, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

PHONE = SCREENS["phone"]
LAPTOP = SCREENS["laptop"]


@pytest.fixture
def phone(browser, request, live_server):
    return open_page(browser, request, live_server, **PHONE)


@pytest.fixture
def laptop(browser, request, live_server):
    return open_page(browser, request, live_server, **LAPTOP)


@pytest.fixture(params=["phone", "laptop"])
def screen(request, live_server):
    # live_server named here, not only through getfixturevalue: pytest-django
    # orders tests by the fixtures they name, and a test that flushes the
    # database must run after the ones that keep it.
    return request.getfixturevalue(request.param)


@pytest.fixture
def rosa(catalogue):
    return UserFactory(username="rosa")


# The hand log


def test_a_hand_log_is_saved_first_time_and_once_after_back(screen, rosa):
    log_in(screen, "rosa")
    expect(screen).to_have_url(re.compile(r"/progress/$"))
    screen.goto("/progress/log/")
    expect(screen.get_by_label("Date")).to_have_value(timezone.localdate().isoformat())
    expect(screen.get_by_label("Time")).to_have_value(re.compile(r"^\d\d:\d\d$"))
    token = screen.locator("input[name=client_token]").input_value()

    screen.get_by_label("Routine").select_option(label="Beginner")
    screen.get_by_role("button", name="Log session").click()

    expect(screen).to_have_url(re.compile(r"/progress/sessions/\d+/$"))
    expect(screen.get_by_text("Session logged.")).to_be_visible()
    screen.goto("/progress/history/")
    entries = screen.locator("ol.history > li")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("Beginner")

    # Back to the form, as left: the same token, the routine still chosen.
    screen.go_back()
    screen.go_back()
    expect(screen).to_have_url(re.compile(r"/progress/log/$"))
    assert screen.locator("input[name=client_token]").input_value() == token
    screen.get_by_role("button", name="Log session").click()

    expect(screen).to_have_url(re.compile(r"/progress/sessions/\d+/$"))
    expect(screen.get_by_text("This session was already logged.")).to_be_visible()
    assert CompletedSession.objects.filter(user=rosa).count() == 1


# Errors seen on a phone


def safety_check(page):
    page.goto("/routines/beginner/guide/")
    page.get_by_role("button", name="Start guided session").click()
    return "id_acknowledged"


def sign_up_empty(page):
    page.goto("/accounts/signup/")
    page.get_by_role("button", name="Create account").click()
    return "id_username"


def sign_up_without_consent(page):
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("maya")
    page.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill("quiet-river-42-lamp")
    page.get_by_label("Password confirmation").fill("quiet-river-42-lamp")
    page.get_by_role("button", name="Create account").click()
    return "id_health_data_consent"


def log_in_empty(page):
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Log in").click()
    return "id_username"


def as_rosa(form):
    """The form, sent by rosa once she has logged in."""

    def fill(page):
        log_in(page, "rosa")
        expect(page).to_have_url(re.compile(r"/progress/$"))
        return form(page)

    fill.__name__ = form.__name__
    return fill


@as_rosa
def log_empty(page):
    page.goto("/progress/log/")
    page.get_by_role("button", name="Log session").click()
    return "id_routine"


@as_rosa
def weekly_target(page):
    page.goto("/accounts/profile/")
    page.get_by_label("Weekly target (sessions per week)").fill("99")
    page.get_by_role("button", name="Save target").click()
    return "id_weekly_target"


@as_rosa
def screening_unanswered(page):
    page.goto("/accounts/profile/")
    page.get_by_role("button", name="Save my answers").click()
    return re.compile(r"^id_condition_\d+_0$")


@as_rosa
def delete_account(page):
    page.goto("/accounts/profile/")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Delete my account").click()
    return "id_password"


def assert_error_summary_seen(page, field):
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary).to_be_focused()
    box = summary.bounding_box()
    height = page.viewport_size["height"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, box

    summary.get_by_role("link").first.click()
    focused = page.evaluate("document.activeElement.id")
    if isinstance(field, str):
        assert focused == field
    else:
        assert field.match(focused), focused
    field_box = page.locator(f"#{focused}").bounding_box()
    assert 0 <= field_box["y"] <= height - field_box["height"], field_box


@pytest.mark.parametrize(
    "submit",
    [
        safety_check,
        sign_up_empty,
        sign_up_without_consent,
        log_in_empty,
        log_empty,
        weekly_target,
        screening_unanswered,
        delete_account,
    ],
    ids=lambda submit: submit.__name__,
)
def test_a_refused_form_shows_its_errors_on_a_phone(phone, rosa, submit):
    field = submit(phone)

    assert_error_summary_seen(phone, field)


def test_a_refused_form_at_the_foot_of_a_laptop_page(laptop, rosa):
    field = delete_account(laptop)

    assert_error_summary_seen(laptop, field)


def test_axe_sign_up_showing_its_errors(laptop, catalogue):
    sign_up_empty(laptop)
    expect(laptop.locator("[data-error-summary]")).to_be_focused()

    assert_no_axe_violations(laptop)
