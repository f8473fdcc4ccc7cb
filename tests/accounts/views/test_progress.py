"""
The progress pages: the dashboard, the history, one session (edit, delete),
logging a session by hand, and saving a guided run.
"""

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.utils import timezone

from accounts import services
from accounts.models import CompletedSession, StepResult
from exercises.forms import PAIN_ERROR
from exercises.guide import GuidedRun
from exercises.models import StepOutcome
from tests.factories import (
    PASSWORD,
    CompletedSessionFactory,
    StepResultFactory,
    UserFactory,
    person_with,
    red_flag,
    urgent_flag,
    week_noon,
)
from tests.helpers import (
    assert_described,
    assert_summary,
    html,
    page_showing,
    text,
    text_of,
)

User = get_user_model()

GUIDE = "/routines/practice/guide/"
SAVE_URL = "/progress/save/practice/"
NEW_PASSWORD = "a much longer new passphrase 42"
SAVED_LATER = (
    "Create an account or log in, and your session will be saved to it right after."
)
SAVED_TO_ACCOUNT = "Your Practice session was saved to your account."
REFUSED = "Please confirm your doctor's clearance on the safety check"
STREAK_RULE = (
    "Weeks in a row in which you met your target of {target}; this week counts "
    "once you meet it."
)
URGENT = "Get medical help urgently, before any exercise"
SEE_A_DOCTOR = "See a doctor before you exercise"
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
THURSDAY = date(2026, 11, 26)
# 22:30 on Thursday in Los Angeles is 06:30 on Friday in UTC.
THURSDAY_NIGHT = datetime.combine(THURSDAY, time(22, 30), LOS_ANGELES)
# Half an hour later: still Thursday in Los Angeles, Friday for the server.
THURSDAY_NOW = datetime.combine(THURSDAY, time(23, 0), LOS_ANGELES)


@pytest.fixture
def user(db):
    """
    Someone who chose their plan already: the plan offered after a first
    saved session is tests/accounts/views/test_plan.py's.
    """
    return UserFactory(username="alex", plan_chosen_at=timezone.now())


def recorded(
    user,
    *,
    started_at=None,
    finished_at=None,
    outcomes=(),
    minutes=None,
    routine_title="Beginner",
    **fields,
):
    """
    A session recorded as the site records one (its person's totals kept),
    by default started this very moment, with steps of these ``outcomes``.
    """
    start = started_at or timezone.now()
    session, _ = services.session_record(
        user=user,
        routine=None,
        routine_title=routine_title,
        started_at=start,
        finished_at=finished_at or start + (minutes or timedelta(minutes=20)),
        client_token=f"now-{CompletedSession.objects.count()}",
        **{"pain_before": 5, "pain_after": 3, **fields},
        steps=[
            {"order": order, "name": f"Exercise {order}", "outcome": outcome}
            for order, outcome in enumerate(outcomes, start=1)
        ],
    )
    return session


def now_session(user, **kwargs):
    """A session started this very moment: always in this week, whatever the day."""
    return recorded(user, **kwargs)


def session_with_steps(user, outcomes, **kwargs):
    return now_session(user, outcomes=outcomes, **kwargs)


def nothing_done(user, **kwargs):
    return session_with_steps(
        user, [StepOutcome.SKIPPED, StepOutcome.SKIPPED_FOR_SAFETY], **kwargs
    )


def sessions_in_weeks(user, counts):
    """counts[k] sessions in the week k weeks back (0 is this week)."""
    for weeks_back, count in enumerate(counts):
        for n in range(count):
            if weeks_back == 0:
                now_session(user)
            else:
                recorded(user, started_at=week_noon(weeks_back) + timedelta(days=n))


def stat(page, label):
    """The value shown under a summary card's label."""
    match = re.search(
        rf'<p class="stat-label mb-1">{label}</p>\s*<p class="stat-value mb-0">([^<]*)</p>',
        page,
    )
    return match.group(1)


def calendar_days(page):
    """(level, title) of every square of the dashboard's calendar, oldest first."""
    svg = re.search(r'<svg class="calendar-chart".*?</svg>', page, re.S).group(0)
    return re.findall(
        r'<rect class="cal-day cal-level-(\d)"[^>]*><title>([^<]*)</title>', svg
    )


def week_rows(page):
    """The rows of the table under the calendar: week, sessions, pain before, after."""
    table = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    return re.findall(
        r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>',
        table,
    )


def per_routine(page):
    block = re.search(r'<ul class="[^"]*per-routine">(.*?)</ul>', page, re.S).group(1)
    return re.findall(r"<li>([^<]*)</li>", block)


def session_links(response):
    return [
        int(pk)
        for pk in re.findall(r'href="/progress/sessions/(\d+)/"', html(response))
    ]


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def signup_data():
    return {
        "username": "newbie",
        "email": "",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "health_data_consent": "on",
    }


# The dashboard


def test_a_new_person_sees_the_empty_state(signed_in):
    response = signed_in.get("/progress/")

    page = html(response)
    assert response.status_code == 200
    assert "No sessions yet" in page
    assert 'href="/routines/beginner/"' in page
    assert "Start the beginner routine" in page
    assert "calendar-chart" not in page
    assert "Streak" not in page


def test_another_persons_sessions_do_not_count(signed_in, other_user):
    now_session(other_user)

    assert "No sessions yet" in html(signed_in.get("/progress/"))


def test_this_week_is_counted_against_the_target(signed_in, user):
    sessions_in_weeks(user, [2, 4])

    page = html(signed_in.get("/progress/"))

    assert "No sessions yet" not in page
    assert stat(page, "This week") == "2 of 3"
    assert "sessions towards your target." in page


def test_meeting_the_weekly_target_is_said(signed_in, user):
    user.weekly_target = 2
    user.save()
    sessions_in_weeks(user, [2])

    page = html(signed_in.get("/progress/"))

    assert stat(page, "This week") == "2 of 2"
    assert "Weekly target met." in page


@pytest.mark.parametrize(
    ("target", "counts", "streak"),
    [
        # This week 2, then 2, 3, 2; a week with 1 breaks the run, so the two
        # weeks met before it do not count.
        (2, [2, 2, 3, 2, 1, 2, 2], "4 weeks"),
        # This week below the target does not break the streak.
        (2, [1, 2, 2, 0, 2], "2 weeks"),
        # A missed last week ends it.
        (3, [1, 0, 3, 3], "0 weeks"),
        (1, [1], "1 week"),
    ],
    ids=["weeks-in-a-row", "this-week-below", "last-week-missed", "singular"],
)
def test_streak_counts_weeks_in_a_row_meeting_the_target(
    signed_in, user, target, counts, streak
):
    user.weekly_target = target
    user.save()
    sessions_in_weeks(user, counts)

    page = html(signed_in.get("/progress/"))

    assert stat(page, "Streak") == streak
    assert STREAK_RULE.format(target=target) in page


def test_time_exercised_adds_up_every_session(signed_in, user):
    now_session(user, minutes=timedelta(minutes=20))
    now_session(user, minutes=timedelta(minutes=25))
    recorded(
        user,
        started_at=week_noon(20),
        finished_at=week_noon(20) + timedelta(minutes=30),
    )

    page = html(signed_in.get("/progress/"))

    assert stat(page, "Time exercised") == "1 h 15 min"
    assert "in 3 sessions." in page


def test_sessions_are_counted_per_routine(signed_in, user):
    for title in ["Beginner", "Aerobic", "Beginner"]:
        now_session(user, routine_title=title)

    page = html(signed_in.get("/progress/"))

    assert per_routine(page) == ["Beginner: 2", "Aerobic: 1"]


def test_the_calendar_has_a_square_for_every_day_of_12_weeks_so_far(signed_in, user):
    now_session(user)
    now_session(user)
    recorded(user, started_at=week_noon(3))

    page = html(signed_in.get("/progress/"))

    today = timezone.localdate()
    svg = re.search(r'<svg class="calendar-chart".*?</svg>', page, re.S).group(0)
    assert 'viewBox="0 0 151 79"' in svg
    assert 'role="img"' in svg
    days = [level for level, _ in calendar_days(page)]
    assert len(days) == 11 * 7 + today.weekday() + 1
    assert days[-1] == "2"
    assert days.count("1") == 1
    assert days.count("0") == len(days) - 2
    assert f"{today:%a} {today.day} {today:%b}: 2 sessions</title>" in svg


def calendar_labels(page, kind):
    """(x, y, words) of the calendar's weekday or month labels, in order."""
    svg = re.search(r'<svg class="calendar-chart".*?</svg>', page, re.S).group(0)
    return [
        (float(x), float(y), words)
        for x, y, words in re.findall(
            rf'<text class="cal-label cal-{kind}" x="([\d.]+)" y="([\d.]+)"[^>]*>'
            r"([^<]*)</text>",
            svg,
        )
    ]


def square_at(page, title):
    """(x, y) of the calendar's square whose title starts with ``title``."""
    svg = re.search(r'<svg class="calendar-chart".*?</svg>', page, re.S).group(0)
    x, y = re.search(
        rf'<rect class="cal-day[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*><title>{title}',
        svg,
    ).groups()
    return float(x), float(y)


def test_the_calendar_names_weekdays_and_months_in_the_persons_zone(client, db, now_is):
    # Sunday noon in UTC is already Monday 30 November in Auckland: a new
    # week there, so its twelve weeks start on Monday 14 September.
    now_is(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    person = UserFactory(time_zone="Pacific/Auckland")
    CompletedSessionFactory(user=person, started_at=datetime(2026, 11, 17, tzinfo=UTC))
    client.force_login(person)

    page = html(client.get("/progress/"))

    weekdays = calendar_labels(page, "weekday")
    assert [words for _, _, words in weekdays] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]
    # Each weekday left of its row, level with it.
    for (x, y, _), day in zip(weekdays, ["Mon 14 Sep", "Tue 15 Sep"], strict=False):
        square_x, square_y = square_at(page, day)
        assert x < square_x and square_y <= y <= square_y + 10
    # A month over the first week that starts in it; the first week's month.
    months = calendar_labels(page, "month")
    assert [words for _, _, words in months] == ["Sep", "Oct", "Nov"]
    for (x, y, _), monday in zip(
        months, ["Mon 14 Sep", "Mon 5 Oct", "Mon 2 Nov"], strict=True
    ):
        square_x, square_y = square_at(page, monday)
        assert (x, y < square_y) == (square_x, True)
    assert square_at(page, "Mon 30 Nov: 0 sessions")  # today, in Auckland
    # Said to a screen reader with the picture.
    assert "days of the week down the side, months along the top" in page


def test_the_calendar_has_a_table_with_the_same_figures(signed_in, user):
    now_session(user, pain_before=6, pain_after=2)
    now_session(user, pain_before=4, pain_after=2)
    recorded(user, started_at=week_noon(2), pain_before=7, pain_after=5)

    rows = week_rows(html(signed_in.get("/progress/")))

    assert len(rows) == 12
    this_monday = week_noon(0).date()
    assert rows[-1] == (f"{this_monday.day} {this_monday:%b %Y}", "2", "5.0", "2.0")
    assert rows[-3][1:] == ("1", "7.0", "5.0")
    assert rows[0][1:] == ("0", "–", "–")


def polylines(page, kind):
    return re.findall(rf'<polyline class="line-{kind}" points="([^"]*)"', page)


def test_the_pain_trend_draws_weekly_averages(signed_in, user):
    now_session(user, pain_before=6, pain_after=2)
    now_session(user, pain_before=4, pain_after=4)
    recorded(user, started_at=week_noon(1), pain_before=8, pain_after=None)

    page = html(signed_in.get("/progress/"))

    dots = re.findall(r'<circle class="dot-(\w+)" cx="([^"]*)" cy="([^"]*)"', page)
    assert '<svg class="pain-chart" viewBox="0 0 360 160"' in page
    # x runs from 24 (11 weeks ago) to 336 (this week) in steps of 312/11;
    # y from 136 (pain 0) up to 24 (pain 10).
    assert polylines(page, "before") == ["307.6,46.4 336.0,80.0"]
    assert polylines(page, "after") == ["336.0,102.4"]
    assert dots == [
        ("before", "307.6", "46.4"),
        ("before", "336.0", "80.0"),
        ("after", "336.0", "102.4"),
    ]


def test_a_week_without_ratings_breaks_the_pain_line(signed_in, user):
    now_session(user, pain_before=5, pain_after=3)
    recorded(user, started_at=week_noon(11), pain_before=10, pain_after=0)

    page = html(signed_in.get("/progress/"))

    assert polylines(page, "before") == ["24.0,24.0", "336.0,80.0"]
    assert polylines(page, "after") == ["24.0,136.0", "336.0,102.4"]


def test_without_pain_ratings_the_trend_explains_itself(signed_in, user):
    now_session(user, pain_before=None, pain_after=None)

    page = html(signed_in.get("/progress/"))

    assert "pain-chart" not in page
    assert (
        "Rate your pain before and after a session and the trend appears here." in page
    )


def test_dashboard_links_to_logging_and_history(signed_in, user):
    now_session(user)

    page = html(signed_in.get("/progress/"))

    assert 'href="/progress/log/"' in page
    assert 'href="/progress/history/"' in page


def test_the_dashboard_counts_steps_skipped_for_safety(signed_in, user):
    session_with_steps(user, [StepOutcome.DONE, StepOutcome.SKIPPED_FOR_SAFETY])
    assert "1 step skipped for safety" in text_of(signed_in.get("/progress/"))

    session_with_steps(user, [StepOutcome.SKIPPED_FOR_SAFETY])
    assert "2 steps skipped for safety" in text_of(signed_in.get("/progress/"))


def test_the_dashboard_counts_only_ones_own_safety_skips(signed_in, user, other_user):
    session_with_steps(other_user, [StepOutcome.SKIPPED_FOR_SAFETY])
    CompletedSessionFactory(user=user)

    page = text_of(signed_in.get("/progress/"))

    assert "skipped for safety" not in page


def test_a_session_with_nothing_done_is_not_counted_on_the_dashboard(signed_in, user):
    nothing_done(user, routine_title="Aerobic", minutes=timedelta(minutes=40))
    now_session(user, routine_title="Beginner", minutes=timedelta(minutes=20))

    page = html(signed_in.get("/progress/"))

    assert stat(page, "This week") == "1 of 3"
    assert stat(page, "Time exercised") == "20 min"
    assert "in 1 session." in page
    assert "Not counted: 1 session with no exercise done." in page
    assert per_routine(page) == ["Beginner: 1"]
    assert calendar_days(page)[-1][0] == "1"


def test_only_sessions_with_nothing_done_still_leave_the_dashboard_shown(
    signed_in, user
):
    nothing_done(user)

    page = html(signed_in.get("/progress/"))

    assert "No sessions yet" not in page
    assert stat(page, "This week") == "0 of 3"
    assert stat(page, "Time exercised") == "0 s"
    assert "Not counted: 1 session with no exercise done." in page
    assert "cal-level-1" not in page


def test_the_dashboard_counts_thousands_of_sessions(signed_in, user, bulk_sessions):
    bulk_sessions(user, 1000)
    sessions = CompletedSession.objects.for_user(user).order_by("pk")[::2]
    StepResult.objects.bulk_create(
        StepResult(
            session=session, order=order, exercise_name="Heel slides", outcome=outcome
        )
        for session in sessions
        for order, outcome in enumerate(
            [StepOutcome.SKIPPED, StepOutcome.SKIPPED_FOR_SAFETY], start=1
        )
    )

    page = html(signed_in.get("/progress/"))

    assert "in 500 sessions." in page
    assert "Not counted: 500 sessions with no exercise done." in page


def test_an_urgent_yes_is_said_first_on_the_dashboard(db):
    flag = urgent_flag()
    client, user = person_with(flag)
    CompletedSessionFactory(user=user)

    page = text_of(client.get("/progress/"))

    assert URGENT in page
    assert page.index(URGENT) < page.index("This week")
    assert flag.title in page


EMERGENCY = "Go to an emergency department now, or call the emergency number"
NICE_CKS = "https://cks.nice.org.uk/topics/back-pain-low-without-radiculopathy/"


NICE_EMERGENCY = "NICE's summary on low back pain treats {} as an emergency:"
FEVER = {"slug": "fever", "title": "A fever with your back pain"}


@pytest.mark.parametrize(
    ("flags", "signs"),
    [([{}], "this sign"), ([FEVER], "this sign"), ([{}, FEVER], "these signs")],
    ids=["the seed's", "an editor's", "both"],
)
def test_an_urgent_yes_says_what_to_do_now_in_nices_terms(db, flags, signs):
    flag, *others = [urgent_flag(**fields) for fields in flags]
    client, _ = person_with(flag, *others)

    response = client.get("/progress/")
    page = text_of(response)

    # A concrete step, now (NICE CKS: its red flags are assessed as an
    # emergency), before the answers it is about; true of any urgent sign an
    # editor adds, not only of the seed's signs of cauda equina syndrome.
    assert EMERGENCY in page
    assert page.index(URGENT) < page.index(EMERGENCY) < page.index(flag.title)
    said = NICE_EMERGENCY.format(signs)
    assert said in page
    assert page.index(said) < page.index(flag.title)
    assert "cauda equina" not in page
    assert "urgently, today" not in page
    assert NICE_CKS in html(response)


def test_an_other_red_flag_says_to_see_a_doctor_before_exercising(db):
    flag = red_flag()
    client, _ = person_with(flag)

    page = text_of(client.get("/progress/"))

    assert SEE_A_DOCTOR in page
    assert URGENT not in page
    assert EMERGENCY not in page
    assert flag.title in page


def test_no_red_flag_no_alert(avoid_warning, consult_warning):
    client, _ = person_with(avoid_warning, consult_warning)

    page = text_of(client.get("/progress/"))

    assert URGENT not in page
    assert SEE_A_DOCTOR not in page


# The dashboard in the person's own time zone


@pytest.fixture
def late_thursday(client, db, now_is):
    """Ana, in Los Angeles, is signed in late on Thursday, after a session at 22:30."""
    now_is(THURSDAY_NOW)
    angeleno = UserFactory(time_zone="America/Los_Angeles")
    client.force_login(angeleno)
    return CompletedSessionFactory(user=angeleno, started_at=THURSDAY_NIGHT)


def test_the_dashboard_counts_a_late_session_on_its_local_day(client, late_thursday):

    page = html(client.get("/progress/"))

    days = calendar_days(page)
    # Today is Thursday in Los Angeles: the calendar ends on it, with the session.
    assert days[-1] == ("1", "Thu 26 Nov: 1 session")
    assert len(days) == 11 * 7 + 4
    assert [title for level, title in days if level != "0"] == ["Thu 26 Nov: 1 session"]
    assert stat(page, "This week") == "1 of 3"
    assert week_rows(page)[-1][:2] == ("23 Nov 2026", "1")


def test_a_monday_morning_in_shanghai_counts_in_the_week_it_starts(client, db, now_is):
    shanghai = ZoneInfo("Asia/Shanghai")
    now_is(datetime.combine(date(2026, 3, 11), time(12, 0), shanghai))
    person = UserFactory(time_zone="Asia/Shanghai", weekly_target=1)
    # 07:00 on Monday in Shanghai is 23:00 on Sunday in UTC, the week before.
    morning = datetime.combine(date(2026, 3, 9), time(7, 0), shanghai)
    CompletedSessionFactory(user=person, started_at=morning)
    client.force_login(person)

    page = html(client.get("/progress/"))

    assert stat(page, "This week") == "1 of 1"
    assert stat(page, "Streak") == "1 week"
    assert [row[:2] for row in week_rows(page)[-2:]] == [
        ("2 Mar 2026", "0"),
        ("9 Mar 2026", "1"),
    ]
    days = calendar_days(page)
    assert days[-3] == ("1", "Mon 9 Mar: 1 session")
    assert days[-4] == ("0", "Sun 8 Mar: 0 sessions")


# History


def test_history_of_a_new_person_points_to_the_first_routine(signed_in):
    page = html(signed_in.get("/progress/history/"))

    assert "No sessions logged yet." in page
    assert 'href="/routines/beginner/"' in page


def test_history_lists_20_newest_first_then_the_rest(signed_in, user, bulk_sessions):
    bulk_sessions(user, 25)
    newest_first = list(
        CompletedSession.objects.for_user(user)
        .newest_first()
        .values_list("pk", flat=True)
    )

    first = signed_in.get("/progress/history/")
    second = signed_in.get("/progress/history/?page=2")

    assert first.status_code == second.status_code == 200
    assert session_links(first) == newest_first[:20]
    assert session_links(second) == newest_first[20:]
    assert len(session_links(second)) == 5
    assert "Page 1 of 2" in html(first)
    assert 'href="?page=2" rel="next">Older' in html(first)
    assert "Page 2 of 2" in html(second)
    assert signed_in.get("/progress/history/?page=3").status_code == 404


def test_history_pages_2000_sessions(signed_in, user, bulk_sessions):
    bulk_sessions(user, 2000)

    response = signed_in.get("/progress/history/")

    assert len(session_links(response)) == 20
    assert "Page 1 of 100" in html(response)


def test_history_entries_show_pain_steps_and_notes(signed_in, user):
    session = CompletedSessionFactory(
        user=user, pain_before=5, pain_after=3, notes="Tight hips."
    )
    for order, outcome in enumerate(
        ["done", "done", "skipped", "skipped_for_safety"], start=1
    ):
        StepResultFactory(session=session, order=order, outcome=outcome)

    page = html(signed_in.get("/progress/history/"))

    assert f'href="/progress/sessions/{session.pk}/"' in page
    assert "Pain 5 → 3" in text(page)
    assert "20 min" in page
    # Screen readers say "Pain 5 to 3", not "right arrow".
    assert 'Pain 5 <span role="img" aria-label="to">→</span> 3' in page
    for shown in ["2 done, 1 skipped", "1 skipped for safety", "Tight hips."]:
        assert shown in page
    assert "logged by hand" not in page


def test_history_shows_steps_skipped_for_safety_apart(signed_in, user):
    session_with_steps(user, [StepOutcome.DONE] * 5 + [StepOutcome.SKIPPED_FOR_SAFETY])

    response = signed_in.get("/progress/history/")

    assert "5 done, 0 skipped, 1 skipped for safety" in text_of(response)
    assert '<span class="skipped-for-safety">1 skipped for safety</span>' in html(
        response
    )


def test_history_says_nothing_of_safety_when_nothing_was_skipped_for_it(
    signed_in, user
):
    session_with_steps(user, [StepOutcome.SKIPPED])

    page = text_of(signed_in.get("/progress/history/"))

    assert "0 done, 1 skipped" in page
    assert "for safety" not in page


def test_a_session_logged_by_hand_says_so_in_history(signed_in, user):
    CompletedSessionFactory(user=user)

    page = html(signed_in.get("/progress/history/"))

    assert "logged by hand" in page
    assert "0 done" not in page


def test_history_says_when_no_exercise_was_done(signed_in, user):
    nothing_done(user, routine_title="Aerobic")
    now_session(user, routine_title="Beginner")

    page = html(signed_in.get("/progress/history/"))

    items = re.findall(r'<li class="list-group-item">(.*?)</li>', page, re.S)
    assert len(items) == 2
    nothing, by_hand = sorted(items, key=lambda item: "Beginner" in item)
    assert "No exercise done" in nothing
    assert "0 done, 1 skipped" in nothing
    assert "No exercise done" not in by_hand
    assert "logged by hand" in by_hand


def test_history_shows_only_ones_own_sessions(signed_in, user, other_user):
    mine = CompletedSessionFactory(user=user)
    theirs = CompletedSessionFactory(user=other_user, notes="Not yours.")

    response = signed_in.get("/progress/history/")

    assert session_links(response) == [mine.pk]
    assert theirs.pk not in session_links(response)
    assert "Not yours." not in html(response)


def test_history_shows_a_session_at_its_local_time(client, late_thursday):

    page = html(client.get("/progress/history/"))

    assert "Beginner, Thu 26 Nov 2026, 22:30" in page
    assert "Fri 27 Nov 2026" not in page
    assert "Dates and times are in your time zone, America/Los_Angeles" in page


def test_notes_are_escaped_in_history_and_on_the_session_page(signed_in, user):
    session = CompletedSessionFactory(user=user, notes="<script>alert(1)</script>")

    history = html(signed_in.get("/progress/history/"))
    detail = html(signed_in.get(f"/progress/sessions/{session.pk}/"))

    for page in (history, detail):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert(1)" not in page


# One session


@pytest.fixture
def session(user):
    session = CompletedSessionFactory(
        user=user, pain_before=5, pain_after=3, notes="Before."
    )
    StepResultFactory(session=session, order=1, exercise_name="Ankle pumps")
    StepResultFactory(
        session=session, order=2, exercise_name="Heel slides", outcome="skipped"
    )
    return session


def test_session_page_shows_steps_pain_and_the_edit_form(signed_in, session):
    response = signed_in.get(f"/progress/sessions/{session.pk}/")

    page = page_showing(
        response, ["Ankle pumps", "Heel slides", 'outcome-skipped">Skipped</span>']
    )
    assert "Pain 5 → 3" in text(page)
    # The stored ratings are the ones chosen on the pain scale.
    assert re.findall(r'name="pain_before" value="(\d+)"[^>]*\bchecked\b', page) == [
        "5"
    ]
    assert re.findall(r'name="pain_after" value="(\d+)"[^>]*\bchecked\b', page) == ["3"]
    assert re.search(r'name="notes"[^>]*>\s*Before\.</textarea>', page)
    assert f'href="/progress/sessions/{session.pk}/delete/"' in page


def test_the_session_page_labels_the_step_skipped_for_safety(signed_in, user):
    session = session_with_steps(user, [StepOutcome.SKIPPED_FOR_SAFETY])

    response = signed_in.get(session.get_absolute_url())

    assert 'outcome-skipped_for_safety">Skipped for safety</span>' in html(response)


def test_a_session_logged_by_hand_says_nothing_of_steps(signed_in, user):
    session = now_session(user)

    page = html(signed_in.get(session.get_absolute_url()))

    assert "No exercise done" not in page


def test_the_session_page_shows_its_local_time(client, late_thursday):
    page = html(client.get(late_thursday.get_absolute_url()))

    assert "Thursday 26 November 2026, 22:30" in page
    assert "<title>Beginner, 26 Nov 2026 · BackCare</title>" in page


def test_session_page_edits_notes_and_pain(signed_in, session):
    url = f"/progress/sessions/{session.pk}/"

    response = signed_in.post(
        url, {"pain_before": "4", "pain_after": "1", "notes": "After."}
    )

    assert response.status_code == 302
    assert response.url == url
    session.refresh_from_db()
    assert (session.pain_before, session.pain_after, session.notes) == (4, 1, "After.")
    assert "Your changes were saved." in html(signed_in.get(url))


def test_session_page_clears_pain_when_left_empty(signed_in, session):
    signed_in.post(
        f"/progress/sessions/{session.pk}/",
        {"pain_before": "", "pain_after": "", "notes": ""},
    )

    session.refresh_from_db()
    assert (session.pain_before, session.pain_after, session.notes) == (None, None, "")


@pytest.mark.parametrize("pain", ["11", "-1", "abc"])
def test_session_page_refuses_bad_pain_and_shows_the_stored_pain(
    signed_in, session, pain
):
    response = signed_in.post(
        f"/progress/sessions/{session.pk}/",
        {"pain_before": pain, "pain_after": "9", "notes": "Changed."},
    )

    assert response.status_code == 400
    assert 'class="invalid-feedback"' in html(response)
    # The page's header shows what is stored, not the refused values.
    lead = re.search(r'<p class="lead">(.*?)</p>', html(response), re.S).group(1)
    assert "Pain 5 → 3" in text(lead)
    session.refresh_from_db()
    assert (session.pain_before, session.pain_after, session.notes) == (5, 3, "Before.")


def test_deleting_a_session_asks_first(signed_in, session):
    response = signed_in.get(f"/progress/sessions/{session.pk}/delete/")

    page_showing(
        response, ["Delete this session?", '<form method="post"', "Delete the session"]
    )
    assert CompletedSession.objects.filter(pk=session.pk).exists()


def test_deleting_a_session_removes_it_and_its_steps(signed_in, session):
    response = signed_in.post(f"/progress/sessions/{session.pk}/delete/")

    assert response.status_code == 302
    assert response.url == "/progress/history/"
    assert not CompletedSession.objects.filter(pk=session.pk).exists()
    assert not StepResult.objects.exists()
    assert "The session was deleted." in html(signed_in.get(response.url))


# Who may see what


@pytest.mark.parametrize(
    "url",
    [
        "/progress/",
        "/progress/history/",
        "/progress/log/",
        "/progress/sessions/{pk}/",
        "/progress/sessions/{pk}/delete/",
    ],
)
def test_a_visitor_is_sent_to_log_in(client, session, url):
    url = url.format(pk=session.pk)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    "url",
    ["/progress/log/", "/progress/sessions/{pk}/", "/progress/sessions/{pk}/delete/"],
)
def test_a_visitor_posting_is_sent_to_log_in_and_nothing_changes(client, session, url):
    url = url.format(pk=session.pk)

    response = client.post(url, {"notes": "Changed.", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    session.refresh_from_db()
    assert session.notes == "Before."
    assert CompletedSession.objects.count() == 1
    assert StepResult.objects.filter(session=session).count() == 2
    assert User.objects.filter(pk=session.user_id).exists()


def test_another_persons_session_is_not_found(client, session, other_user):
    client.force_login(other_user)

    assert client.get(f"/progress/sessions/{session.pk}/").status_code == 404
    assert client.get(f"/progress/sessions/{session.pk}/delete/").status_code == 404


def test_another_person_cannot_edit_a_session(client, session, other_user):
    client.force_login(other_user)

    response = client.post(
        f"/progress/sessions/{session.pk}/",
        {"pain_before": "0", "pain_after": "0", "notes": "Hijacked."},
    )

    assert response.status_code == 404
    session.refresh_from_db()
    assert (session.pain_before, session.notes) == (5, "Before.")


def test_another_person_cannot_delete_a_session(client, session, other_user):
    client.force_login(other_user)

    response = client.post(f"/progress/sessions/{session.pk}/delete/")

    assert response.status_code == 404
    assert CompletedSession.objects.filter(pk=session.pk).exists()
    assert StepResult.objects.filter(session=session).count() == 2


def test_a_missing_session_is_not_found(signed_in):
    assert signed_in.get("/progress/sessions/999999/").status_code == 404


# Logging by hand

# 10:00 on 10 March in the site's zone (UTC); midnight, already 11 March, on
# Kiritimati (UTC+14).
NOW = datetime(2026, 3, 10, 10, 0, 27, tzinfo=UTC)
FUTURE_DATE = "The date cannot be in the future."
FUTURE_TIME = "The time cannot be in the future."


@pytest.fixture
def now(now_is):
    now_is(NOW)
    return NOW


class FormFields(HTMLParser):
    """
    The name=value pairs a browser sends with the form that carries a
    client_token (the log form, not the menu's log-out form). As in a browser,
    a date or time input keeps only a value in the format it understands
    (ISO); any other value is dropped and the field is sent empty.
    """

    VALID = {
        "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
        "time": re.compile(r"\d{2}:\d{2}(:\d{2})?"),
    }

    def __init__(self):
        super().__init__()
        self.fields, self.action, self.done = {}, None, False
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.done:
            return
        if tag == "form" and attrs.get("method") == "post":
            self.in_form, self.action = True, attrs.get("action")
        elif self.in_form and tag == "input" and "name" in attrs:
            value = attrs.get("value") or ""
            valid = self.VALID.get(attrs.get("type"))
            if valid and not valid.fullmatch(value):
                value = ""
            self.fields[attrs["name"]] = value

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form and "client_token" in self.fields:
            self.done = True
        elif tag == "form":
            self.in_form, self.fields = False, {}


def log_form(client):
    parser = FormFields()
    parser.feed(html(client.get("/progress/log/")))
    # A form without an action is sent to its page's URL.
    parser.action = parser.action or "/progress/log/"
    return parser


def send_log_form(client, routine, **changes):
    """Send the log form as the browser got it, with a routine and ``changes``."""
    form = log_form(client)
    return client.post(form.action, {**form.fields, "routine": routine.pk, **changes})


def log_data(practice, **overrides):
    return {
        "date": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "routine": practice.pk,
        "minutes": "25",
        "pain_before": "6",
        "pain_after": "4",
        "notes": "By hand.",
        "client_token": "f" * 32,
        **overrides,
    }


def input_tag(page, name):
    return re.search(rf'<input [^>]*name="{name}"[^>]*>', page).group(0)


def test_log_page_has_the_form_with_a_fresh_token(signed_in, practice):
    first = html(signed_in.get("/progress/log/"))
    second = html(signed_in.get("/progress/log/"))

    for label in [
        "Date",
        "Routine",
        "Pain before (0–10)",
        "Pain after (0–10)",
        "Notes",
    ]:
        assert label in first
    token = re.search(r'name="client_token" value="([0-9a-f]{32})"', first).group(1)
    assert token not in second
    assert 'type="hidden" name="client_token"' in first


def test_the_date_input_gets_today_and_the_time_input_the_time_now(signed_in, now):
    page = html(signed_in.get("/progress/log/"))

    date_tag, time_tag = input_tag(page, "date"), input_tag(page, "time")
    assert 'type="date"' in date_tag
    assert f'value="{timezone.localdate().isoformat()}"' in date_tag
    assert 'type="time"' in time_tag
    assert f'value="{timezone.localtime():%H:%M}"' in time_tag
    assert "required" not in time_tag


def test_a_person_far_east_gets_their_own_today_and_time(client, practice, now):
    client.force_login(UserFactory(time_zone="Pacific/Kiritimati"))

    page = html(client.get("/progress/log/"))

    assert 'value="2026-03-11"' in input_tag(page, "date")
    assert 'value="00:00"' in input_tag(page, "time")


def test_the_form_is_posted_to_another_url_than_its_page(signed_in, practice):
    # A successful POST makes the browser drop its cached copy of the URL
    # posted to; the page's own copy, with its token, must be the one Back
    # shows (tests/browser/test_forms.py proves it in a real browser).
    assert log_form(signed_in).action == "/progress/log/?record"


def test_logging_by_hand_records_the_session_on_that_date(signed_in, user, practice):
    response = signed_in.post("/progress/log/", log_data(practice))

    session = CompletedSession.objects.get()
    assert response.status_code == 302
    assert response.url == f"/progress/sessions/{session.pk}/"
    assert session.user == user
    assert session.routine == practice
    assert timezone.localtime(session.started_at).date() == (
        timezone.localdate() - timedelta(days=2)
    )
    assert session.duration == timedelta(minutes=25)
    assert (session.pain_before, session.pain_after, session.notes) == (
        6,
        4,
        "By hand.",
    )
    assert "Session logged." in html(signed_in.get(response.url))


def test_the_form_as_sent_untouched_but_for_the_routine_records_a_session(
    signed_in, user, practice, now
):
    response = send_log_form(signed_in, practice)

    session = CompletedSession.objects.get()
    assert response.status_code == 302
    assert response.url == session.get_absolute_url()
    assert session.user == user
    assert session.started_at == NOW.replace(second=0)


def test_the_same_form_sent_twice_records_one_session(signed_in, practice, now):
    # Back, then submit again: the page comes back with the same token.
    form = log_form(signed_in)
    data = {**form.fields, "routine": practice.pk}

    first = signed_in.post(form.action, data)
    second = signed_in.post(form.action, {**data, "notes": "Again."})

    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert CompletedSession.objects.get().notes == ""
    assert "This session was already logged." in html(signed_in.get(second.url))


def test_the_time_given_is_the_start_of_the_session(signed_in, practice, now):
    two_days_ago = (timezone.localdate() - timedelta(days=2)).isoformat()

    send_log_form(signed_in, practice, date=two_days_ago, time="07:15", minutes="25")

    session = CompletedSession.objects.get()
    started = timezone.localtime(session.started_at)
    assert (started.date().isoformat(), started.time()) == (two_days_ago, time(7, 15))
    assert session.duration == timedelta(minutes=25)


def test_no_time_means_now(signed_in, practice, now):
    send_log_form(signed_in, practice, time="")

    assert CompletedSession.objects.get().started_at == NOW.replace(second=0)


def test_the_time_given_is_in_the_persons_zone(client, practice, now):
    client.force_login(UserFactory(time_zone="America/New_York"))

    send_log_form(client, practice, date="2026-03-09", time="21:30")

    # New York is on summer time (UTC-4) from 8 March 2026.
    started = CompletedSession.objects.get().started_at
    assert started == datetime(2026, 3, 10, 1, 30, tzinfo=UTC)


def test_a_session_logged_at_a_local_time_is_shown_at_that_time(
    client, practice, now_is
):
    now_is(THURSDAY_NOW)
    angeleno = UserFactory(time_zone="America/Los_Angeles")
    client.force_login(angeleno)

    response = client.post(
        "/progress/log/",
        {
            "date": "2026-11-26",
            "time": "22:30",
            "routine": practice.pk,
            "minutes": "20",
            "client_token": "late-thursday",
        },
    )

    assert response.status_code == 302
    session = CompletedSession.objects.get(user=angeleno)
    assert session.started_at == THURSDAY_NIGHT
    assert "Practice, Thu 26 Nov 2026, 22:30" in html(client.get("/progress/history/"))
    assert calendar_days(html(client.get("/progress/")))[-1][0] == "1"


@pytest.mark.parametrize("when", ["today", "now"])
def test_logging_today_and_the_time_now_is_allowed(signed_in, practice, now, when):
    if when == "today":
        response = signed_in.post(
            "/progress/log/",
            log_data(practice, date=timezone.localdate().isoformat()),
        )
    else:
        response = send_log_form(
            signed_in, practice, time=f"{timezone.localtime():%H:%M}"
        )

    assert response.status_code == 302
    assert CompletedSession.objects.count() == 1


def test_logging_a_date_in_the_future_answers_400(signed_in, practice):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = signed_in.post("/progress/log/", log_data(practice, date=tomorrow))

    assert response.status_code == 400
    assert FUTURE_DATE in html(response)
    assert not CompletedSession.objects.exists()


@pytest.mark.parametrize("later", [timedelta(minutes=1), timedelta(hours=13)])
def test_a_time_later_today_is_refused(signed_in, practice, now, later):
    local = timezone.localtime()
    assert (local + later).date() == local.date()

    response = send_log_form(signed_in, practice, time=f"{local + later:%H:%M}")

    assert response.status_code == 400
    assert FUTURE_TIME in html(response)
    assert not CompletedSession.objects.exists()


@pytest.mark.parametrize("value", ["25:00", "7pm", "12:60", "noon"])
def test_a_time_that_is_not_a_time_answers_400(signed_in, practice, now, value):
    response = send_log_form(signed_in, practice, time=value)

    assert response.status_code == 400
    assert "Enter a valid time." in html(response)
    assert not CompletedSession.objects.exists()


def test_logging_twice_with_the_same_token_records_one_session(signed_in, practice):
    first = signed_in.post("/progress/log/", log_data(practice))
    second = signed_in.post("/progress/log/", log_data(practice, notes="again"))

    assert second.status_code == 302
    assert second.url == first.url
    assert CompletedSession.objects.get().notes == "By hand."
    assert "This session was already logged." in html(signed_in.get(second.url))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pain_before": "11"}, PAIN_ERROR),
        ({"pain_after": "-1"}, PAIN_ERROR),
        ({"pain_before": "abc"}, PAIN_ERROR),
        ({"routine": ""}, "This field is required."),
        ({"date": "1999-12-31"}, "Please enter a date from 2000 on."),
        ({"notes": "x" * 2001}, "Ensure this value has at most 2000 characters"),
    ],
)
def test_logging_bad_input_answers_400_with_a_message(
    signed_in, practice, overrides, message
):
    response = signed_in.post("/progress/log/", log_data(practice, **overrides))

    assert response.status_code == 400
    assert message in html(response)
    assert not CompletedSession.objects.exists()


def test_an_empty_log_form_answers_400_with_the_form(signed_in):
    response = signed_in.post("/progress/log/", {})

    assert response.status_code == 400
    assert "This field is required." in html(response)


def test_an_empty_log_form_has_an_error_summary(signed_in, practice):
    response = signed_in.post(
        "/progress/log/", {"date": "", "routine": "", "client_token": "t"}
    )

    assert_summary(response, ["id_date", "id_routine"], after="<h1>Log a session</h1>")
    assert_described(response, "routine")


def test_a_time_in_the_future_is_in_the_error_summary(signed_in, practice, now):
    local = timezone.localtime()

    response = signed_in.post(
        "/progress/log/",
        {
            "date": local.date().isoformat(),
            "time": f"{local + timedelta(minutes=5):%H:%M}",
            "routine": practice.pk,
            "client_token": "t",
        },
    )

    assert_summary(response, ["id_time"], messages=[FUTURE_TIME])


def test_a_log_without_its_token_says_so_without_a_link(signed_in, practice):
    response = signed_in.post(
        "/progress/log/",
        {"date": timezone.localdate().isoformat(), "routine": practice.pk},
    )

    summary = assert_summary(response, [])
    assert "<li>This form was incomplete. Please fill it in again.</li>" in summary


# Saving a guided run


def test_finish_page_offers_the_log_form(signed_in, walk):
    page = html(walk(signed_in))

    assert f'action="{SAVE_URL}"' in page
    assert "Pain before (0–10)" in page
    assert "Pain after (0–10)" in page
    assert "Notes" in page
    assert "Save session" in page


def test_saving_a_guided_run_records_it_with_its_four_steps(signed_in, user, walk):
    walk(signed_in)

    response = signed_in.post(
        SAVE_URL, {"pain_before": "5", "pain_after": "3", "notes": "Felt loose."}
    )

    session = CompletedSession.objects.get()
    assert response.status_code == 302
    assert response.url == f"/progress/sessions/{session.pk}/"
    assert session.user == user
    assert session.routine.slug == "practice"
    assert session.routine_title == "Practice"
    assert (session.pain_before, session.pain_after) == (5, 3)
    assert session.notes == "Felt loose."
    assert session.finished_at >= session.started_at
    assert list(session.steps.values_list("order", "exercise_name", "outcome")) == [
        (1, "Knee rocks", StepOutcome.DONE),
        (2, "Bridge", StepOutcome.DONE),
        (3, "Leg stretch", StepOutcome.SKIPPED),
        (4, "Walk", StepOutcome.DONE),
    ]
    page = html(signed_in.get(response.url))
    assert "Session saved." in page
    assert "Pain 5 → 3" in text(page)


def test_pain_said_on_the_safety_check_is_saved_with_the_run(signed_in, practice):
    guide = "/routines/practice/guide/"
    signed_in.post(guide, {"acknowledged": "on", "pain_before": "3"})
    for number in range(1, 5):
        signed_in.post(f"{guide}{number}/", {"action": "done"})

    response = signed_in.post(SAVE_URL, {"pain_after": "1", "notes": ""})

    session = CompletedSession.objects.get()
    assert response.url == session.get_absolute_url()
    assert (session.pain_before, session.pain_after) == (3, 1)
    page = html(signed_in.get(response.url))
    assert "Pain 3 → 1" in text(page)
    # Both stay editable on the same scale.
    for name, chosen in [("pain_before", "3"), ("pain_after", "1")]:
        assert re.findall(rf'name="{name}" value="(\d+)"', page) == [
            str(n) for n in range(11)
        ]
        assert re.findall(rf'name="{name}" value="(\d+)"[^>]*\bchecked', page) == [
            chosen
        ]


def test_a_visitors_pain_from_the_safety_check_reaches_the_new_account(
    client, practice
):
    guide = "/routines/practice/guide/"
    client.post(guide, {"acknowledged": "on", "pain_before": "6"})
    for number in range(1, 5):
        client.post(f"{guide}{number}/", {"action": "done"})
    client.post(SAVE_URL, {"pain_after": "2"})
    lee = UserFactory(username="lee")

    response = client.post(
        "/accounts/login/", {"username": "lee", "password": PASSWORD}
    )

    assert response.status_code == 302
    completed = CompletedSession.objects.get(user=lee)
    assert (completed.pain_before, completed.pain_after) == (6, 2)


def test_the_time_on_each_step_is_saved_and_shown(signed_in, practice):
    guide = "/routines/practice/guide/"
    signed_in.post(guide, {"acknowledged": "on"})
    for number in range(1, 4):
        signed_in.post(f"{guide}{number}/", {"action": "done", "seconds": ""})
    signed_in.post(f"{guide}4/", {"action": "done", "seconds": str(34 * 60 + 12)})

    response = signed_in.post(SAVE_URL, {})

    steps = CompletedSession.objects.get().steps.all()
    assert [step.seconds for step in steps] == [None, None, None, 2052]
    page = html(signed_in.get(response.url))
    assert 'Walk: <span class="step-time">34 min 12 s</span>' in page
    assert page.count("step-time") == 1


def test_a_step_never_answered_is_saved_as_skipped(signed_in, walk):
    walk(signed_in, actions=["done"] * 3)

    signed_in.post(SAVE_URL, {})

    outcomes = list(StepResult.objects.values_list("outcome", flat=True))
    assert outcomes == ["done"] * 3 + ["skipped"]


def test_a_guided_run_with_every_step_skipped_is_kept(signed_in, user, walk):
    walk(signed_in, ["skip"] * 4)

    response = signed_in.post(SAVE_URL, {"pain_before": "4", "pain_after": "4"})

    session = CompletedSession.objects.get(user=user)
    assert response.status_code == 302
    assert response.url == session.get_absolute_url()
    assert session.steps.count() == 4
    assert session.is_exercised is False
    page = html(signed_in.get(response.url))
    assert "No exercise done" in page
    assert "does not count towards your weekly target, your streak" in page


def test_posting_the_finish_form_twice_records_one_session(signed_in, walk):
    walk(signed_in)
    data = {"pain_before": "5", "pain_after": "3", "notes": "Once."}

    first = signed_in.post(SAVE_URL, data)
    second = signed_in.post(SAVE_URL, data)

    assert first.status_code == 302
    assert second.status_code == 302
    assert second.url == first.url
    assert CompletedSession.objects.count() == 1
    assert StepResult.objects.count() == 4
    assert "This session was already saved." in html(signed_in.get(second.url))


def test_a_replayed_finish_form_finds_the_first_save(signed_in, walk):
    # Two requests racing with the same run: the second one still holds the
    # run as it was before the first save, and its token finds the first row.
    walk(signed_in)
    data = {"pain_before": "5", "pain_after": "3"}
    first = signed_in.post(SAVE_URL, data)
    assert "Session saved." in html(signed_in.get(first.url))
    session = signed_in.session
    GuidedRun.forget_saved(session, first.url)
    session.save()
    assert GuidedRun(signed_in.session, "practice").saved_url is None

    second = signed_in.post(SAVE_URL, data)

    assert second.status_code == 302
    assert second.url == first.url
    assert CompletedSession.objects.count() == 1
    assert StepResult.objects.count() == 4
    assert "Session saved." not in html(signed_in.get(second.url))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pain_before", "11", PAIN_ERROR),
        ("pain_after", "-1", PAIN_ERROR),
        ("pain_before", "abc", PAIN_ERROR),
    ],
)
def test_saving_with_bad_pain_answers_400_with_the_form(
    signed_in, walk, field, value, message
):
    walk(signed_in)

    response = signed_in.post(SAVE_URL, {field: value, "notes": "kept"})

    page = html(response)
    assert response.status_code == 400
    assert message in page
    assert "Pain before (0–10)" in page
    assert f'action="{SAVE_URL}"' in page
    assert not CompletedSession.objects.exists()


def test_saving_without_a_finished_run_records_nothing(signed_in, practice):
    response = signed_in.post(SAVE_URL, {"pain_before": "5"}, follow=True)

    assert response.redirect_chain[-1][0] == "/routines/practice/"
    page = html(response)
    assert (
        '<div class="alert alert-danger" role="alert">'
        "There is no finished session of this routine to save.</div>"
    ) in page
    assert not CompletedSession.objects.exists()


def test_saving_by_get_is_refused(signed_in, practice):
    assert signed_in.get(SAVE_URL).status_code == 405


def test_a_saved_run_links_to_its_session_instead_of_offering_the_form(signed_in, walk):
    walk(signed_in)
    saved = signed_in.post(SAVE_URL, {"pain_before": "5"})

    finish = html(signed_in.get(f"{GUIDE}finish/"))
    gate = html(signed_in.get(GUIDE))

    assert "This session is saved to your account." in finish
    assert f'href="{saved.url}"' in finish
    assert f'action="{SAVE_URL}"' not in finish
    assert "Continue at step" not in gate
    assert "Start again from step 1" not in gate
    assert "Start again" in gate


def test_deleting_a_saved_run_offers_to_save_it_again(signed_in, walk):
    walk(signed_in)
    saved = signed_in.post(SAVE_URL, {"pain_before": "5"})
    signed_in.post(f"{saved.url}delete/")

    finish = html(signed_in.get(f"{GUIDE}finish/"))
    again = signed_in.post(SAVE_URL, {"pain_before": "4"})

    assert f'href="{saved.url}"' not in finish
    assert f'action="{SAVE_URL}"' in finish
    assert CompletedSession.objects.get().pain_before == 4
    assert "Session saved." in html(signed_in.get(again.url))


# A visitor's run, saved once they sign up or log in


def test_a_visitor_finish_is_offered_signup_or_login(client, walk):
    page = html(walk(client))

    assert "sign up or log in" in page
    assert "Save, then sign up or log in" in page


def test_a_visitor_saving_is_sent_to_signup_and_nothing_is_recorded_yet(client, walk):
    walk(client)

    response = client.post(SAVE_URL, {"pain_before": "5", "pain_after": "3"})

    assert response.status_code == 302
    assert response.url == "/accounts/signup/"
    assert SAVED_LATER in html(client.get(response.url))
    assert not CompletedSession.objects.exists()


def log_in(client, password=PASSWORD, **kwargs):
    return client.post(
        "/accounts/login/", {"username": "alex", "password": password}, **kwargs
    )


def test_a_visitor_finish_is_saved_to_the_account_made_right_after(client, walk):
    walk(client)
    client.post(SAVE_URL, {"pain_before": "5", "pain_after": "3", "notes": "First!"})

    response = client.post("/accounts/signup/", signup_data(), follow=True)

    user = User.objects.get(username="newbie")
    session = CompletedSession.objects.get()
    assert session.user == user
    assert (session.pain_before, session.pain_after, session.notes) == (5, 3, "First!")
    assert session.steps.count() == 4
    assert session.steps.filter(outcome=StepOutcome.SKIPPED).count() == 1
    assert response.redirect_chain[-1][0] == "/accounts/screening/"
    assert SAVED_TO_ACCOUNT in html(response)
    dashboard = html(client.get("/progress/"))
    assert "1 of 3" in dashboard
    assert "Practice: 1" in dashboard
    # Nothing waits any more: logging in again saves nothing a second time.
    again = client.post(
        "/accounts/login/",
        {"username": "newbie", "password": NEW_PASSWORD},
        follow=True,
    )
    assert SAVED_TO_ACCOUNT not in html(again)


def test_a_visitor_run_saved_after_signup_links_to_its_session(client, walk):
    walk(client)
    client.post(SAVE_URL, {"pain_before": "5"})
    client.post("/accounts/signup/", signup_data())

    finish = html(client.get(f"{GUIDE}finish/"))

    session = CompletedSession.objects.get()
    assert f'href="{session.get_absolute_url()}"' in finish
    assert f'action="{SAVE_URL}"' not in finish


def test_a_visitor_finish_is_saved_to_the_account_logged_in_right_after(
    client, user, walk
):
    walk(client)
    client.post(SAVE_URL, {"pain_before": "4", "pain_after": "2"})

    response = log_in(client, follow=True)

    session = CompletedSession.objects.get()
    assert session.user == user
    assert (session.pain_before, session.pain_after) == (4, 2)
    assert session.steps.count() == 4
    assert response.redirect_chain[-1][0] == "/progress/"
    assert SAVED_TO_ACCOUNT in html(response)
    # Nothing waits any more: logging in again saves nothing a second time.
    assert SAVED_TO_ACCOUNT not in html(log_in(client, follow=True))


def test_a_failed_login_keeps_the_visitor_finish_waiting(client, user, walk):
    walk(client)
    client.post(SAVE_URL, {"pain_before": "4"})

    log_in(client, password="wrong")
    assert not CompletedSession.objects.exists()
    log_in(client)

    assert CompletedSession.objects.get().user == user


def test_a_visitor_with_bad_pain_gets_the_form_and_nothing_waits(client, user, walk):
    walk(client)

    response = client.post(SAVE_URL, {"pain_before": "11"})

    assert response.status_code == 400
    logged_in = log_in(client, follow=True)
    assert logged_in.redirect_chain[-1][0] == "/progress/"
    assert SAVED_TO_ACCOUNT not in html(logged_in)
    assert not CompletedSession.objects.exists()


# Saving the run of a person whose screening flags a step or asks for a clearance


@pytest.fixture
def flagged(signed_in, user, avoid_warning):
    """Alex answered yes to the avoid-warning of step 3 only."""
    services.screening_update(user=user, conditions=[avoid_warning])
    return signed_in


def start_and_do(client, numbers):
    assert client.post(GUIDE, {"acknowledged": "on"}).status_code == 302
    for number in numbers:
        assert client.post(f"{GUIDE}{number}/", {"action": "done"}).status_code == 302


def test_a_flagged_step_never_visited_is_saved_skipped_for_safety(flagged):
    start_and_do(flagged, [1, 2, 4])

    finish = flagged.get(f"{GUIDE}finish/")
    saved = flagged.post(SAVE_URL, {"pain_before": "4", "pain_after": "3"})

    assert 'outcome-skipped_for_safety">Skipped for safety</span>' in html(finish)
    assert saved.status_code == 302
    outcomes = dict(StepResult.objects.values_list("order", "outcome"))
    assert outcomes == {
        1: StepOutcome.DONE,
        2: StepOutcome.DONE,
        3: StepOutcome.SKIPPED_FOR_SAFETY,
        4: StepOutcome.DONE,
    }
    assert not StepResult.objects.filter(cleared_by_clinician=True).exists()


def test_an_unvisited_step_of_an_unflagged_person_is_only_skipped(
    signed_in, user, practice
):
    services.screening_update(user=user, conditions=[])
    start_and_do(signed_in, [1, 2, 4])

    signed_in.post(SAVE_URL, {})

    assert StepResult.objects.get(order=3).outcome == StepOutcome.SKIPPED


def test_a_step_done_after_the_override_is_saved_cleared_by_the_clinician(flagged):
    start_and_do(flagged, [1, 2])
    assert flagged.post(f"{GUIDE}3/", {"action": "override"}).status_code == 302
    flagged.post(f"{GUIDE}3/", {"action": "done"})
    flagged.post(f"{GUIDE}4/", {"action": "done"})

    saved = flagged.post(SAVE_URL, {"pain_before": "5", "pain_after": "4"})

    assert saved.status_code == 302
    step = StepResult.objects.get(order=3)
    assert step.outcome == StepOutcome.DONE
    assert step.cleared_by_clinician is True
    assert not StepResult.objects.exclude(order=3).filter(cleared_by_clinician=True)
    assert "(shown after you said your clinician cleared you)" in text_of(
        flagged.get(saved.url)
    )


def test_a_run_skipped_for_safety_reaches_history_dashboard_and_csv(flagged):
    start_and_do(flagged, [1, 2])
    flagged.post(f"{GUIDE}3/", {"action": "skip"})
    flagged.post(f"{GUIDE}4/", {"action": "done"})
    flagged.post(SAVE_URL, {"pain_before": "5", "pain_after": "3"})

    history = text_of(flagged.get("/progress/history/"))
    dashboard = text_of(flagged.get("/progress/"))
    exported = html(flagged.get("/progress/export.csv")).lstrip("\ufeff")
    [row] = csv.DictReader(io.StringIO(exported, newline=""))

    assert "3 done, 0 skipped, 1 skipped for safety" in history
    assert "1 step skipped for safety" in dashboard
    assert row["steps_skipped_for_safety"] == "1"
    assert row["steps_skipped"] == "0"


def test_the_save_of_an_uncleared_person_is_refused_and_keeps_nothing(
    client, consult_warning
):
    start_and_do(client, [1, 2])
    user = UserFactory(username="robin")
    client.force_login(user)
    services.screening_update(user=user, conditions=[consult_warning])

    response = client.post(SAVE_URL, {"pain_before": "4", "pain_after": "3"})

    assert response.status_code == 302
    assert response.url == GUIDE
    assert any(REFUSED in message for message in messages_of(response))
    assert CompletedSession.objects.count() == 0


def test_a_run_finished_as_a_visitor_waits_for_the_clearance_at_log_in(
    client, consult_warning
):
    user = UserFactory(username="robin")
    services.screening_update(user=user, conditions=[consult_warning])
    start_and_do(client, [1, 2, 3, 4])
    assert client.post(SAVE_URL, {"pain_before": "5"}).url == "/accounts/signup/"

    response = client.post(
        "/accounts/login/", {"username": "robin", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert CompletedSession.objects.count() == 0
    assert any(
        "confirm your doctor's clearance first" in message
        for message in messages_of(response)
    )
    client.post("/accounts/doctor-clearance/", {"cleared": "on", "next": GUIDE})
    assert client.get(f"{GUIDE}finish/").status_code == 200
    assert client.post(SAVE_URL, {"pain_before": "5"}).status_code == 302
    assert CompletedSession.objects.get().pain_before == 5


def test_a_run_continued_after_the_clearance_is_saved(client, consult_warning):
    start_and_do(client, [1, 2])
    user = UserFactory(username="robin")
    client.force_login(user)
    services.screening_update(user=user, conditions=[consult_warning])
    assert client.get(f"{GUIDE}3/").url == GUIDE

    cleared = client.post(
        "/accounts/doctor-clearance/", {"cleared": "on", "next": GUIDE}
    )

    assert cleared.status_code == 302
    assert "Continue at step 3 of 4" in text_of(client.get(GUIDE))
    assert client.get(f"{GUIDE}3/").status_code == 200
    assert client.post(f"{GUIDE}3/", {"action": "done"}).status_code == 302
    assert client.post(f"{GUIDE}4/", {"action": "done"}).status_code == 302
    assert client.get(f"{GUIDE}finish/").status_code == 200
    saved = client.post(SAVE_URL, {"pain_before": "4", "pain_after": "3"})
    assert saved.status_code == 302
    assert CompletedSession.objects.get().user.username == "robin"
