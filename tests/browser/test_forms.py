"""Forms in a real browser: the hand log works first time, errors are seen."""

import re
from dataclasses import dataclass, field

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import CompletedSession, User
from tests.browser.flows import (
    PASSWORD_FIELD,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    sign_in,
)

# The hand log


def test_a_hand_log_is_saved_first_time_and_once_after_back(screen, user, practice):
    sign_in(screen, user)
    screen.goto("/progress/log/")
    expect(screen.get_by_label("Date")).to_have_value(timezone.localdate().isoformat())
    expect(screen.get_by_label("Time")).to_have_value(re.compile(r"^\d\d:\d\d$"))
    token = screen.locator("input[name=client_token]").input_value()

    screen.get_by_label("Routine").select_option(label="Practice")
    screen.get_by_role("button", name="Log session").click()

    expect(screen).to_have_url(re.compile(r"/progress/sessions/\d+/$"))
    expect(screen.get_by_text("Session logged.")).to_be_visible()
    screen.goto("/progress/history/")
    entries = screen.locator("ol.history > li")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("Practice")

    # Back to the form, as left: the same token, the routine still chosen.
    screen.go_back()
    screen.go_back()
    expect(screen).to_have_url(re.compile(r"/progress/log/$"))
    assert screen.locator("input[name=client_token]").input_value() == token
    screen.get_by_role("button", name="Log session").click()

    expect(screen).to_have_url(re.compile(r"/progress/sessions/\d+/$"))
    expect(screen.get_by_text("This session was already logged.")).to_be_visible()
    assert CompletedSession.objects.filter(user=user).count() == 1


# Errors seen on a phone


@dataclass
class RefusedForm:
    """A form sent so that it is refused, and the field its summary leads to."""

    path: str
    button: str
    field: str | re.Pattern
    fill: dict = field(default_factory=dict)
    tick: list = field(default_factory=list)
    untick: list = field(default_factory=list)
    signed_in: bool = False
    # Sent as a browser without form checks would send it (or a hand-made
    # POST): the server's answer is what is tried.
    unchecked: bool = False

    def send(self, page, user=None):
        if self.signed_in:
            sign_in(page, user)
        page.goto(self.path)
        for label, value in self.fill.items():
            page.get_by_label(label).fill(value)
        for label in self.tick:
            page.get_by_label(label).check()
        for label in self.untick:
            page.get_by_label(label, exact=True).uncheck()
        if self.unchecked:
            skip_browser_checks(page)
        page.get_by_role("button", name=self.button).click()


def skip_browser_checks(page):
    page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")


CONSENT = "I agree that BackCare keeps my health information"
SIGN_UP = {
    "Username": "maya",
    "Email (optional)": "maya@example.com",
    PASSWORD_FIELD: "quiet-river-42-lamp",
    "Password confirmation": "quiet-river-42-lamp",
}

REFUSED_FORMS = {
    "safety_check": RefusedForm(
        "/routines/practice/guide/", "Start guided session", "id_acknowledged"
    ),
    "sign_up_empty": RefusedForm(
        "/accounts/signup/", "Create account", "id_username", unchecked=True
    ),
    "sign_up_mismatched": RefusedForm(
        "/accounts/signup/",
        "Create account",
        "id_password2",
        fill={
            "Username": "maya",
            PASSWORD_FIELD: "quiet-river-42-lamp",
            "Password confirmation": "quiet-river-42-lump",
        },
        tick=[CONSENT],
    ),
    "sign_up_without_consent": RefusedForm(
        "/accounts/signup/",
        "Create account",
        "id_health_data_consent",
        fill=SIGN_UP,
        unchecked=True,
    ),
    "log_in_empty": RefusedForm("/accounts/login/", "Log in", "id_username"),
    "log_empty": RefusedForm(
        "/progress/log/", "Log session", "id_routine", signed_in=True
    ),
    # The plan sets the weekly target (its number of days): none chosen.
    "plan_without_a_day": RefusedForm(
        "/accounts/profile/",
        "Save plan",
        "id_days_0",
        untick=["Monday", "Wednesday", "Friday"],
        signed_in=True,
    ),
    "screening_unanswered": RefusedForm(
        "/accounts/profile/",
        "Save my answers",
        re.compile(r"^id_condition_\d+_0$"),
        signed_in=True,
    ),
    "delete_account": RefusedForm(
        "/accounts/profile/",
        "Delete my account",
        "id_password",
        fill={"Your password": "not my password"},
        signed_in=True,
    ),
}


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


@pytest.mark.parametrize("name", REFUSED_FORMS)
def test_a_refused_form_shows_its_errors_on_a_phone(phone_page, user, practice, name):
    form = REFUSED_FORMS[name]
    form.send(phone_page, user)

    assert_error_summary_seen(phone_page, form.field)


def test_a_refused_form_at_the_foot_of_a_laptop_page(page, user, practice):
    form = REFUSED_FORMS["delete_account"]
    form.send(page, user)

    assert_error_summary_seen(page, form.field)


@pytest.mark.parametrize("name", ["sign_up_empty", "sign_up_without_consent"])
def test_axe_sign_up_showing_its_errors(page, practice, name):
    REFUSED_FORMS[name].send(page)
    expect(page.locator("[data-error-summary]")).to_be_focused()

    assert_no_axe_violations(page)


# Sign-up without the consent box


def test_the_browser_stops_a_sign_up_without_consent_and_keeps_what_was_typed(
    screen, db
):
    sent = []
    screen.on("request", lambda r: r.method == "POST" and sent.append(r.url))
    screen.goto("/accounts/signup/")
    for label, value in SIGN_UP.items():
        screen.get_by_label(label).fill(value)

    screen.get_by_role("button", name="Create account").click()

    box = screen.get_by_label(CONSENT)
    expect(box).to_be_focused()
    assert box.evaluate("box => box.matches(':invalid')")
    assert not screen.evaluate(
        "document.querySelector('form.form-narrow').checkValidity()"
    )
    assert sent == []
    assert screen.url.endswith("/accounts/signup/")
    for label, value in SIGN_UP.items():
        expect(screen.get_by_label(label)).to_have_value(value)

    box.check()
    assert screen.evaluate("document.querySelector('form.form-narrow').checkValidity()")
    screen.get_by_role("button", name="Create account").click()
    expect(screen).to_have_url(re.compile(r"/accounts/screening/$"))
    assert User.objects.get().username == "maya"


def stacked_widths(page):
    """The consent box's label, message and help: their boxes, top to bottom."""
    block = page.locator("#div_id_health_data_consent")
    return [
        block.locator(selector).bounding_box()
        for selector in ["label", "#id_health_data_consent_error", ".form-text"]
    ]


def test_a_sign_up_sent_without_consent_says_so_beside_the_box_and_keeps_the_rest(
    screen, db
):
    form = REFUSED_FORMS["sign_up_without_consent"]
    with screen.expect_response(lambda r: r.request.method == "POST") as answer:
        form.send(screen)

    assert answer.value.status == 400
    assert not User.objects.exists()
    block = screen.locator("#div_id_health_data_consent")
    expect(block.locator("#id_health_data_consent_error")).to_contain_text(
        "Please tick the box to agree that BackCare keeps your health information."
    )
    # Nothing else was wrong: everything typed is still there, both
    # passwords included, so a tick is all the second try takes.
    for label, value in SIGN_UP.items():
        expect(screen.get_by_label(label)).to_have_value(value)

    # One column: the label, then the message, then the help, each nearly the
    # form's width (on a phone three narrow columns side by side before).
    label, message, help_text = stacked_widths(screen)
    assert label["y"] + label["height"] <= message["y"] + 1
    assert message["y"] + message["height"] <= help_text["y"] + 1
    for part in (label, message, help_text):
        assert part["width"] >= 300, part
    if screen.viewport_size["width"] == 360:
        assert_no_horizontal_scroll(screen)

    screen.get_by_label(CONSENT).check()
    screen.get_by_role("button", name="Create account").click()
    expect(screen).to_have_url(re.compile(r"/accounts/screening/$"))
    assert User.objects.get().check_password(SIGN_UP[PASSWORD_FIELD])
