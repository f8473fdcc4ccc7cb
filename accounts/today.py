"""
Today, for a signed-in person: their level's routine to start on a planned
day, “done today” once something was done, or, on a rest day, their next
planned day; with the change of level suggested to them (``levels``). Days
are theirs: the active time zone is the person's (``PersonMiddleware``).

Pages get it from the ``today`` context processor, lazily: a page that does
not show the card reads nothing for it.
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from exercises.cache import Rung, cached_ladder, cached_plan

from . import levels


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

    @property
    def rest_day(self):
        return not self.planned and not self.done


def today_of(request, totals=None):
    """
    The signed-in person's ``Today``, from ``totals`` (their ``RoutineTotal``
    rows, read when not given: one query) and the ladder (the catalogue's
    cache).
    """
    person = request.user
    ladder = cached_ladder()
    if totals is None:
        totals = levels.routine_totals(person)
    level = levels.level_of(person, ladder)
    day = timezone.localdate()
    return Today(
        day=day,
        routine=level,
        planned=person.planned_on(day),
        done=levels.done_on(totals, day),
        next_day=person.next_planned_day(day),
        suggestion=levels.suggestion(
            person,
            levels.level_record(totals, level),
            ladder=ladder,
            screening=request.screening,
            warnings_of=warnings_of,
        ),
    )


def today(request):
    """
    Context processor: ``today``, the signed-in person's ``Today`` (None for
    a visitor), read only when a template uses it.
    """
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"today": None}
    return {"today": SimpleLazyObject(lambda: today_of(request))}
