"""
A person's plan on a 360×800 phone: choosing it on the profile, the Today
card in each of its states, and accepting or declining a suggested level.
"""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from playwright.sync_api import expect

from accounts.models import User
from exercises.models import Routine
from tests.browser.flows import assert_no_axe_violations, record_session, sign_in
from tests.factories import UserFactory

ZONE = "Asia/Shanghai"


def today_in_their_zone():
    return timezone.localdate(timezone=ZoneInfo(ZONE))


def weekday(ahead=0):
    """The weekday digit (Monday 0) of the day ``ahead`` days from their today."""
    return str((today_in_their_zone().weekday() + ahead) % 7)


@pytest.fixture
def person(catalogue):
    return UserFactory(username="kim", time_zone=ZONE)


def planned(person, days):
    User.objects.filter(pk=person.pk).update(plan_days=days)


def today_card(page):
    return page.locator("[data-today]")


def test_choosing_a_plan_on_the_profile(phone_page, person):
    sign_in(phone_page, person)
    phone_page.goto("/accounts/profile/")
    plan = phone_page.locator("#plan")
    # The defaults: Monday, Wednesday and Friday, at the beginner level.
    for day in ("Monday", "Wednesday", "Friday"):
        expect(plan.get_by_label(day, exact=True)).to_be_checked()
    assert_no_axe_violations(phone_page)

    for day in ("Monday", "Wednesday", "Friday"):
        plan.get_by_label(day, exact=True).uncheck()
    for day in ("Tuesday", "Thursday"):
        plan.get_by_label(day, exact=True).check()
    plan.get_by_label("Time of day").fill("07:30")
    plan.get_by_label("Your level").select_option(label="Intermediate")
    plan.get_by_role("button", name="Save plan").click()

    expect(phone_page).to_have_url(re.compile(r"/accounts/profile/$"))
    expect(
        phone_page.get_by_text("Your plan was saved: 2 days a week.")
    ).to_be_visible()
    expect(plan.get_by_label("Tuesday", exact=True)).to_be_checked()
    expect(plan.get_by_label("Monday", exact=True)).not_to_be_checked()
    person.refresh_from_db()
    assert (person.plan_days, person.weekly_target) == ("13", 2)
    assert person.plan_time.isoformat() == "07:30:00"
    assert person.level.slug == "intermediate"


def test_a_planned_day_not_done_offers_the_level_routine(phone_page, person):
    planned(person, weekday())
    sign_in(phone_page, person)

    phone_page.goto("/")

    card = today_card(phone_page)
    expect(card.get_by_role("heading")).to_have_text("Today: Beginner routine")
    expect(card).to_contain_text("About 7 minutes")
    start = card.get_by_role("link", name="Start", exact=True)
    expect(start).to_be_in_viewport()
    assert_no_axe_violations(phone_page)

    start.tap()
    expect(phone_page).to_have_url(re.compile(r"/routines/beginner/guide/$"))


def test_done_today_names_the_next_planned_day(phone_page, person):
    planned(person, weekday() + weekday(2))
    record_session(
        person,
        Routine.objects.get(slug="beginner"),
        timezone.now() - timedelta(minutes=15),
        minutes=8,
        pain_before=3,
        pain_after=2,
    )
    sign_in(phone_page, person)

    for path in ("/", "/progress/"):
        phone_page.goto(path)
        card = today_card(phone_page)
        expect(card.get_by_role("heading")).to_have_text("Done today ✓")
        next_day = WEEKDAYS[int(weekday(2))]
        expect(card).to_contain_text(f"Next: {next_day}")
        expect(card.get_by_role("link", name="Start", exact=True)).to_have_count(0)
        assert_no_axe_violations(phone_page)


def test_a_rest_day_names_the_next_planned_day_and_offers_an_extra_session(
    phone_page, person
):
    planned(person, weekday(1))
    sign_in(phone_page, person)

    phone_page.goto("/")

    card = today_card(phone_page)
    expect(card.get_by_role("heading")).to_have_text("Today is a rest day")
    expect(card).to_contain_text(f"Your next planned day: {WEEKDAYS[int(weekday(1))]}")
    extra = card.get_by_role("link", name="An extra session of the Beginner routine")
    expect(extra).to_be_visible()
    assert_no_axe_violations(phone_page)

    extra.tap()
    expect(phone_page).to_have_url(re.compile(r"/routines/beginner/guide/$"))


def ready_to_move_up(person):
    """Six calm beginner sessions over more than two weeks."""
    beginner = Routine.objects.get(slug="beginner")
    start = timezone.now() - timedelta(days=20)
    for n in range(6):
        record_session(
            person,
            beginner,
            start + timedelta(days=3 * n),
            minutes=8,
            pain_before=3,
            pain_after=3,
        )


SUGGESTION = re.compile(
    r"You completed the Beginner routine 6 times over 15 days, and your pain did "
    r"not rise by more than 1 point in your last 3 sessions"
)


def test_accepting_a_suggestion_to_move_up(phone_page, person):
    ready_to_move_up(person)
    sign_in(phone_page, person)

    suggestion = phone_page.locator("[data-level-suggestion]")
    expect(suggestion).to_contain_text(SUGGESTION)
    assert_no_axe_violations(phone_page)
    suggestion.get_by_role("button", name="Switch to the Intermediate routine").tap()

    expect(phone_page).to_have_url(re.compile(r"/progress/$"))
    expect(
        phone_page.get_by_text("Your level is now the Intermediate routine.")
    ).to_be_visible()
    expect(phone_page.locator("[data-level-suggestion]")).to_have_count(0)
    assert User.objects.get(pk=person.pk).level.slug == "intermediate"


def test_declining_a_suggestion_to_move_up(phone_page, person):
    ready_to_move_up(person)
    sign_in(phone_page, person)

    suggestion = phone_page.locator("[data-level-suggestion]")
    expect(suggestion).to_contain_text(SUGGESTION)
    suggestion.get_by_role("button", name="Not yet").tap()

    expect(phone_page).to_have_url(re.compile(r"/progress/$"))
    expect(
        phone_page.get_by_text(
            "Not yet, then: BackCare will ask again in a few sessions."
        )
    ).to_be_visible()
    expect(phone_page.locator("[data-level-suggestion]")).to_have_count(0)
    assert_no_axe_violations(phone_page)
    declined = User.objects.get(pk=person.pk)
    assert (declined.level_id, declined.level_declined_at) == (None, 6)
