"""
A person's level on the routine ladder, and when to suggest changing it.

The rule rests on graded activity (graded exercise): a programme is
progressed by completing a set quota of sessions over a set time, not by
pain alone, and a flare-up is met by easing the load rather than stopping
(Lindström et al., Phys Ther 1992; the approach NICE guideline NG59, “Low
back pain and sciatica in over 16s”, 2016, recommends when it advises group
or individual exercise programmes for low back pain). Pain that keeps
rising after sessions, or a red flag, is a reason to see a clinician, as
NG59 and the NICE CKS on low back pain say.

A suggestion is never applied by itself: the person accepts it (their
level changes) or says “not yet” (asked again after ``ASK_AGAIN_AFTER``
more sessions at the level).
"""

import enum
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext, ngettext

from .models import RECENT_KEPT, RoutineTotal

# Moving up: this many sessions completed at the level …
MOVE_UP_SESSIONS = 6
# … spread over at least this long, the first to the last …
MOVE_UP_SPAN = timedelta(days=14)
# … and in the last RECENT sessions, pain after never more than this above
# pain before.
# (Three: the ratings each ``RoutineTotal`` keeps, ``models.RECENT_KEPT``.)
RECENT = RECENT_KEPT
PAIN_RISE_TOLERATED = 1
# Stepping back: a session is a flare when pain after exceeds pain before by
# FLARE_RISE or more, or reaches FLARE_PAIN of 10; FLARES_TO_STEP_BACK of
# the last RECENT sessions flaring is a reason to step back.
FLARE_RISE = 3
FLARE_PAIN = 7
FLARES_TO_STEP_BACK = 2
# “Not yet”: asked again after this many more sessions at the level.
ASK_AGAIN_AFTER = 3


class Move(enum.Enum):
    UP = "up"
    BACK = "back"
    # Flares at the lowest level: see a clinician.
    CLINICIAN = "clinician"


@dataclass(frozen=True)
class LevelRecord:
    """What the rule reads of a person's sessions at their level."""

    count: int = 0
    first_at: object = None
    last_at: object = None
    # (pain before, pain after) of the last sessions, newest first.
    recent: tuple = ()


@dataclass(frozen=True)
class Suggestion:
    move: Move
    routine: object  # the routine to move to; None for CLINICIAN
    reason: str
    figures: dict = field(default_factory=dict)

    @property
    def declinable(self):
        return self.move is not Move.CLINICIAN


def is_flare(before, after):
    if after is None:
        return False
    return after >= FLARE_PAIN or (before is not None and after - before >= FLARE_RISE)


def level_of(person, ladder):
    """The person's level: their chosen routine while on the ladder, else its first."""
    chosen = [routine for routine in ladder if routine.pk == person.level_id]
    return (chosen or list(ladder) or [None])[0]


def neighbours(ladder, level):
    """(the level below, the level above) ``level`` on ``ladder``, or None each."""
    ladder = list(ladder)
    if level not in ladder:
        return None, None
    at = ladder.index(level)
    below = ladder[at - 1] if at > 0 else None
    above = ladder[at + 1] if at + 1 < len(ladder) else None
    return below, above


def no_warnings(routine):
    return ()


def suggestion(person, record, *, ladder, screening, warnings_of=no_warnings):
    """
    The change of level to suggest to ``person`` (a ``Suggestion``), or None.
    ``record`` is their ``LevelRecord`` at their level, ``ladder`` the
    strength routines in order, ``screening`` their ``Screening``, and
    ``warnings_of(routine)`` a routine's warnings (asked only when moving up
    is otherwise due: a clearance they call for and the person has not
    confirmed holds the suggestion back).
    """
    level = level_of(person, ladder)
    if level is None:
        return None
    declined = person.level_declined_at
    if declined is not None and record.count < declined + ASK_AGAIN_AFTER:
        return None
    below, above = neighbours(ladder, level)
    recent = record.recent[:RECENT]
    flares = sum(is_flare(before, after) for before, after in recent)
    if flares >= FLARES_TO_STEP_BACK:
        figures = {"flares": flares, "recent": len(recent), "routine": level.title}
        if below is None:
            return Suggestion(
                Move.CLINICIAN,
                None,
                gettext(
                    "Your pain rose sharply, or reached 7 of 10, after "
                    "%(flares)s of your last %(recent)s sessions, already at the "
                    "first level: please see a doctor or physiotherapist before "
                    "you go on."
                )
                % figures,
                figures,
            )
        figures["lower"] = below.title
        return Suggestion(
            Move.BACK,
            below,
            gettext(
                "Your pain rose sharply, or reached 7 of 10, after %(flares)s of "
                "your last %(recent)s sessions: try the %(lower)s routine for a "
                "while, and see a doctor or physiotherapist if it goes on."
            )
            % figures,
            figures,
        )
    if above is None or screening.red_flags:
        return None
    if record.count < MOVE_UP_SESSIONS or record.first_at is None:
        return None
    span = record.last_at - record.first_at
    if span < MOVE_UP_SPAN:
        return None
    # A session without both ratings is no evidence of a flare.
    if any(
        before is not None
        and after is not None
        and after - before > PAIN_RISE_TOLERATED
        for before, after in recent
    ):
        return None
    if screening.needs_clearance(warnings_of(above)):
        return None
    days = span.days
    figures = {
        "count": record.count,
        "days": days,
        "recent": len(recent),
        "routine": level.title,
        "higher": above.title,
    }
    reason = (
        ngettext(
            "You completed the %(routine)s routine %(count)s times over %(days)s "
            "day, and your pain did not rise by more than 1 point in your last "
            "%(recent)s sessions: you may be ready for the %(higher)s routine.",
            "You completed the %(routine)s routine %(count)s times over %(days)s "
            "days, and your pain did not rise by more than 1 point in your last "
            "%(recent)s sessions: you may be ready for the %(higher)s routine.",
            days,
        )
        % figures
    )
    return Suggestion(Move.UP, above, reason, figures)


def routine_totals(user):
    """
    The person's ``RoutineTotal`` rows: what the rule reads, kept when their
    sessions are written. One query, a row per routine they did, however
    long their history.
    """
    return list(RoutineTotal.objects.filter(user=user, sessions__gt=0))


def level_record(totals, level):
    """The ``LevelRecord`` of ``level`` from the person's ``RoutineTotal`` rows."""
    if level is None:
        return LevelRecord()
    # Sessions keep their routine's title as it was (in English).
    mine = [row for row in totals if row.routine_title == level.title_en]
    if not mine:
        return LevelRecord()
    row = mine[0]
    return LevelRecord(
        count=row.sessions,
        first_at=row.first_at,
        last_at=row.last_at,
        recent=tuple(tuple(pair) for pair in row.recent_pain),
    )


def done_on(totals, day):
    """Whether something was done on ``day`` (current time zone), by ``totals``."""
    return any(
        row.last_at is not None and timezone.localdate(row.last_at) == day
        for row in totals
    )
