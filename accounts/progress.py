"""
The figures of a person's dashboard, read from the totals kept for them
(``ProgressTotal`` and its day, week and routine rows): a bounded number of
rows however long their history.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from exercises.durations import format_duration
from exercises.models import Routine, StepOutcome

from .models import ProgressTotal, RoutineTotal, WeekTotal, is_exercised

WEEKS = 12
CHART_WIDTH = 360
CHART_HEIGHT = 160
CHART_PAD = 24


CELL = 10
# Room for the calendar's labels: the weekdays on the left, months on top,
# and on the right for a month named over the last week. Wide enough for
# three characters at the labels' 6 units (a Chinese 星期一 or 十二月).
CAL_LEFT = 21
CAL_TOP = 9
CAL_RIGHT = 10

# What a week row adds up, in the order ``Tally.weeks`` keeps them.
WEEK_FIGURES = (
    "sessions",
    "pain_before_sum",
    "pain_before_count",
    "pain_after_sum",
    "pain_after_count",
    *(f"day_{weekday}" for weekday in range(7)),
)


@dataclass
class Day:
    date: object
    count: int
    column: int

    @property
    def x(self):
        return CAL_LEFT + self.column * CELL

    @property
    def y(self):
        return CAL_TOP + self.date.weekday() * CELL

    @property
    def level(self):
        """0–3, for the calendar's shading."""
        return min(self.count, 3)


def tenths(total, count):
    """
    ``total / count`` to one decimal, halves rounded up, as the
    ``floatformat:1`` filter shows it; "–" without a count. In integers: no
    filter call per figure, and no float to round.
    """
    if not count:
        return "–"
    rounded = (20 * total + count) // (2 * count)
    return f"{rounded // 10}.{rounded % 10}"


@dataclass
class Week:
    start: object
    count: int
    pain_before: float | None
    pain_after: float | None
    pain_before_text: str = "–"
    pain_after_text: str = "–"


def start_of_week(day):
    return day - timedelta(days=day.weekday())


class Tally:
    """
    What completed sessions add to (or, counted with ``sign=-1``, take from)
    their person's totals, row by row: days and weeks in ``zone``.
    """

    def __init__(self, zone):
        self.zone = zone
        self.recorded = 0
        self.sessions = 0
        self.time = timedelta(0)
        self.skipped_for_safety = 0
        self.days = defaultdict(int)
        self.weeks = defaultdict(lambda: dict.fromkeys(WEEK_FIGURES, 0))
        self.routines = defaultdict(int)

    def add(self, session, outcomes, sign=1):
        """Count ``session`` with its steps' ``outcomes`` (a list)."""
        self.recorded += sign
        self.skipped_for_safety += sign * outcomes.count(StepOutcome.SKIPPED_FOR_SAFETY)
        if not is_exercised(outcomes):
            return
        self.sessions += sign
        self.time += sign * (session.finished_at - session.started_at)
        day = timezone.localdate(session.started_at, self.zone)
        self.days[day] += sign
        week = self.weeks[start_of_week(day)]
        week["sessions"] += sign
        week[f"day_{day.weekday()}"] += sign
        for name in ("pain_before", "pain_after"):
            rating = getattr(session, name)
            if rating is not None:
                week[f"{name}_sum"] += sign * rating
                week[f"{name}_count"] += sign
        self.routines[session.routine_title] += sign


class Progress:
    """
    A person's figures, from ``totals`` (their ``ProgressTotal``; read when
    not given). Days and weeks are theirs, in their time zone, even where it
    is not the active one. Only sessions in which something was done count;
    the others stay in the history.
    """

    def __init__(self, user, today=None, totals=None):
        self.user = user
        self.zone = user.zone
        self.today = today or timezone.localdate(timezone=self.zone)
        self.week_start = start_of_week(self.today)
        self.first_day = self.week_start - timedelta(weeks=WEEKS - 1)
        if totals is None:
            totals = ProgressTotal.objects.filter(user=user).first()
        self.totals = totals or ProgressTotal(user=user)

    @property
    def is_empty(self):
        return self.totals.recorded == 0

    @property
    def not_counted(self):
        """Sessions kept in the history in which nothing was done."""
        return self.totals.not_counted

    @cached_property
    def weeks_with_sessions(self):
        """The twelve weeks' rows with sessions, newest first, keyed by Monday."""
        rows = WeekTotal.objects.filter(
            user=self.user, monday__gte=self.first_day
        ).order_by("-monday")
        return {row.monday: row for row in rows}

    @property
    def this_week(self):
        row = self.weeks_with_sessions.get(self.week_start)
        return row.sessions if row else 0

    @property
    def target_met(self):
        return self.this_week >= self.user.weekly_target

    @property
    def time_text(self):
        return format_duration(self.totals.time)

    @cached_property
    def streak(self):
        """Weeks in a row meeting the weekly target; this week counts once met."""
        target = self.user.weekly_target
        week = self.week_start
        if self.this_week < target:
            week -= timedelta(weeks=1)
        row = self.weeks_with_sessions.get(week)
        return row.streak(target) if row else 0

    @cached_property
    def weeks(self):
        """The last twelve weeks, oldest first, with counts and average pain."""
        weeks = []
        for back in range(WEEKS - 1, -1, -1):
            monday = self.week_start - timedelta(weeks=back)
            row = self.weeks_with_sessions.get(monday)
            if row is None:
                weeks.append(Week(monday, 0, None, None))
            else:
                weeks.append(
                    Week(
                        monday,
                        row.sessions,
                        row.pain_before,
                        row.pain_after,
                        tenths(row.pain_before_sum, row.pain_before_count),
                        tenths(row.pain_after_sum, row.pain_after_count),
                    )
                )
        return weeks

    @cached_property
    def calendar(self):
        """Twelve weeks of days, as rows of seven (Monday first), oldest week first."""
        first = self.first_day
        weeks = self.weeks_with_sessions
        days = (first + timedelta(days=n) for n in range(WEEKS * 7))
        return [
            Day(day, row.day_count(day) if row else 0, (day - first).days // 7)
            for day in days
            if day <= self.today
            for row in [weeks.get(start_of_week(day))]
        ]

    @property
    def calendar_months(self):
        """
        (column, month) for each month whose first week (from Monday) is on
        the calendar, and the first week's month unless the next label
        would touch it: where the calendar's month names go.
        """
        columns = []
        for column in range(WEEKS):
            monday = self.first_day + timedelta(weeks=column)
            if column == 0 or monday.day <= 7:
                columns.append((column, monday.month))
        if len(columns) > 1 and columns[1][0] == 1:
            columns.pop(0)
        return columns

    @property
    def calendar_labels_svg(self):
        """
        The calendar's weekdays down the left of its rows and months over
        their weeks (``calendar_months``), in the person's time zone.
        """
        labels = [
            f'<text class="cal-label cal-weekday" x="{CAL_LEFT - 2}" '
            f'y="{CAL_TOP + n * CELL + 7}" text-anchor="end">'
            f"{escape(WEEKDAYS_ABBR[n])}</text>"
            for n in range(7)
        ]
        labels += [
            f'<text class="cal-label cal-month" x="{CAL_LEFT + column * CELL}" '
            f'y="{CAL_TOP - 2}">{escape(MONTHS_3[month].title())}</text>'
            for column, month in self.calendar_months
        ]
        return mark_safe("".join(labels))

    @property
    def calendar_svg(self):
        """
        The calendar's squares, drawn here rather than by a template loop:
        numbers, and day and month names (as the date filter's "D j M")
        escaped once each.
        """
        weekdays = [escape(WEEKDAYS_ABBR[n]) for n in range(7)]
        months = {}
        squares = []
        for day in self.calendar:
            date = day.date
            if date.month not in months:
                months[date.month] = escape(MONTHS_3[date.month].title())
            count = day.count
            title = ngettext(
                # Translators: a day's square on the calendar, “Mon 3 Feb: 2 sessions”.
                "%(weekday)s %(day)s %(month)s: %(count)s session",
                "%(weekday)s %(day)s %(month)s: %(count)s sessions",
                count,
            ) % {
                "weekday": weekdays[date.weekday()],
                "day": date.day,
                "month": months[date.month],
                "count": count,
            }
            squares.append(
                f'<rect class="cal-day cal-level-{day.level}" x="{day.x}" '
                f'y="{day.y}" width="8" height="8" rx="1"><title>'
                f"{title}</title></rect>"
            )
        return mark_safe("".join(squares))

    @property
    def skipped_for_safety(self):
        # Every session's: skipping for safety is worth seeing even when it
        # left nothing to do.
        return self.totals.skipped_for_safety

    @cached_property
    def routine_totals(self):
        """
        The person's ``RoutineTotal`` rows, most sessions first, each with
        ``title``, its routine's title in the active language if it still
        exists: the figures per routine, and what Today reads of their level.
        """
        return list(
            RoutineTotal.objects.filter(user=self.user, sessions__gt=0)
            .annotate(
                title=Coalesce(
                    Subquery(
                        Routine.objects.title_in_language(OuterRef("routine_title"))
                    ),
                    "routine_title",
                )
            )
            .order_by("-sessions", "routine_title")
        )

    @property
    def per_routine(self):
        """Sessions per routine, each named in the active language if it still exists."""
        return [
            {"routine_title": row.title, "count": row.sessions}
            for row in self.routine_totals
        ]

    @property
    def has_pain_data(self):
        return any(
            w.pain_before is not None or w.pain_after is not None for w in self.weeks
        )

    def _line_svg(self, kind):
        """
        The chart's line and dots of the pain ``kind`` ("before", "after"),
        drawn here; a week without a rating breaks the line. Numbers only:
        nothing here needs escaping.
        """
        step = (CHART_WIDTH - 2 * CHART_PAD) / (WEEKS - 1)
        scale = (CHART_HEIGHT - 2 * CHART_PAD) / 10
        points = [
            None
            if (value := getattr(week, f"pain_{kind}")) is None
            else (
                round(CHART_PAD + index * step, 1),
                round(CHART_HEIGHT - CHART_PAD - value * scale, 1),
            )
            for index, week in enumerate(self.weeks)
        ]
        svg = []
        for rated, run in groupby(points, key=bool):
            if rated:
                run = list(run)
                line = " ".join(f"{x},{y}" for x, y in run)
                svg.append(f'<polyline class="line-{kind}" points="{line}"/>')
                svg += [
                    f'<circle class="dot-{kind}" cx="{x}" cy="{y}" r="3.5"/>'
                    for x, y in run
                ]
        return "".join(svg)

    @property
    def pain_lines_svg(self):
        """The chart's lines and dots, before then after."""
        return mark_safe(self._line_svg("before") + self._line_svg("after"))

    @property
    def calendar_box(self):
        return f"0 0 {CAL_LEFT + WEEKS * CELL + CAL_RIGHT} {CAL_TOP + 7 * CELL}"

    @property
    def chart(self):
        return {
            "width": CHART_WIDTH,
            "height": CHART_HEIGHT,
            "pad": CHART_PAD,
            "bottom": CHART_HEIGHT - CHART_PAD,
            "right": CHART_WIDTH - CHART_PAD,
            "top": CHART_PAD,
            # The dates' baseline: room below it for descenders (“Sep”).
            "labels": CHART_HEIGHT - 5,
        }
