"""
A guided run through a routine, and whether a person may run it now.

A run's progress is kept in the browser's Django session (``request.session``)
under ``RUN_KEY``, one entry per routine slug: kept server-side, the guide
works with JavaScript off and survives a reload. It is not a completed session
(the record an account keeps); the shape ``GuidedRun.record()`` returns is the
contract with whoever saves a finished run as one.
"""

import enum
import uuid
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_noop

from .durations import format_duration, seconds_text
from .models import StepOutcome

# Where the runs live in request.session; the value predates the name GuidedRun.
RUN_KEY = "guided_sessions"


class GuidedRun:
    """One person's run through one routine, kept in ``session`` (request.session)."""

    def __init__(self, session, routine_slug):
        self.session = session
        self.slug = routine_slug
        self.data = session.get(RUN_KEY, {}).get(routine_slug)

    @property
    def acknowledged(self):
        return self.data is not None

    def start(self, pain_before=None, chosen=None):
        """
        Acknowledge the warnings and start afresh, with the pain the person
        felt before the first step (0–10) if they said. In a routine whose
        steps are alternatives, ``chosen`` is the number of the one picked:
        the run is that step alone.
        """
        self.data = {
            "chosen": chosen,
            "token": f"guided:{uuid.uuid4().hex}",
            "started": timezone.now().isoformat(),
            "finished": None,
            "outcomes": {},
            "seconds": {},
            "overrides": [],
            "saved_url": None,
            "pain_before": pain_before,
        }
        self._save()

    @property
    def pain_before(self):
        """The pain (0–10) said at the safety check, or None."""
        return self.data.get("pain_before") if self.data else None

    def mark(self, number, outcome, seconds=None):
        """
        Mark a step done or skipped, with the time the person spent on it
        (``seconds``, as the player measured it) when known and the step was
        done: a skipped step keeps no time. Marking it again replaces both.
        """
        outcome = StepOutcome(outcome)
        self.data["outcomes"][str(number)] = outcome.value
        times = self.data.setdefault("seconds", {})
        if seconds is None or outcome is not StepOutcome.DONE:
            times.pop(str(number), None)
        else:
            times[str(number)] = int(seconds)
        self._save()

    def seconds(self, number):
        """The time spent on a step, in seconds, when the player measured it."""
        return self.data.get("seconds", {}).get(str(number)) if self.data else None

    def override(self, number):
        """The person says their clinician cleared them for a step their screening flags."""
        overrides = self.data.setdefault("overrides", [])
        if number not in overrides:
            overrides.append(number)
            self._save()

    def is_overridden(self, number):
        return bool(self.data) and number in self.data.get("overrides", [])

    @property
    def chosen(self):
        """The number of the step picked among alternatives, or None."""
        return self.data.get("chosen") if self.data else None

    def runs(self, number):
        """Whether step ``number`` is part of this run (not an alternative set aside)."""
        return self.chosen is None or number == self.chosen

    def next_after(self, number, total):
        """The run's next step after ``number`` of ``total``, or None: the last."""
        return next((n for n in range(number + 1, total + 1) if self.runs(n)), None)

    def place(self, number, total):
        """
        (position, count): step ``number`` of ``total`` is the position-th of
        the count steps this run runs, as its page says (“Step 1 of 1” for a
        step picked among alternatives).
        """
        numbers = self.run_numbers(total)
        return numbers.index(number) + 1, len(numbers)

    def last(self, total):
        """The number of the last of ``total`` steps this run runs: it ends the run."""
        return self.run_numbers(total)[-1]

    def run_numbers(self, total):
        """The numbers of the steps of ``total`` that this run runs, in turn."""
        return [n for n in range(1, total + 1) if self.runs(n)]

    def resume_at(self, total):
        """
        The first of ``total`` steps not yet marked done or skipped, or None
        when there is no run, or every step of it is marked (it is finished).
        """
        if not self.data:
            return None
        return next(
            (n for n in self.run_numbers(total) if self.outcome(n) is None), None
        )

    def outcome(self, number):
        value = self.data["outcomes"].get(str(number)) if self.data else None
        return StepOutcome(value) if value else None

    @property
    def token(self):
        """Names this run of the routine: saving it twice finds the first save."""
        return self.data["token"]

    def mark_saved(self, url):
        """Whoever keeps the run says where it now lives; the finish page links there."""
        self.data["saved_url"] = str(url)
        self._save()

    @property
    def saved_url(self):
        return self.data.get("saved_url") if self.data else None

    @classmethod
    def forget_saved(cls, session, url):
        """The run kept at ``url`` is gone: its finish page offers to save it again."""
        for slug, data in session.get(RUN_KEY, {}).items():
            if data.get("saved_url") == str(url):
                guide = cls(session, slug)
                guide.data["saved_url"] = None
                guide._save()

    def finish(self):
        """Note the time the last step was left; a revisit keeps the first time."""
        if not self.data["finished"]:
            self.data["finished"] = timezone.now().isoformat()
            self._save()

    @property
    def started_at(self):
        return datetime.fromisoformat(self.data["started"])

    @property
    def finished_at(self):
        finished = self.data["finished"]
        return datetime.fromisoformat(finished) if finished else None

    @property
    def duration(self):
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def duration_text(self):
        return format_duration(self.duration)

    def summary(self, steps, flagged=()):
        """
        (number, step, outcome, time) for each step, the time spent on it as
        text (“34 min 12 s”) or "" when not measured. A step never marked
        counts as skipped; any step the person's screening flags (``flagged``:
        step numbers) as skipped for safety unless they overrode it
        (``screened_outcome``).
        """
        return [
            (
                number,
                step,
                # A screening answered since the step was marked counts at
                # once, as in ``refusal``.
                screened_outcome(
                    self.outcome(number) or StepOutcome.SKIPPED,
                    flagged=number in flagged,
                    cleared=self.is_overridden(number),
                ),
                seconds_text(self.seconds(number)),
            )
            for number, step in enumerate(steps, start=1)
            if self.runs(number)
        ]

    def record(self, steps, flagged=()):
        """What an account needs to keep this run as a completed session."""
        return {
            "routine": self.slug,
            "title": steps[0].routine.title if steps else self.slug,
            "started": self.data["started"],
            "finished": self.data["finished"] or timezone.now().isoformat(),
            "token": self.token,
            "pain_before": self.pain_before,
            "steps": [
                {
                    "exercise": step.exercise.slug,
                    "name": step.exercise.name,
                    "order": number,
                    "outcome": outcome.value,
                    "cleared_by_clinician": self.is_overridden(number),
                    "seconds": self.seconds(number)
                    if outcome is StepOutcome.DONE
                    else None,
                }
                for number, step, outcome, _ in self.summary(steps, flagged)
            ],
        }

    def _save(self):
        runs = self.session.get(RUN_KEY, {})
        runs[self.slug] = self.data
        # Reassigned so the session backend sees the change.
        self.session[RUN_KEY] = runs


def screened_outcome(outcome, *, flagged, cleared=False):
    """
    The one rule for what a step is recorded as, online (the step's form,
    ``GuidedRun``) and offline (``OfflineRun``): a step the person's screening
    advises against (``flagged``) is only ever skipped for safety, unless they
    said their clinician cleared them for it (``cleared``); then, and for any
    other step, it is what they marked (``outcome``).
    """
    if flagged and not cleared:
        return StepOutcome.SKIPPED_FOR_SAFETY
    return StepOutcome(outcome)


class Refusal(enum.Enum):
    """
    Why a person may not run a routine now; the value is what they are told,
    in English (marked for translation: ``gettext(refusal.value)`` says it
    in the active language).
    """

    NEEDS_CLEARANCE = gettext_noop(
        "Your health screening says to talk to your doctor before you exercise. "
        "Please confirm your doctor's clearance on the safety check before you go on."
    )
    NOT_ACKNOWLEDGED = gettext_noop("Please read the safety check before you start.")


def refusal(guide, screening, plan):
    """
    Why this person may not run this routine now, or None when they may.

    The one rule: the person's doctor has cleared them where their screening
    asks for it, and the safety check has been read. The safety check, every
    step, the finish page and the save ask it on every request, so answers
    given or changed after the guide was started count at once.
    """
    if screening.needs_clearance(plan.warnings):
        return Refusal.NEEDS_CLEARANCE
    if not guide.acknowledged:
        return Refusal.NOT_ACKNOWLEDGED
    return None
