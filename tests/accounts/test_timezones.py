"""
Each person's own time zone: what is shown, what counts as a day and a week,
and the exports. "Now" is fixed in every test that depends on it.
"""

import csv
import io
import json
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.forms import SessionLogForm
from accounts.models import CompletedSession, find_time_zone
from accounts.progress import Progress
from exercises.models import Routine
from tests.factories import CompletedSessionFactory, UserFactory
from tests.helpers import html, text_of

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SHANGHAI = ZoneInfo("Asia/Shanghai")

THURSDAY = date(2026, 11, 26)
THURSDAY_MONDAY = date(2026, 11, 23)
# 22:30 on Thursday in Los Angeles is 06:30 on Friday in UTC.
THURSDAY_NIGHT = datetime.combine(THURSDAY, time(22, 30), LOS_ANGELES)
# Half an hour later: still Thursday in Los Angeles, Friday for the server.
THURSDAY_NOW = datetime.combine(THURSDAY, time(23, 0), LOS_ANGELES)

MONDAY = date(2026, 3, 9)
# 07:00 on Monday in Shanghai is 23:00 on Sunday in UTC, the week before.
MONDAY_MORNING = datetime.combine(MONDAY, time(7, 0), SHANGHAI)
WEDNESDAY_NOW = datetime.combine(date(2026, 3, 11), time(12, 0), SHANGHAI)


@pytest.fixture
def now_is(monkeypatch):
    """Fix the moment Django takes for now (sessions, forms, "today")."""

    def freeze(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(ZoneInfo("UTC")))

    return freeze


@pytest.fixture
def angeleno(db):
    return UserFactory(username="ana", time_zone="America/Los_Angeles")


@pytest.fixture
def shanghai_person(db):
    return UserFactory(username="wei", time_zone="Asia/Shanghai")


def signed_in_as(client, person):
    client.force_login(person)
    return client


def stat(page, label):
    match = re.search(
        rf'<p class="stat-label mb-1">{label}</p>\s*<p class="stat-value mb-0">([^<]*)</p>',
        page,
    )
    return match.group(1)


def calendar_days(page):
    """(title, level) of every square of the dashboard's calendar, oldest first."""
    svg = re.search(r'<svg class="calendar-chart".*?</svg>', page, re.S).group(0)
    return re.findall(
        r'<rect class="cal-day cal-level-(\d)"[^>]*><title>([^<]*)</title>', svg
    )


def week_rows(page):
    table = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    return re.findall(r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td>', table)


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body, newline="")))


def json_of(response):
    return json.loads(b"".join(response.streaming_content))


# The time zone itself


def test_a_new_person_has_the_sites_time_zone(db):
    assert UserFactory().time_zone == settings.TIME_ZONE


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "localtime", "utc+2"])
def test_a_time_zone_must_be_an_iana_name(db, name):
    person = UserFactory.build(time_zone=name)

    with pytest.raises(ValidationError) as error:
        person.full_clean(exclude=["password"])

    assert "time_zone" in error.value.message_dict


def test_an_iana_name_is_a_time_zone(db):
    UserFactory.build(time_zone="Asia/Kolkata").full_clean(exclude=["password"])


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("America/Los_Angeles", "America/Los_Angeles"),
        ("  america/los angeles ", "America/Los_Angeles"),
        ("Shanghai", "Asia/Shanghai"),
        ("new york", "America/New_York"),
        ("utc", "UTC"),
        ("Mars/Olympus_Mons", None),
        ("localtime", None),
        ("", None),
    ],
)
def test_a_typed_time_zone_is_found_by_name_or_place(typed, zone):
    assert find_time_zone(typed) == zone


def test_an_unknown_stored_zone_reads_as_the_sites(db):
    person = UserFactory(time_zone="America/Los_Angeles")
    person.time_zone = "Atlantis/Capital"

    assert person.zone == timezone.get_default_timezone()


# Shown in the person's zone


def test_history_shows_a_session_at_its_local_time(client, angeleno, now_is):
    now_is(THURSDAY_NOW)
    CompletedSessionFactory(user=angeleno, started_at=THURSDAY_NIGHT)

    page = html(signed_in_as(client, angeleno).get("/progress/history/"))

    assert "Beginner, Thu 26 Nov 2026, 22:30" in page
    assert "Fri 27 Nov 2026" not in page
    assert "Dates and times are in your time zone, America/Los_Angeles" in page


def test_the_session_page_shows_its_local_time(client, angeleno, now_is):
    now_is(THURSDAY_NOW)
    session = CompletedSessionFactory(user=angeleno, started_at=THURSDAY_NIGHT)

    page = html(signed_in_as(client, angeleno).get(session.get_absolute_url()))

    assert "Thursday 26 November 2026, 22:30" in page
    assert "<title>Beginner, 26 Nov 2026 · BackCare</title>" in page


def test_the_dashboard_counts_a_late_session_on_its_local_day(client, angeleno, now_is):
    now_is(THURSDAY_NOW)
    CompletedSessionFactory(user=angeleno, started_at=THURSDAY_NIGHT)

    page = html(signed_in_as(client, angeleno).get("/progress/"))

    days = calendar_days(page)
    # Today is Thursday in Los Angeles: the calendar ends on it, with the session.
    assert days[-1] == ("1", "Thu 26 Nov: 1 session")
    assert len(days) == 11 * 7 + 4
    assert [title for level, title in days if level != "0"] == ["Thu 26 Nov: 1 session"]
    assert stat(page, "This week") == "1 of 3"
    assert week_rows(page)[-1] == ("23 Nov 2026", "1")


def test_progress_counts_a_late_session_on_its_local_thursday(angeleno):
    CompletedSessionFactory(user=angeleno, started_at=THURSDAY_NIGHT)

    progress = Progress(angeleno, today=THURSDAY)

    assert progress.calendar[-1].date == THURSDAY
    assert progress.calendar[-1].count == 1
    assert progress.this_week == 1
    assert progress.weeks[-1].start == THURSDAY_MONDAY
    assert progress.weeks[-1].count == 1


def test_a_monday_morning_in_shanghai_counts_in_the_week_it_starts(
    client, shanghai_person, now_is
):
    now_is(WEDNESDAY_NOW)
    shanghai_person.weekly_target = 1
    shanghai_person.save()
    CompletedSessionFactory(user=shanghai_person, started_at=MONDAY_MORNING)

    page = html(signed_in_as(client, shanghai_person).get("/progress/"))

    assert stat(page, "This week") == "1 of 1"
    assert stat(page, "Streak") == "1 week"
    assert week_rows(page)[-2:] == [("2 Mar 2026", "0"), ("9 Mar 2026", "1")]
    days = calendar_days(page)
    assert days[-3] == ("1", "Mon 9 Mar: 1 session")
    assert days[-4] == ("0", "Sun 8 Mar: 0 sessions")


def test_progress_puts_a_shanghai_monday_morning_in_its_own_week(shanghai_person):
    CompletedSessionFactory(user=shanghai_person, started_at=MONDAY_MORNING)

    progress = Progress(shanghai_person, today=date(2026, 3, 11))

    assert progress.week_start == MONDAY
    assert progress.this_week == 1
    assert [week.count for week in progress.weeks][-2:] == [0, 1]
    assert list(progress.weeks_with_sessions) == [MONDAY]


def test_the_time_zone_lasts_for_the_request_only(client, angeleno, now_is):
    now_is(THURSDAY_NOW)
    CompletedSessionFactory(user=angeleno, started_at=THURSDAY_NIGHT)

    signed_in_as(client, angeleno).get("/progress/")

    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_a_page_that_never_asks_who_is_signed_in_reads_no_user(
    client, angeleno, django_assert_num_queries
):
    client = signed_in_as(client, angeleno)

    with django_assert_num_queries(0):
        response = client.get("/livez")

    assert response.status_code == 200


# Logged by hand, with the time of day


def test_a_session_logged_at_a_local_time_is_stored_at_that_moment(
    client, angeleno, catalogue, now_is
):
    if "time" not in SessionLogForm.base_fields:
        pytest.skip("the log form has no time of day yet")
    now_is(THURSDAY_NOW)
    client = signed_in_as(client, angeleno)

    response = client.post(
        "/progress/log/",
        {
            "date": "2026-11-26",
            "time": "22:30",
            "routine": Routine.objects.get(slug="beginner").pk,
            "minutes": "20",
            "client_token": "late-thursday",
        },
    )

    assert response.status_code == 302
    session = CompletedSession.objects.get(user=angeleno)
    assert session.started_at == THURSDAY_NIGHT
    assert "Beginner, Thu 26 Nov 2026, 22:30" in html(client.get("/progress/history/"))
    assert calendar_days(html(client.get("/progress/")))[-1][0] == "1"


# Exports


def test_the_csv_export_is_in_the_persons_zone_with_its_offset(
    client, angeleno, now_is
):
    now_is(THURSDAY_NOW)
    CompletedSessionFactory(user=angeleno, started_at=THURSDAY_NIGHT)

    response = signed_in_as(client, angeleno).get("/progress/export.csv")

    assert response["Content-Disposition"] == (
        'attachment; filename="backcare-sessions-2026-11-26.csv"'
    )
    [row] = csv_rows(response)
    assert (row["date"], row["started"]) == ("2026-11-26", "22:30")
    assert row["started_at"] == "2026-11-26T22:30:00-08:00"
    assert row["routine"] == "Beginner"


def test_the_json_export_is_in_the_persons_zone_with_its_offset(
    client, angeleno, now_is
):
    now_is(THURSDAY_NOW)
    angeleno.date_joined = THURSDAY_NIGHT
    angeleno.save()
    CompletedSessionFactory(user=angeleno, started_at=THURSDAY_NIGHT)

    response = signed_in_as(client, angeleno).get("/progress/export.json")

    data = json_of(response)
    assert response["Content-Disposition"] == (
        'attachment; filename="backcare-data-2026-11-26.json"'
    )
    assert data["time_zone"] == "America/Los_Angeles"
    assert data["account"]["date_joined"] == "2026-11-26T22:30:00-08:00"
    assert data["account"]["last_login"] == "2026-11-26T23:00:00-08:00"
    assert data["sessions"][0]["started_at"] == "2026-11-26T22:30:00-08:00"
    assert data["sessions"][0]["finished_at"] == "2026-11-26T22:50:00-08:00"
    assert data["sessions"][0]["recorded_at"] == "2026-11-26T23:00:00-08:00"


def test_a_shanghai_export_carries_plus_eight_hours(client, shanghai_person, now_is):
    now_is(WEDNESDAY_NOW)
    CompletedSessionFactory(user=shanghai_person, started_at=MONDAY_MORNING)
    client = signed_in_as(client, shanghai_person)

    [row] = csv_rows(client.get("/progress/export.csv"))
    data = json_of(client.get("/progress/export.json"))

    assert row["started_at"] == "2026-03-09T07:00:00+08:00"
    assert data["sessions"][0]["started_at"] == "2026-03-09T07:00:00+08:00"
    assert data["time_zone"] == "Asia/Shanghai"


# Sign-up


def signup_data(**extra):
    password = "a much longer new passphrase 42"
    return {
        "username": "newcomer",
        "password1": password,
        "password2": password,
        "health_data_consent": "on",
        **extra,
    }


def test_the_signup_form_asks_the_browser_for_its_zone(client, db):
    page = html(client.get("/accounts/signup/"))

    assert re.search(
        r'<input type="hidden" name="time_zone"[^>]*data-browser-time-zone', page
    )
    assert '<script type="module" src="/static/js/timezone.js"></script>' in page


def test_signup_keeps_the_browsers_time_zone(client, db):
    response = client.post(
        "/accounts/signup/", signup_data(time_zone="America/Los_Angeles")
    )

    assert response.status_code == 302
    person = UserFactory._meta.model.objects.get(username="newcomer")
    assert person.time_zone == "America/Los_Angeles"


@pytest.mark.parametrize(
    "sent", [{"time_zone": "Etc/Unknown"}, {"time_zone": "<b>x</b>"}, {}]
)
def test_signup_with_an_unknown_or_no_zone_gets_the_sites(client, db, sent):
    response = client.post("/accounts/signup/", signup_data(**sent))

    assert response.status_code == 302
    person = UserFactory._meta.model.objects.get(username="newcomer")
    assert person.time_zone == settings.TIME_ZONE


# Profile


def test_the_profile_shows_the_time_zone(client, angeleno):
    page = html(signed_in_as(client, angeleno).get("/accounts/profile/"))

    assert '<strong class="current-time-zone">America/Los_Angeles</strong>' in page
    assert re.search(r'name="time_zone" value="America/Los_Angeles"', page)
    assert '<script type="module" src="/static/js/timezone.js"></script>' in page


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("Asia/Shanghai", "Asia/Shanghai"), ("shanghai", "Asia/Shanghai")],
)
def test_the_profile_changes_the_time_zone(client, angeleno, typed, zone):
    client = signed_in_as(client, angeleno)

    response = client.post("/accounts/profile/", {"time_zone": typed})

    assert response.status_code == 302
    assert response.url == "/accounts/profile/"
    angeleno.refresh_from_db()
    assert angeleno.time_zone == zone
    assert angeleno.weekly_target == 3
    assert f"Your time zone is now {zone}" in text_of(client.get(response.url))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "Mars/Olympus_Mons",
            "BackCare does not know the time zone “Mars/Olympus_Mons”. Enter a "
            "name such as Europe/London or America/Los_Angeles.",
        ),
        ("x" * 65, "Ensure this value has at most 64 characters (it has 65)."),
        ("", "This field is required."),
    ],
)
def test_the_profile_refuses_an_unknown_time_zone(client, angeleno, typed, message):
    response = signed_in_as(client, angeleno).post(
        "/accounts/profile/", {"time_zone": typed}
    )

    assert response.status_code == 400
    page = text_of(response)
    assert message in page
    # The page still names the zone that is kept.
    assert '<strong class="current-time-zone">America/Los_Angeles</strong>' in (
        html(response)
    )
    angeleno.refresh_from_db()
    assert angeleno.time_zone == "America/Los_Angeles"
