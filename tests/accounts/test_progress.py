import re
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import CompletedSession, StepResult
from accounts.progress import Progress
from exercises.models import StepOutcome
from tests.factories import (
    CompletedSessionFactory,
    StepResultFactory,
    week_noon,
)
from tests.helpers import html

STREAK_RULE = (
    "Weeks in a row in which you met your target of {target}; this week counts "
    "once you meet it."
)


def now_session(user, **kwargs):
    """A session started this very moment: always in this week, whatever the day."""
    start = timezone.now()
    return CompletedSessionFactory(
        user=user,
        started_at=start,
        finished_at=start + kwargs.pop("minutes", timedelta(minutes=20)),
        **kwargs,
    )


def sessions_in_weeks(user, counts):
    """counts[k] sessions in the week k weeks back (0 is this week)."""
    for weeks_back, count in enumerate(counts):
        for n in range(count):
            if weeks_back == 0:
                now_session(user)
            else:
                CompletedSessionFactory(
                    user=user, started_at=week_noon(weeks_back) + timedelta(days=n)
                )


def stat(page, label):
    """The value shown under a summary card's label."""
    match = re.search(
        rf'<p class="stat-label mb-1">{label}</p>\s*<p class="stat-value mb-0">([^<]*)</p>',
        page,
    )
    return match.group(1)


# A new person


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


# The figures on the page


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


def test_streak_counts_weeks_in_a_row_meeting_the_target(signed_in, user):
    # Target 2. This week 2, then 2, 3, 2; a week with 1 breaks the run, so
    # the two weeks met before it do not count.
    user.weekly_target = 2
    user.save()
    sessions_in_weeks(user, [2, 2, 3, 2, 1, 2, 2])

    page = html(signed_in.get("/progress/"))

    assert stat(page, "Streak") == "4 weeks"
    assert STREAK_RULE.format(target=2) in page


def test_this_week_below_target_does_not_break_the_streak(signed_in, user):
    user.weekly_target = 2
    user.save()
    sessions_in_weeks(user, [1, 2, 2, 0, 2])

    page = html(signed_in.get("/progress/"))

    assert stat(page, "Streak") == "2 weeks"


def test_a_missed_last_week_ends_the_streak(signed_in, user):
    sessions_in_weeks(user, [1, 0, 3, 3])

    assert stat(html(signed_in.get("/progress/")), "Streak") == "0 weeks"


def test_one_week_streak_is_singular(signed_in, user):
    user.weekly_target = 1
    user.save()
    sessions_in_weeks(user, [1])

    assert stat(html(signed_in.get("/progress/")), "Streak") == "1 week"


def test_time_exercised_adds_up_every_session(signed_in, user):
    now_session(user, minutes=timedelta(minutes=20))
    now_session(user, minutes=timedelta(minutes=25))
    CompletedSessionFactory(
        user=user,
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

    block = re.search(r'<ul class="[^"]*per-routine">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r"<li>([^<]*)</li>", block) == ["Beginner: 2", "Aerobic: 1"]


def test_steps_skipped_for_safety_are_counted(signed_in, user):
    session = now_session(user)
    StepResultFactory(session=session, order=1)
    StepResultFactory(session=session, order=2, outcome=StepOutcome.SKIPPED_FOR_SAFETY)

    assert "1 step skipped for safety" in html(signed_in.get("/progress/"))


def test_the_calendar_has_a_square_for_every_day_of_12_weeks_so_far(signed_in, user):
    now_session(user)
    now_session(user)
    CompletedSessionFactory(user=user, started_at=week_noon(3))

    page = html(signed_in.get("/progress/"))

    today = timezone.localdate()
    svg = re.search(r'<svg class="calendar-chart".*?</svg>', page, re.S).group(0)
    assert 'viewBox="0 0 120 70"' in svg
    assert 'role="img"' in svg
    days = re.findall(r'<rect class="cal-day cal-level-(\d)"', svg)
    assert len(days) == 11 * 7 + today.weekday() + 1
    assert days[-1] == "2"
    assert days.count("1") == 1
    assert days.count("0") == len(days) - 2
    assert f"{today:%a} {today.day} {today:%b}: 2 sessions</title>" in svg


def test_the_calendar_has_a_table_with_the_same_figures(signed_in, user):
    now_session(user, pain_before=6, pain_after=2)
    now_session(user, pain_before=4, pain_after=2)
    CompletedSessionFactory(
        user=user, started_at=week_noon(2), pain_before=7, pain_after=5
    )

    page = html(signed_in.get("/progress/"))

    table = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    rows = re.findall(
        r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>',
        table,
    )
    assert len(rows) == 12
    this_monday = week_noon(0).date()
    assert rows[-1] == (f"{this_monday.day} {this_monday:%b %Y}", "2", "5.0", "2.0")
    assert rows[-3][1:] == ("1", "7.0", "5.0")
    assert rows[0][1:] == ("0", "–", "–")


def polylines(page, kind):
    return re.findall(rf'<polyline class="line-{kind}" points="([^"]*)"', page)


def dots(page, kind):
    return re.findall(rf'<circle class="dot-{kind}" cx="([^"]*)" cy="([^"]*)"', page)


def test_the_pain_trend_draws_weekly_averages(signed_in, user):
    now_session(user, pain_before=6, pain_after=2)
    now_session(user, pain_before=4, pain_after=4)
    CompletedSessionFactory(
        user=user, started_at=week_noon(1), pain_before=8, pain_after=None
    )

    page = html(signed_in.get("/progress/"))

    assert '<svg class="pain-chart" viewBox="0 0 360 160"' in page
    # x runs from 24 (11 weeks ago) to 336 (this week) in steps of 312/11;
    # y from 136 (pain 0) up to 24 (pain 10).
    assert polylines(page, "before") == ["307.6,46.4 336.0,80.0"]
    assert dots(page, "before") == [("307.6", "46.4"), ("336.0", "80.0")]
    assert polylines(page, "after") == ["336.0,102.4"]
    assert dots(page, "after") == [("336.0", "102.4")]


def test_a_week_without_ratings_breaks_the_pain_line(signed_in, user):
    now_session(user, pain_before=5, pain_after=3)
    CompletedSessionFactory(
        user=user, started_at=week_noon(11), pain_before=10, pain_after=0
    )

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


# The figures themselves, on a fixed date


WEDNESDAY = date(2026, 3, 11)


def at(day, hour=12):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def test_progress_streak_on_a_fixed_date(user):
    user.weekly_target = 1
    # This week (from Monday 9 March), two weeks before it, then a gap.
    for day in [
        date(2026, 3, 9),
        date(2026, 3, 4),
        date(2026, 2, 23),
        date(2026, 2, 9),
    ]:
        CompletedSessionFactory(user=user, started_at=at(day))

    progress = Progress(user, today=WEDNESDAY)

    assert progress.week_start == date(2026, 3, 9)
    assert progress.this_week == 1
    assert progress.target_met is True
    assert progress.streak == 3


def test_progress_week_starts_at_monday_midnight(user):
    CompletedSessionFactory(user=user, started_at=at(date(2026, 3, 8), hour=23))
    CompletedSessionFactory(user=user, started_at=at(date(2026, 3, 9), hour=0))

    progress = Progress(user, today=WEDNESDAY)

    assert progress.this_week == 1
    assert [w.count for w in progress.weeks][-2:] == [1, 1]


def test_progress_weeks_are_twelve_oldest_first(user):
    progress = Progress(user, today=WEDNESDAY)

    assert len(progress.weeks) == 12
    assert progress.weeks[0].start == date(2025, 12, 22)
    assert progress.weeks[-1].start == date(2026, 3, 9)


def test_progress_calendar_stops_today(user):
    CompletedSessionFactory(user=user, started_at=at(WEDNESDAY))

    calendar = Progress(user, today=WEDNESDAY).calendar

    assert calendar[0].date == date(2025, 12, 22)
    assert calendar[-1].date == WEDNESDAY
    assert (calendar[-1].x, calendar[-1].y, calendar[-1].level) == (110, 20, 1)


def test_progress_calendar_shading_tops_out_at_three(user):
    for _ in range(5):
        CompletedSessionFactory(user=user, started_at=at(WEDNESDAY))

    day = Progress(user, today=WEDNESDAY).calendar[-1]

    assert (day.count, day.level) == (5, 3)


def test_progress_time_of_nobody_is_zero(user):
    progress = Progress(user)

    assert progress.is_empty is True
    assert progress.time_text == "0 s"
    assert progress.streak == 0
    assert progress.has_pain_data is False


# Query budget


def count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/progress/")
    assert response.status_code == 200
    return len(queries)


def test_dashboard_stays_within_8_queries(
    signed_in, user, bulk_sessions, django_assert_max_num_queries
):
    bulk_sessions(user, 50)

    with django_assert_max_num_queries(8):
        response = signed_in.get("/progress/")

    assert "Streak" in html(response)


def test_dashboard_costs_the_same_with_1_and_2000_sessions(
    signed_in, user, bulk_sessions, django_assert_num_queries
):
    bulk_sessions(user, 1)
    with_one = count_queries(signed_in)
    CompletedSession.objects.all().delete()
    bulk_sessions(user, 2000)

    with django_assert_num_queries(with_one):
        response = signed_in.get("/progress/")

    assert with_one <= 8
    assert "in 2000 sessions." in html(response)


@pytest.mark.parametrize("count", [0, 1])
def test_dashboard_empty_and_full_stay_within_8_queries(
    signed_in, user, bulk_sessions, django_assert_max_num_queries, count
):
    bulk_sessions(user, count)

    with django_assert_max_num_queries(8):
        signed_in.get("/progress/")


# A session in which nothing was done

ALL_SKIPPED = ["skip"] * 6


def session_with_steps(user, outcomes, **kwargs):
    session = now_session(user, **kwargs)
    for order, outcome in enumerate(outcomes, start=1):
        StepResultFactory(session=session, order=order, outcome=outcome)
    return session


def nothing_done(user, **kwargs):
    return session_with_steps(
        user, [StepOutcome.SKIPPED, StepOutcome.SKIPPED_FOR_SAFETY], **kwargs
    )


def test_exercised_sessions_are_those_with_a_step_done_or_logged_by_hand(user):
    by_hand = now_session(user)
    some_done = session_with_steps(user, [StepOutcome.SKIPPED, StepOutcome.DONE])
    skipped = nothing_done(user)

    exercised = CompletedSession.objects.for_user(user).exercised()

    assert set(exercised) == {by_hand, some_done}
    assert [by_hand.is_exercised, some_done.is_exercised] == [True, True]
    assert skipped.is_exercised is False
    annotated = {
        s.pk: s.is_exercised
        for s in CompletedSession.objects.for_user(user).with_step_counts()
    }
    assert annotated == {by_hand.pk: True, some_done.pk: True, skipped.pk: False}


def test_a_guided_session_with_every_step_skipped_is_kept(
    signed_in, user, walk_beginner
):
    walk_beginner(signed_in, ALL_SKIPPED)

    response = signed_in.post(
        "/progress/save/beginner/", {"pain_before": "4", "pain_after": "4"}
    )

    session = CompletedSession.objects.get(user=user)
    assert response.status_code == 302
    assert response.url == session.get_absolute_url()
    assert session.steps.count() == 6
    assert session.is_exercised is False
    page = html(signed_in.get(response.url))
    assert "No exercise done" in page
    assert "does not count towards your weekly target, your streak" in page


def test_a_session_with_nothing_done_is_not_counted_on_the_dashboard(signed_in, user):
    nothing_done(user, routine_title="Aerobic", minutes=timedelta(minutes=40))
    now_session(user, routine_title="Beginner", minutes=timedelta(minutes=20))

    page = html(signed_in.get("/progress/"))

    assert stat(page, "This week") == "1 of 3"
    assert stat(page, "Time exercised") == "20 min"
    assert "in 1 session." in page
    assert "Not counted: 1 session with no exercise done." in page
    block = re.search(r'<ul class="[^"]*per-routine">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r"<li>([^<]*)</li>", block) == ["Beginner: 1"]
    days = re.findall(r'<rect class="cal-day cal-level-(\d)"', page)
    assert days[-1] == "1"


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


def test_sessions_with_nothing_done_make_no_streak(user):
    user.weekly_target = 1
    # Every step skipped this week and the two before; a session done before that.
    for weeks_back in range(3):
        skipped = CompletedSessionFactory(
            user=user, started_at=at(WEDNESDAY) - timedelta(weeks=weeks_back)
        )
        StepResultFactory(session=skipped, order=1, outcome=StepOutcome.SKIPPED)
    CompletedSessionFactory(user=user, started_at=at(WEDNESDAY) - timedelta(weeks=3))

    progress = Progress(user, today=WEDNESDAY)

    assert progress.this_week == 0
    assert progress.streak == 0
    assert [week.count for week in progress.weeks][-4:] == [1, 0, 0, 0]
    assert [day.count for day in progress.calendar][-1] == 0
    assert progress.not_counted == 3


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


def test_a_session_logged_by_hand_says_nothing_of_steps(signed_in, user):
    session = now_session(user)

    page = html(signed_in.get(session.get_absolute_url()))

    assert "No exercise done" not in page


def test_dashboard_stays_flat_with_many_sessions_with_nothing_done(
    signed_in, user, bulk_sessions, django_assert_num_queries
):
    bulk_sessions(user, 2)
    skip_every_step_of_every_other_session(user)
    with_two = count_queries(signed_in)
    CompletedSession.objects.all().delete()
    bulk_sessions(user, 1000)
    skip_every_step_of_every_other_session(user)

    with django_assert_num_queries(with_two):
        response = signed_in.get("/progress/")

    assert with_two <= 8
    page = html(response)
    assert "in 500 sessions." in page
    assert "Not counted: 500 sessions with no exercise done." in page


def skip_every_step_of_every_other_session(user):
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
