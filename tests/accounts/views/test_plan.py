"""The plan's form, the Today card's states and the answers to a suggested level."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import DEFAULT_PLAN_TIME, User
from exercises.models import StepOutcome
from tests.factories import (
    CompletedSessionFactory,
    RoutineFactory,
    RoutineStepFactory,
    StepResultFactory,
    UserFactory,
)
from tests.helpers import text_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def ladder(db):
    routines = []
    for level, title in enumerate(["Beginner", "Intermediate", "Advanced"], 1):
        routine = RoutineFactory(slug=title.lower(), title=title, level=level)
        RoutineStepFactory(routine=routine, order=1, repetitions=10)
        routines.append(routine)
    return routines


@pytest.fixture
def person(ladder):
    person = UserFactory(username="lin", time_zone="Asia/Shanghai")
    client = Client()
    client.force_login(person)
    return client, person


def session_at(person, routine, moment, before=3, after=3):
    session = CompletedSessionFactory(
        user=person,
        routine=routine,
        started_at=moment,
        finished_at=moment + timedelta(minutes=10),
        pain_before=before,
        pain_after=after,
    )
    StepResultFactory(session=session, order=1, outcome=StepOutcome.DONE)
    # Written past the services: the person's kept figures are counted anew.
    services.totals_rebuild(user=person)
    return session


def test_the_plan_form_saves_days_time_and_level(person, ladder):
    client, user = person

    response = client.post(
        "/progress/plan/",
        {"days": ["1", "3"], "time": "07:30", "level": "intermediate"},
    )

    assert response.status_code == 302
    user = User.objects.get(pk=user.pk)
    assert user.plan_days == "13"
    assert user.plan_time.isoformat() == "07:30:00"
    assert user.level == ladder[1]
    assert user.weekly_target == 2
    assert "Your plan was saved: 2 days a week." in text_of(client.get(response.url))


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"time": "07:30", "level": "beginner"},
            "Choose at least one day of the week.",
        ),
        (
            {"days": ["1"], "time": "7 pm", "level": "beginner"},
            "Enter a time such as 18:00.",
        ),
        (
            {"days": ["9"], "time": "07:30", "level": "beginner"},
            "Select a valid choice.",
        ),
        ({"days": ["1"], "time": "07:30", "level": "nope"}, "Select a valid choice."),
    ],
)
def test_a_bad_plan_answers_400_and_keeps_nothing(person, data, message):
    client, user = person

    response = client.post("/progress/plan/", data)

    assert response.status_code == 400
    assert message in text_of(response)
    user = User.objects.get(pk=user.pk)
    assert (user.plan_days, user.weekly_target, user.level_id) == ("024", 3, None)


def test_the_profile_shows_the_plan_form_with_weekday_names(person):
    client, _ = person

    page = text_of(client.get("/accounts/profile/"))

    assert "Your plan" in page
    for day in ("Monday", "Wednesday", "Sunday"):
        assert day in page


def test_a_sessions_page_offers_the_plan_until_one_is_chosen(person, ladder):
    client, user = person
    # The plan chosen is the one they had: only its being chosen changes.
    User.objects.filter(pk=user.pk).update(level=ladder[0])
    session = session_at(user, ladder[0], timezone.now() - timedelta(hours=1))
    url = session.get_absolute_url()
    time = DEFAULT_PLAN_TIME.strftime("%H:%M")

    offered = client.get(url)

    assert offered.status_code == 200
    assert "Make a plan" in text_of(offered)
    assert f'href="/progress/plan/?next={url}"' in offered.content.decode()
    # The plan's page, from there, goes back to the session.
    assert "Not now" in text_of(client.get(f"/progress/plan/?next={url}"))
    chosen = client.post(
        "/progress/plan/",
        {"days": ["0", "2", "4"], "time": time, "level": "beginner", "next": url},
    )
    assert chosen.url == url
    assert "Your plan was saved" in text_of(client.get(url))
    # Without a message waiting, the page kept for the person (before the
    # plan) is made anew: the offer is gone.
    assert "Make a plan" not in text_of(client.get(url))


# Today, in Shanghai (UTC+8): Wednesday 2026-12-09 at 23:50 there is
# 15:50 UTC, and Thursday 00:10 there is still Wednesday in UTC.
WEDNESDAY_LATE = datetime(2026, 12, 9, 23, 50, tzinfo=SHANGHAI)
THURSDAY_EARLY = datetime(2026, 12, 10, 0, 10, tzinfo=SHANGHAI)


@pytest.mark.parametrize("url", ["/", "/progress/"])
def test_a_planned_day_not_done_offers_the_level_routine(person, now_is, url):
    client, user = person
    session_at(user, None, WEDNESDAY_LATE - timedelta(days=3))
    now_is(WEDNESDAY_LATE)

    page = text_of(client.get(url))

    assert "Today: Beginner routine" in page
    assert "Start" in page


@pytest.mark.parametrize("url", ["/", "/progress/"])
def test_done_today_names_the_next_planned_day(person, ladder, now_is, url):
    client, user = person
    session_at(user, ladder[0], WEDNESDAY_LATE - timedelta(minutes=20))
    now_is(WEDNESDAY_LATE)

    page = text_of(client.get(url))

    assert "Done today ✓" in page
    assert "Next: Friday" in page


@pytest.mark.parametrize("url", ["/", "/progress/"])
def test_after_midnight_in_their_zone_it_is_a_rest_day(person, ladder, now_is, url):
    client, user = person
    # Wednesday's session, 20 minutes before their midnight: done yesterday.
    session_at(user, ladder[0], WEDNESDAY_LATE - timedelta(minutes=20))
    now_is(THURSDAY_EARLY)

    page = text_of(client.get(url))

    assert "Done today" not in page
    assert "Today is a rest day" in page
    assert "Your next planned day: Friday" in page
    assert "An extra session of the Beginner routine" in page


def qualifying(user, routine, before=3, after=3):
    start = datetime(2026, 11, 1, 18, tzinfo=SHANGHAI)
    for n in range(6):
        session_at(user, routine, start + timedelta(days=3 * n), before, after)


def test_a_suggestion_to_move_up_is_accepted(person, ladder, now_is):
    client, user = person
    qualifying(user, ladder[0])
    now_is(WEDNESDAY_LATE)

    page = text_of(client.get("/progress/"))
    assert "You completed the Beginner routine 6 times over 15 days" in page
    response = client.post(
        "/progress/plan/level/",
        {"answer": "accept", "routine": "intermediate", "next": "/progress/"},
    )

    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).level == ladder[1]
    page = text_of(client.get("/progress/"))
    assert "Your level is now the Intermediate routine." in page
    assert "You completed the Beginner routine" not in page


def test_not_yet_is_kept_with_the_count_and_hides_the_suggestion(
    person, ladder, now_is
):
    client, user = person
    qualifying(user, ladder[0])
    now_is(WEDNESDAY_LATE)

    response = client.post("/progress/plan/level/", {"answer": "decline"})

    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).level_declined_at == 6
    assert "You completed the Beginner routine" not in text_of(client.get("/progress/"))


def test_flares_suggest_a_clinician_at_the_lowest_level(person, ladder, now_is):
    client, user = person
    qualifying(user, ladder[0], before=2, after=8)
    now_is(WEDNESDAY_LATE)

    page = text_of(client.get("/"))

    assert "please see a doctor or physiotherapist" in page
    assert "Not yet" not in page


def test_the_answer_changes_only_the_persons_own_level(person, ladder):
    client, user = person
    other = UserFactory(username="sam")

    client.post("/progress/plan/level/", {"answer": "accept", "routine": "advanced"})

    assert User.objects.get(pk=user.pk).level == ladder[2]
    assert User.objects.get(pk=other.pk).level is None
