"""
The totals kept for a person's dashboard (``ProgressTotal`` and its day,
week and routine rows): kept by the services that write sessions, equal to a
rebuild from the sessions, and showing what an aggregate of the whole
history shows.
"""

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services
from accounts.models import (
    CompletedSession,
    DayTotal,
    ProgressTotal,
    RoutineTotal,
    WeekTotal,
)
from accounts.progress import Progress, start_of_week
from exercises.durations import format_duration
from exercises.models import StepOutcome
from tests.accounts import aggregates
from tests.factories import CompletedSessionFactory, StepResultFactory, UserFactory
from tests.helpers import count_queries, html

TODAY = date(2026, 3, 11)
ZONES = ["UTC", "America/Los_Angeles", "Asia/Shanghai", "Pacific/Kiritimati"]
TITLES = ["Beginner", "Aerobic", "A routine since removed"]
OUTCOMES = [StepOutcome.DONE, StepOutcome.SKIPPED, StepOutcome.SKIPPED_FOR_SAFETY]


def kept(user):
    """Every figure kept for ``user``, as plain values."""
    totals = ProgressTotal.objects.filter(user=user).values(
        "time_zone", "recorded", "sessions", "time", "skipped_for_safety"
    )
    return {
        "totals": list(totals),
        "days": sorted(
            DayTotal.objects.filter(user=user).values_list("date", "sessions")
        ),
        "weeks": sorted(
            WeekTotal.objects.filter(user=user).values_list(
                "monday",
                "sessions",
                "pain_before_sum",
                "pain_before_count",
                "pain_after_sum",
                "pain_after_count",
                *(f"day_{weekday}" for weekday in range(7)),
                "streaks",
            )
        ),
        "routines": sorted(
            RoutineTotal.objects.filter(user=user).values_list(
                "routine_title", "sessions", "first_at", "last_at", "recent_pain"
            )
        ),
    }


def shown(progress):
    """What the dashboard shows, figure by figure."""
    return {
        "is_empty": progress.is_empty,
        "not_counted": progress.not_counted,
        "this_week": progress.this_week,
        "streak": progress.streak,
        "time": progress.time_text,
        "sessions": progress.totals.sessions,
        "skipped_for_safety": progress.skipped_for_safety,
        "per_routine": [(r["routine_title"], r["count"]) for r in progress.per_routine],
        "weeks": [
            (w.start, w.count, w.pain_before, w.pain_after) for w in progress.weeks
        ],
        "calendar": [(day.date, day.count) for day in progress.calendar],
    }


def aggregated(user, today):
    """
    The dashboard's figures as it used to compute them on every view: by
    aggregating the person's whole history.
    """
    zone = user.zone
    week_start = start_of_week(today)
    first = week_start - timedelta(weeks=11)
    every = CompletedSession.objects.for_user(user)
    counted = aggregates.exercised(every)
    totals = aggregates.totals(every, since=aggregates.start_of_day(week_start, zone))
    per_week = {row["week"]: row for row in aggregates.per_week(counted, zone)}

    def count(monday):
        return per_week[monday]["count"] if monday in per_week else 0

    target = user.weekly_target
    week, streak = week_start, 0
    if count(week) < target:
        week -= timedelta(weeks=1)
    while count(week) >= target:
        streak += 1
        week -= timedelta(weeks=1)
    weeks = []
    for back in range(11, -1, -1):
        monday = week_start - timedelta(weeks=back)
        row = per_week.get(monday, {})
        weeks.append(
            (
                monday,
                row.get("count", 0),
                row.get("pain_before"),
                row.get("pain_after"),
            )
        )
    per_day = {
        row["day"]: row["count"]
        for row in aggregates.per_day(
            counted, since=aggregates.start_of_day(first, zone), zone=zone
        )
    }
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    return {
        "is_empty": totals["recorded"] == 0,
        "not_counted": totals["recorded"] - totals["count"],
        "this_week": totals["count_since"],
        "streak": streak,
        "time": format_duration(totals["time"] or timedelta(0)),
        "sessions": totals["count"],
        "skipped_for_safety": aggregates.steps_skipped_for_safety(every),
        "per_routine": [
            (row["routine_title"], row["count"])
            for row in aggregates.per_routine(counted)
        ],
        "weeks": weeks,
        "calendar": [(day, per_day.get(day, 0)) for day in days],
    }


def approx(figures):
    """Averages rounded: a sum over a count and SQL's AVG may differ in the last bit."""
    return {
        **figures,
        "weeks": [
            (monday, n, *(None if v is None else round(v, 9) for v in pains))
            for monday, n, *pains in figures["weeks"]
        ],
    }


# Random histories, through the services


moments = st.builds(
    lambda days, minutes: (
        datetime.combine(TODAY, time(12), UTC) + timedelta(days=days, minutes=minutes)
    ),
    st.integers(min_value=-100, max_value=2),
    st.integers(min_value=-720, max_value=720),
)
ratings = st.none() | st.integers(min_value=0, max_value=10)
log = st.fixed_dictionaries(
    {
        "op": st.just("log"),
        "started_at": moments,
        "minutes": st.integers(min_value=0, max_value=90),
        "routine_title": st.sampled_from(TITLES),
        "pain_before": ratings,
        "pain_after": ratings,
        "outcomes": st.lists(st.sampled_from(OUTCOMES), max_size=4),
    }
)
edit = st.fixed_dictionaries(
    {
        "op": st.just("edit"),
        "which": st.integers(min_value=0),
        "pain_before": ratings,
        "pain_after": ratings,
        "notes": st.sampled_from(["", "Stiff."]),
    }
)
delete = st.fixed_dictionaries(
    {"op": st.just("delete"), "which": st.integers(min_value=0)}
)
move = st.fixed_dictionaries({"op": st.just("zone"), "zone": st.sampled_from(ZONES)})
histories = st.lists(st.one_of(log, log, log, edit, delete, move), max_size=25)


def record(user, started, token, *, minutes=20, routine_title="Beginner", **fields):
    """Record a session of ``minutes`` from ``started``, as the app does."""
    return services.session_record(
        user=user,
        routine=None,
        routine_title=routine_title,
        started_at=started,
        finished_at=started + timedelta(minutes=minutes),
        client_token=token,
        **fields,
    )


def replay(user, operations):
    for number, operation in enumerate(operations):
        sessions = list(CompletedSession.objects.for_user(user).order_by("pk"))
        if operation["op"] == "log":
            started = operation["started_at"]
            record(
                user,
                started,
                f"random-{number}",
                minutes=operation["minutes"],
                routine_title=operation["routine_title"],
                pain_before=operation["pain_before"],
                pain_after=operation["pain_after"],
                steps=[
                    {"order": order, "name": "Step", "outcome": outcome}
                    for order, outcome in enumerate(operation["outcomes"], start=1)
                ],
            )
        elif operation["op"] == "zone":
            services.user_time_zone_update(user=user, time_zone=operation["zone"])
        elif sessions:
            session = sessions[operation["which"] % len(sessions)]
            if operation["op"] == "edit":
                services.session_update(
                    session=session,
                    pain_before=operation["pain_before"],
                    pain_after=operation["pain_after"],
                    notes=operation["notes"],
                )
            else:
                services.session_delete(session=session)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    zone=st.sampled_from(ZONES),
    target=st.integers(min_value=1, max_value=3),
    operations=histories,
)
def test_kept_totals_equal_a_rebuild_and_the_whole_history(zone, target, operations):
    user = UserFactory(time_zone=zone, weekly_target=target)

    replay(user, operations)

    # As the dashboard reads them: built on the first view when nothing was logged.
    progress = Progress(user, today=TODAY, totals=services.totals_get(user=user))
    before = kept(user)
    services.totals_rebuild(user=user)
    assert before == kept(user)
    assert approx(shown(progress)) == approx(aggregated(user, TODAY))
    assert routine_ends(user) == routine_ends_of_the_whole_history(user)


def routine_ends(user):
    """What each routine's kept row holds for the level rule."""
    return {
        row.routine_title: (row.first_at, row.last_at, row.recent_pain)
        for row in RoutineTotal.objects.filter(user=user)
    }


def routine_ends_of_the_whole_history(user):
    """The same, from every session in which something was done."""
    sessions = sorted(
        (
            session
            for session in CompletedSession.objects.for_user(user).prefetch_related(
                "steps"
            )
            if session.is_exercised
        ),
        key=lambda session: (session.started_at, session.pk),
        reverse=True,
    )
    ends = {}
    for session in sessions:
        first, last, recent = ends.get(session.routine_title, (None, None, []))
        if len(recent) < 3:
            recent = [*recent, [session.pain_before, session.pain_after]]
        ends[session.routine_title] = (
            session.started_at,
            last or session.started_at,
            recent,
        )
    return ends


def test_a_streak_longer_than_the_dashboards_twelve_weeks(db):
    user = UserFactory(weekly_target=2)
    for back in range(30):
        for hour in (9, 18):
            start = datetime.combine(TODAY, time(hour), UTC) - timedelta(weeks=back)
            record(user, start, f"{back}-{hour}")

    assert Progress(user, today=TODAY).streak == 30

    # An old week losing a session breaks the run there.
    twenty_weeks_back = datetime.combine(TODAY, time(9), UTC) - timedelta(weeks=20)
    services.session_delete(
        session=CompletedSession.objects.get(user=user, started_at=twenty_weeks_back)
    )

    assert Progress(user, today=TODAY).streak == 20
    assert aggregated(user, TODAY)["streak"] == 20


# Account deletion, time zones, and sessions kept before the totals were


def test_deleting_an_account_deletes_its_totals(user):
    record(user, timezone.now(), "one", minutes=0)
    assert DayTotal.objects.filter(user=user).exists()

    services.user_delete(user=user)

    for model in (ProgressTotal, DayTotal, WeekTotal, RoutineTotal):
        assert not model.objects.exists(), model


def test_moving_to_another_time_zone_counts_the_days_again(user):
    # 23:30 on Sunday in London is Monday morning in Shanghai.
    sunday_night = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    services.user_time_zone_update(user=user, time_zone="Europe/London")
    record(user, sunday_night, "late")
    assert Progress(user, today=TODAY).this_week == 0

    services.user_time_zone_update(user=user, time_zone="Asia/Shanghai")

    assert list(DayTotal.objects.values_list("date", flat=True)) == [date(2026, 3, 9)]
    assert Progress(user, today=TODAY).this_week == 1


def test_a_zone_changed_elsewhere_is_counted_on_the_next_view(signed_in, user):
    sunday_night = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    record(user, sunday_night, "late")
    user.time_zone = "Asia/Shanghai"
    user.save()

    signed_in.get("/progress/")

    assert ProgressTotal.objects.get(user=user).time_zone == "Asia/Shanghai"
    assert list(DayTotal.objects.values_list("date", flat=True)) == [date(2026, 3, 9)]


def test_sessions_kept_before_the_totals_are_counted_on_the_first_view(signed_in, user):
    session = CompletedSessionFactory(user=user, routine_title="Aerobic")
    StepResultFactory(session=session, outcome=StepOutcome.SKIPPED_FOR_SAFETY)
    StepResultFactory(session=session, outcome=StepOutcome.DONE)

    page = html(signed_in.get("/progress/"))

    assert "in 1 session." in page
    assert "Aerobic: 1" in page
    assert "1 step skipped for safety" in page


def test_the_dashboard_reads_as_many_rows_at_2000_sessions_as_at_one(
    signed_in, user, bulk_sessions
):
    bulk_sessions(user, 1)
    services.totals_rebuild(user=user)
    cache.clear()  # both rendered from cold: nothing of the person's kept
    small = count_queries(signed_in, "/progress/")
    CompletedSession.objects.all().delete()
    bulk_sessions(user, 2000)
    services.totals_rebuild(user=user)
    cache.clear()

    large = count_queries(signed_in, "/progress/")

    assert len(small.queries) == len(large.queries) <= 8
    # Each query reads the kept rows only: at most a row a day of 12 weeks.
    assert "accounts_completedsession" not in " ".join(
        query["sql"] for query in large.queries
    )


# The rebuild command


def test_rebuild_totals_counts_every_person_afresh(user, other_user):
    CompletedSessionFactory(user=user)
    CompletedSessionFactory(user=other_user)
    CompletedSessionFactory(user=other_user)
    out = io.StringIO()

    call_command("rebuild_totals", stdout=out)

    assert ProgressTotal.objects.get(user=user).sessions == 1
    assert ProgressTotal.objects.get(user=other_user).sessions == 2
    assert "2 people" in out.getvalue()


@pytest.mark.parametrize("who", ["sam", "id"])
def test_rebuild_totals_of_one_person_by_username_or_id(user, other_user, who):
    CompletedSessionFactory(user=other_user)

    call_command(
        "rebuild_totals",
        user=str(other_user.pk) if who == "id" else "sam",
        stdout=io.StringIO(),
    )

    assert list(ProgressTotal.objects.values_list("user", "sessions")) == [
        (other_user.pk, 1)
    ]


def test_rebuild_totals_of_nobody_says_so(db):
    with pytest.raises(CommandError, match="nobody"):
        call_command("rebuild_totals", user="nobody", stdout=io.StringIO())


def test_editing_and_deleting_on_the_session_pages_change_the_dashboard(
    signed_in, user
):
    start = timezone.now()
    session, _ = record(user, start, "one", pain_before=8, pain_after=6)
    url = session.get_absolute_url()

    edited = signed_in.post(url, {"pain_before": "4", "pain_after": "2", "notes": ""})

    assert edited.status_code == 302
    week = WeekTotal.objects.get(user=user)
    assert (week.pain_before, week.pain_after) == (4, 2)
    deleted = signed_in.post(f"{url}delete/")
    assert deleted.status_code == 302
    assert ProgressTotal.objects.get(user=user).recorded == 0
    assert not WeekTotal.objects.exists()
    assert "No sessions yet" in html(signed_in.get("/progress/"))
