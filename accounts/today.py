"""
Today, for a signed-in person: their level's routine to start on a planned
day, “done today” once something was done, or, on a rest day, their next
planned day; with the change of level suggested to them (``levels``). Days
are theirs: the active time zone is the person's (``PersonMiddleware``).
"""

from dataclasses import dataclass
from itertools import groupby

from django.template.loader import render_to_string
from django.utils import timezone

from exercises.cache import cached_plan
from exercises.models import Routine, RoutineStep, estimated_time_of

from . import levels


@dataclass(frozen=True)
class Rung:
    """A strength routine of the ladder, as Today shows it."""

    pk: int
    slug: str
    title: str
    estimated_time: str


def rung(routine, steps):
    return Rung(
        routine.pk,
        routine.slug,
        routine.title,
        estimated_time_of(steps, routine.steps_are_alternatives),
    )


def strength_ladder(routines=None):
    """
    The ladder's strength routines with steps, in order, as ``Rung``s: from
    ``routines`` (the home page's ladder, steps prefetched) or in one query.
    """
    if routines is not None:
        return [
            rung(routine, routine.steps.all())
            for routine in routines
            if routine.kind == Routine.Kind.STRENGTH and routine.steps.all()
        ]
    steps = (
        RoutineStep.objects.filter(routine__kind=Routine.Kind.STRENGTH)
        .select_related("routine")
        .order_by("routine__level", "routine__title", "routine_id", "order")
    )
    return [
        rung(group[0].routine, group)
        for group in (list(g) for _, g in groupby(steps, key=lambda s: s.routine_id))
    ]


def warnings_of(routine):
    plan = cached_plan(routine.slug)
    return plan.warnings if plan else ()


@dataclass(frozen=True)
class Today:
    day: object
    routine: Rung | None
    planned: bool
    done: bool
    next_day: object
    suggestion: object
    last_routine_id: int | None

    @property
    def rest_day(self):
        return not self.planned and not self.done


def today_of(request, routines=None):
    """The signed-in person's ``Today`` (two queries, one with ``routines``)."""
    person = request.user
    ladder = strength_ladder(routines)
    rows = levels.recent_sessions(person)
    level = levels.level_of(person, ladder)
    day = timezone.localdate()
    record = levels.level_record(rows, level)
    return Today(
        day=day,
        routine=level,
        planned=person.planned_on(day),
        done=levels.done_on(rows, day),
        next_day=person.next_planned_day(day),
        suggestion=levels.suggestion(
            person,
            record,
            ladder=ladder,
            screening=request.screening,
            warnings_of=warnings_of,
        ),
        last_routine_id=rows[0]["routine_id"] if rows else None,
    )


def today_card(request, routines=None):
    """
    The Today card's markup for the home page (settings.TODAY_CARD), or ""
    for a visitor.
    """
    if not request.user.is_authenticated:
        return ""
    return render_to_string(
        "accounts/_partials/today.html", {"today": today_of(request, routines)}, request
    )
