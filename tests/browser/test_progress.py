"""Accounts and progress in a real browser: sign up, log, see, export, delete."""

import csv
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.flows import (
    NEW_PASSWORD,
    answer_screening,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    choose_pain,
    fill_signup_form,
    log_in,
    sign_in,
    sign_up,
    walk_to_finish,
    with_a_session_today,
)

STEPS = 4


@pytest.fixture
def person(user, practice):
    """A person with one guided practice session from today (pain 6 → 4)."""
    return with_a_session_today(
        user, practice, ["done", "skipped", "done", "skipped_for_safety"]
    )


def test_sign_up_log_a_guided_session_export_and_delete_the_account(page, practice):
    sign_up(page, "maya")
    answer_screening(page)
    expect(page.get_by_role("heading", name="No sessions yet")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("maya")

    walk_to_finish(page, "practice")
    expect(page.locator(".guide-summary .outcome-done")).to_have_count(STEPS)
    choose_pain(page, before=5, after=3)
    page.get_by_role("button", name="Save session").click()

    expect(page).to_have_url(re.compile(r"/progress/sessions/\d+/$"))
    expect(page.get_by_text("Session saved.")).to_be_visible()
    expect(page.locator(".outcome-done")).to_have_count(STEPS)

    page.goto("/progress/")
    summary = page.get_by_role("region", name="Summary")
    expect(summary).to_contain_text("1 of 3")
    expect(summary.locator(".per-routine")).to_have_text("Practice: 1")
    expect(page.locator("svg.pain-chart")).to_be_visible()
    page.get_by_text("Sessions per week as a table").click()
    this_week = page.locator("table tbody tr").last
    expect(this_week.locator("td")).to_have_text(["1", "5.0", "3.0"])

    page.get_by_role("link", name="History").click()
    expect(page).to_have_url(re.compile(r"/progress/history/$"))
    entries = page.locator("ol.history > li")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("Practice")
    expect(entries.first).to_contain_text("Pain 5 → 3")
    expect(entries.first).to_contain_text(f"{STEPS} done, 0 skipped")

    page.goto("/accounts/profile/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my sessions (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("backcare-sessions-")
    with open(download.path(), newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    row = rows[0]
    assert (row["routine"], row["pain_before"], row["pain_after"]) == (
        "Practice",
        "5",
        "3",
    )
    assert row["date"] == timezone.localdate().isoformat()
    assert (row["steps_done"], row["steps_skipped"]) == (str(STEPS), "0")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download everything (JSON)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("backcare-data-")
    with open(download.path(), encoding="utf-8") as handle:
        data = json.load(handle)
    assert data["account"]["username"] == "maya"
    assert [len(session["steps"]) for session in data["sessions"]] == [STEPS]

    page.get_by_label("Your password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(
        page.get_by_text("Your account and every record of it were deleted.")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert not get_user_model().objects.filter(username="maya").exists()

    log_in(page, "maya", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("alert")).to_contain_text(
        "Please enter a correct username and password"
    )
    page.goto("/progress/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/progress/$"))


def test_wrong_password_does_not_delete_the_account(page, person):
    sign_in(page, person)
    page.goto("/accounts/profile/")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Delete my account").click()

    # Said by the field, and again by the error summary's link to it.
    expect(page.get_by_text("That password is not right.", exact=True)).to_be_visible()
    assert get_user_model().objects.filter(pk=person.pk).exists()


def test_anonymous_session_is_saved_to_the_new_account(page, practice):
    walk_to_finish(page, "practice")
    expect(page.get_by_role("region", name="Save this session")).to_contain_text(
        "sign up or log in"
    )
    choose_pain(page, before=4, after=2)
    page.get_by_label("Notes").fill("First go, before signing up.")
    page.get_by_role("button", name="Save, then sign up or log in").click()

    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    expect(
        page.get_by_text(
            "Create an account or log in, and your session will be saved to it"
        )
    ).to_be_visible()
    fill_signup_form(page, "ines")

    expect(
        page.get_by_text("Your Practice session was saved to your account.")
    ).to_be_visible()
    page.get_by_role("link", name="Skip for now").click()
    expect(page).to_have_url(re.compile(r"/progress/$"))
    expect(page.get_by_role("region", name="Summary")).to_contain_text("1 of 3")
    expect(page.locator(".per-routine")).to_have_text("Practice: 1")

    page.get_by_role("link", name="History").click()
    entry = page.locator("ol.history > li")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Pain 4 → 2")
    expect(entry).to_contain_text("First go, before signing up.")

    # The pending session was used up: logging in again saves nothing more.
    page.get_by_role("button", name="Log out").click()
    log_in(page, "ines", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/progress/$"))
    expect(page.get_by_text("was saved to your account")).to_have_count(0)
    assert get_user_model().objects.get(username="ines").completed_sessions.count() == 1


# --- Accessibility (axe-core) ---


@pytest.mark.parametrize("path", ["/accounts/signup/", "/accounts/login/"])
def test_axe_anonymous_account_pages(page, practice, path):
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_axe_violations(page)


def test_axe_screening_after_sign_up(page, practice):
    sign_up(page, "lea")
    assert_no_axe_violations(page)


def test_axe_empty_dashboard(page, user, practice):
    sign_in(page, user)
    expect(page.get_by_role("heading", name="No sessions yet")).to_be_visible()
    assert_no_axe_violations(page)


def test_axe_empty_history(page, user, practice):
    sign_in(page, user)
    page.goto("/progress/history/")
    expect(page.get_by_text("No sessions logged yet.")).to_be_visible()
    assert_no_axe_violations(page)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/progress/", "Your progress"),
        ("/progress/history/", "History"),
        ("/progress/log/", "Log a session"),
        ("/accounts/profile/", "Your profile"),
    ],
)
def test_axe_signed_in_pages_with_data(page, person, path, heading):
    sign_in(page, person)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_no_axe_violations(page)


def test_axe_dashboard_with_table_open(page, person):
    sign_in(page, person)
    page.get_by_text("Sessions per week as a table").click()
    expect(page.get_by_role("table")).to_be_visible()
    assert_no_axe_violations(page)


def test_axe_session_page(page, person):
    sign_in(page, person)
    page.goto(person.completed_session.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice")
    expect(page.locator(".outcome-skipped_for_safety")).to_have_count(1)
    assert_no_axe_violations(page)


def test_axe_session_delete_confirmation(page, person):
    sign_in(page, person)
    page.goto(person.completed_session.get_absolute_url())
    page.get_by_role("link", name="Delete this session…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this session?")
    assert_no_axe_violations(page)


def test_axe_forms_showing_errors(page, person):
    sign_in(page, person)
    page.goto("/progress/log/")
    # No routine chosen: the form comes back with its errors.
    page.get_by_role("button", name="Log session").click()
    expect(page.locator(".invalid-feedback, .is-invalid").first).to_be_visible()
    assert_no_axe_violations(page)


def test_axe_guided_finish_page_save_form(page, practice):
    walk_to_finish(page, "practice")
    assert_no_axe_violations(page)


# --- Phone screens ---


@pytest.mark.parametrize(
    ("path", "text"),
    [("/progress/", "Practice: 1"), ("/progress/history/", "Pain 6 → 4")],
)
def test_progress_pages_fit_a_360px_phone(phone_page, person, path, text):
    sign_in(phone_page, person)
    phone_page.goto(path)
    expect(phone_page.get_by_text(text)).to_be_visible()
    assert_no_horizontal_scroll(phone_page)


def test_the_calendar_names_its_weekdays_and_months_on_every_screen(screen, person):
    page = screen
    sign_in(page, person)
    page.goto("/progress/")
    calendar = page.locator("svg.calendar-chart")
    squares = calendar.locator("rect.cal-day")
    first = squares.first.bounding_box()
    weekdays = calendar.locator(".cal-weekday")
    expect(weekdays).to_have_text(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    for n in range(7):
        label = weekdays.nth(n).bounding_box()
        # Left of the squares, level with its row, big enough to read.
        assert label["x"] + label["width"] <= first["x"], (n, label)
        row = first["y"] + n * (first["height"] * 10 / 8)
        assert row - 2 <= label["y"] + label["height"] / 2 <= row + first["height"] + 2
        assert label["height"] >= 10, label
    months = calendar.locator(".cal-month")
    assert months.count() >= 3
    expect(months.first).to_be_visible()
    for n in range(months.count()):
        label = months.nth(n).bounding_box()
        assert label["y"] + label["height"] <= first["y"] + 1, label
    if page.viewport_size["width"] == 360:
        assert_no_horizontal_scroll(page)
