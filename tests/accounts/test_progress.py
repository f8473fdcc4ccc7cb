"""
The dashboard's figures (``accounts.progress.Progress``) on a fixed date,
from totals counted afresh from sessions the factories made.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.template.defaultfilters import floatformat
from django.utils import timezone

from accounts import services
from accounts.progress import CAL_LEFT, CAL_TOP, Progress, tenths
from exercises.models import StepOutcome
from tests.factories import CompletedSessionFactory, StepResultFactory, UserFactory

WEDNESDAY = date(2026, 3, 11)


def at(day, hour=12):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def progress_of(user, today=None):
    return Progress(user, today=today, totals=services.totals_rebuild(user=user))


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

    progress = progress_of(user, today=WEDNESDAY)

    assert progress.week_start == date(2026, 3, 9)
    assert progress.this_week == 1
    assert progress.target_met is True
    assert progress.streak == 3


def test_progress_week_starts_at_monday_midnight(user):
    CompletedSessionFactory(user=user, started_at=at(date(2026, 3, 8), hour=23))
    CompletedSessionFactory(user=user, started_at=at(date(2026, 3, 9), hour=0))

    progress = progress_of(user, today=WEDNESDAY)

    assert progress.this_week == 1
    assert [w.count for w in progress.weeks][-2:] == [1, 1]


def test_progress_weeks_are_twelve_oldest_first(user):
    progress = progress_of(user, today=WEDNESDAY)

    assert len(progress.weeks) == 12
    assert progress.weeks[0].start == date(2025, 12, 22)
    assert progress.weeks[-1].start == date(2026, 3, 9)


def test_progress_calendar_stops_today(user):
    CompletedSessionFactory(user=user, started_at=at(WEDNESDAY))

    calendar = progress_of(user, today=WEDNESDAY).calendar

    assert calendar[0].date == date(2025, 12, 22)
    assert calendar[-1].date == WEDNESDAY
    # The twelfth column, the third row, after the room for the labels.
    assert (calendar[-1].x, calendar[-1].y, calendar[-1].level) == (
        CAL_LEFT + 110,
        CAL_TOP + 20,
        1,
    )


def test_progress_calendar_shading_tops_out_at_three(user):
    for _ in range(5):
        CompletedSessionFactory(user=user, started_at=at(WEDNESDAY))

    day = progress_of(user, today=WEDNESDAY).calendar[-1]

    assert (day.count, day.level) == (5, 3)


def test_progress_time_of_nobody_is_zero(user):
    progress = progress_of(user)

    assert progress.is_empty is True
    assert progress.time_text == "0 s"
    assert progress.streak == 0
    assert progress.has_pain_data is False


def test_sessions_with_nothing_done_make_no_streak(user):
    user.weekly_target = 1
    # Every step skipped this week and the two before; a session done before that.
    for weeks_back in range(3):
        skipped = CompletedSessionFactory(
            user=user, started_at=at(WEDNESDAY) - timedelta(weeks=weeks_back)
        )
        StepResultFactory(session=skipped, order=1, outcome=StepOutcome.SKIPPED)
    CompletedSessionFactory(user=user, started_at=at(WEDNESDAY) - timedelta(weeks=3))

    progress = progress_of(user, today=WEDNESDAY)

    assert progress.this_week == 0
    assert progress.streak == 0
    assert [week.count for week in progress.weeks][-4:] == [1, 0, 0, 0]
    assert [day.count for day in progress.calendar][-1] == 0
    assert progress.not_counted == 3


# In the person's own time zone


@pytest.mark.parametrize(
    ("zone", "started", "today", "monday"),
    [
        # 22:30 on Thursday in Los Angeles is 06:30 on Friday in UTC.
        ("America/Los_Angeles", (2026, 11, 26, 22, 30), date(2026, 11, 26), 23),
        # 07:00 on Monday in Shanghai is 23:00 on Sunday in UTC, the week before.
        ("Asia/Shanghai", (2026, 3, 9, 7, 0), WEDNESDAY, 9),
    ],
    ids=["late-thursday-in-los-angeles", "monday-morning-in-shanghai"],
)
def test_progress_counts_a_session_on_its_local_day_and_week(
    db, zone, started, today, monday
):
    person = UserFactory(time_zone=zone)
    moment = datetime(*started, tzinfo=ZoneInfo(zone))
    CompletedSessionFactory(user=person, started_at=moment)

    progress = progress_of(person, today=today)

    week_start = today.replace(day=monday)
    assert progress.calendar[-1].date == today
    assert {day.date: day.count for day in progress.calendar}[moment.date()] == 1
    assert progress.this_week == 1
    assert progress.week_start == week_start
    assert progress.weeks[-1].start == week_start
    assert [week.count for week in progress.weeks][-2:] == [0, 1]
    assert list(progress.weeks_with_sessions) == [week_start]


def test_the_calendar_drawn_in_python_is_the_markup_of_a_template_loop(user):
    for back in (0, 1, 1, 5, 40):
        CompletedSessionFactory(user=user, started_at=at(WEDNESDAY) - timedelta(back))
    progress = progress_of(user, today=WEDNESDAY)
    loop = Template(
        "{% for day in progress.calendar %}"
        '<rect class="cal-day cal-level-{{ day.level }}" x="{{ day.x }}" '
        'y="{{ day.y }}" width="8" height="8" rx="1"><title>{{ day.date|date:"D j M" }}: '
        "{{ day.count }} session{{ day.count|pluralize }}</title></rect>"
        "{% endfor %}"
    )

    assert progress.calendar_svg == loop.render(Context({"progress": progress}))
    assert "Tue 10 Mar: 2 sessions" in progress.calendar_svg


def test_average_pain_is_shown_as_floatformat_shows_it():
    shown = {
        (total, count): tenths(total, count)
        for count in range(1, 60)
        for total in range(0, 10 * count + 1)
    }

    assert shown == {
        (total, count): floatformat(total / count, 1) for total, count in shown
    }
    assert tenths(0, 0) == "–"
