"""The figures of a person's dashboard, each from one database aggregation."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.functional import cached_property

from exercises.durations import format_duration

from .models import CompletedSession

WEEKS = 12
CHART_WIDTH = 360
CHART_HEIGHT = 160
CHART_PAD = 24


CELL = 10


@dataclass
class Day:
    date: object
    count: int
    column: int

    @property
    def x(self):
        return self.column * CELL

    @property
    def y(self):
        return self.date.weekday() * CELL

    @property
    def level(self):
        """0–3, for the calendar's shading."""
        return min(self.count, 3)


@dataclass
class Week:
    start: object
    count: int
    pain_before: float | None
    pain_after: float | None


def start_of_week(day):
    return day - timedelta(days=day.weekday())


def start_of_day(day, zone=None):
    """Midnight at the start of ``day`` in ``zone`` (by default the current one)."""
    return timezone.make_aware(datetime.combine(day, time.min), zone)


class Progress:
    """
    A person's figures. Days and weeks are theirs, in their time zone, even
    where it is not the active one. Only sessions in which something was done
    count; the others stay in the history.
    """

    def __init__(self, user, today=None):
        self.user = user
        self.zone = user.zone
        self.today = today or timezone.localdate(timezone=self.zone)
        self.week_start = start_of_week(self.today)
        self.all_sessions = CompletedSession.objects.for_user(user)
        self.sessions = self.all_sessions.exercised()

    @cached_property
    def totals(self):
        return self.all_sessions.totals(since=start_of_day(self.week_start, self.zone))

    @property
    def is_empty(self):
        return self.totals["recorded"] == 0

    @property
    def not_counted(self):
        """Sessions kept in the history in which nothing was done."""
        return self.totals["recorded"] - self.totals["count"]

    @property
    def this_week(self):
        return self.totals["count_since"]

    @property
    def target_met(self):
        return self.this_week >= self.user.weekly_target

    @property
    def time_text(self):
        return format_duration(self.totals["time"] or timedelta(0))

    @cached_property
    def weeks_with_sessions(self):
        """Every week with a session, newest first, keyed by its Monday."""
        return {row["week"]: row for row in self.sessions.per_week(self.zone)}

    @cached_property
    def streak(self):
        """Weeks in a row meeting the weekly target; this week counts once met."""
        target = self.user.weekly_target
        week = self.week_start
        if self._week_count(week) < target:
            week -= timedelta(weeks=1)
        streak = 0
        while self._week_count(week) >= target:
            streak += 1
            week -= timedelta(weeks=1)
        return streak

    def _week_count(self, monday):
        row = self.weeks_with_sessions.get(monday)
        return row["count"] if row else 0

    @cached_property
    def weeks(self):
        """The last twelve weeks, oldest first, with counts and average pain."""
        weeks = []
        for back in range(WEEKS - 1, -1, -1):
            monday = self.week_start - timedelta(weeks=back)
            row = self.weeks_with_sessions.get(monday) or {}
            weeks.append(
                Week(
                    monday,
                    row.get("count", 0),
                    row.get("pain_before"),
                    row.get("pain_after"),
                )
            )
        return weeks

    @cached_property
    def calendar(self):
        """Twelve weeks of days, as rows of seven (Monday first), oldest week first."""
        first = self.week_start - timedelta(weeks=WEEKS - 1)
        counts = {
            row["day"]: row["count"]
            for row in self.sessions.per_day(
                since=start_of_day(first, self.zone), zone=self.zone
            )
        }
        days = (first + timedelta(days=n) for n in range(WEEKS * 7))
        return [
            Day(day, counts.get(day, 0), (day - first).days // 7)
            for day in days
            if day <= self.today
        ]

    @cached_property
    def skipped_for_safety(self):
        # Every session's: skipping for safety is worth seeing even when it
        # left nothing to do.
        return self.all_sessions.steps_skipped_for_safety()

    @cached_property
    def per_routine(self):
        return list(self.sessions.per_routine())

    @property
    def has_pain_data(self):
        return any(
            w.pain_before is not None or w.pain_after is not None for w in self.weeks
        )

    def _segments(self, attribute):
        """Chart points as runs of (x, y); a week without a rating breaks the line."""
        step = (CHART_WIDTH - 2 * CHART_PAD) / (WEEKS - 1)
        scale = (CHART_HEIGHT - 2 * CHART_PAD) / 10
        segments, current = [], []
        for index, week in enumerate(self.weeks):
            value = getattr(week, attribute)
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            x = CHART_PAD + index * step
            y = CHART_HEIGHT - CHART_PAD - value * scale
            current.append((round(x, 1), round(y, 1)))
        if current:
            segments.append(current)
        return [
            {"points": " ".join(f"{x},{y}" for x, y in run), "dots": run}
            for run in segments
        ]

    @property
    def pain_before_segments(self):
        return self._segments("pain_before")

    @property
    def pain_after_segments(self):
        return self._segments("pain_after")

    @property
    def calendar_box(self):
        return f"0 0 {WEEKS * CELL} {7 * CELL}"

    @property
    def chart(self):
        return {
            "width": CHART_WIDTH,
            "height": CHART_HEIGHT,
            "pad": CHART_PAD,
            "bottom": CHART_HEIGHT - CHART_PAD,
            "right": CHART_WIDTH - CHART_PAD,
            "top": CHART_PAD,
        }
