"""
A routine's guided run on a phone with no connection (issue 18).

Offline the server cannot keep the run (``GuidedRun`` lives in the session),
so the service worker keeps the routine's plan as JSON (``plan_json``: the
catalogue's rendered parts of every guided step, nothing of any person) and
the browser runs the steps itself (static/js/offline/guide.js). The finished
run comes back later as an ``OfflineRun``, checked here against the plan: the
browser says only which step it marked how and when, never what a step is.
"""

import json
import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from .cache import cached, cached_guide, cached_plan
from .guide import screened_outcome
from .models import StepOutcome

# A token the browser made for the run; "guided:" ones are the server's.
TOKEN = re.compile(r"offline:[0-9a-f]{32}")
# A run recorded offline reaches the server within weeks, not years; a
# phone's clock may be off, but not by days. A step takes minutes, not days.
OLDEST = timedelta(days=90)
CLOCK_SLACK = timedelta(days=1)
LONGEST_STEP = 24 * 60 * 60


def plan_json(slug):
    """
    The JSON the offline guide runs ``slug``'s routine from, or None when it
    has no steps; kept in the catalogue's cache like its pages.
    """

    def build():
        plan = cached_plan(slug)
        pages = cached_guide(slug)
        if plan is None or pages is None:
            return None
        routine = plan.routine
        safety = render_to_string(
            "exercises/_partials/offline_safety.html",
            {
                "warning_groups": plan.warnings_by_severity(),
                "red_flags": plan.red_flags,
            },
        )
        return json.dumps(
            {
                "slug": routine.slug,
                "title": routine.title,
                "url": routine.get_absolute_url(),
                "guide_url": reverse("exercises:guide_start", args=[routine.slug]),
                "player": static("js/player/main.js"),
                "styles": [static("css/player.css"), static("css/offline.css")],
                "safety": safety,
                "steps": [
                    {
                        "name": step.exercise.name,
                        "dose": step.dose_text,
                        "avoidable": page.avoidable,
                        "html": {
                            "head": page.head,
                            "warnings": page.warnings_html,
                            "player": page.player,
                            "previous": page.previous,
                            "how": page.how,
                        },
                    }
                    for step, page in zip(plan.steps, pages.steps, strict=True)
                ],
            }
        )

    return cached("offline-plan", slug, build)


def _moment(value, name):
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(f"The {name} time is not a date and time.") from None
    if timezone.is_naive(moment):
        raise ValidationError(f"The {name} time has no time zone.")
    return moment


def _fits_in_time(moment, name):
    # Refused with a code of its own: well formed, kept on the phone (409),
    # not dropped as unreadable (400).
    now = timezone.now()
    if moment > now + CLOCK_SLACK:
        raise ValidationError(
            f"The {name} time of the saved session is more than a day ahead: "
            "check the date and time on this phone.",
            code="clock",
        )
    if moment < now - OLDEST:
        raise ValidationError(
            f"The saved session is more than {OLDEST.days} days old, "
            "too old to add to your record.",
            code="too_old",
        )


class OfflineRun:
    """
    A guided run recorded by the browser offline, as sent: the same questions
    as ``GuidedRun`` answers (``refusal`` asks it ``acknowledged``), checked
    against ``plan`` (a ``RoutinePlan``). Raises ValidationError, its message
    for the person, when the data is not a run of this routine; its code
    ("changed", "clock", "too_old") when the run is well formed but cannot be
    added as it stands, so the phone keeps it.
    """

    def __init__(self, data, plan):
        if not isinstance(data, dict):
            raise ValidationError("The saved session is not in a form BackCare reads.")
        self.plan = plan
        token = data.get("token")
        if not isinstance(token, str) or not TOKEN.fullmatch(token):
            raise ValidationError("The saved session has no valid token.")
        self.token = token
        # The safety check was read on the phone before step 1.
        self.acknowledged = data.get("acknowledged") is True
        if not self.acknowledged:
            raise ValidationError("The safety check was not read before this session.")
        started = _moment(data.get("started"), "start")
        finished = _moment(data.get("finished"), "finish")
        self.steps = self._steps(data.get("steps"))
        # Steps the person showed anyway, saying their clinician cleared them.
        self.overridden = self._overridden(data.get("overridden", []))
        # Who was signed in when it was saved on the phone (their id, as the
        # GET gave it), or None for a visitor: theirs is for whoever logs in.
        owner = data.get("owner")
        if owner is not None and (
            isinstance(owner, bool) or not isinstance(owner, int)
        ):
            raise ValidationError("The saved session was not saved by a person.")
        self.owner = owner
        # Only once the whole run is known to be readable.
        _fits_in_time(started, "start")
        _fits_in_time(finished, "finish")
        self.started = started
        self.finished = max(finished, started)
        total = len(self.plan.steps)
        if len(self.steps) != total:
            raise ValidationError(
                f"The routine has changed since this session was saved: it now "
                f"has {total} steps, the saved session {len(self.steps)}.",
                code="changed",
            )

    def _steps(self, steps):
        if not isinstance(steps, list) or not steps:
            raise ValidationError("The saved session has no steps.")
        found = []
        for number, step in enumerate(steps, start=1):
            if not isinstance(step, dict):
                raise ValidationError(
                    f"Step {number} of the saved session is unreadable."
                )
            try:
                outcome = StepOutcome(step.get("outcome"))
            except ValueError:
                raise ValidationError(
                    f"Step {number} of the saved session is neither done nor skipped."
                ) from None
            seconds = step.get("seconds")
            if seconds is not None and (
                isinstance(seconds, bool)
                or not isinstance(seconds, int)
                or not 0 <= seconds <= LONGEST_STEP
            ):
                raise ValidationError(
                    f"Step {number}'s time is not a number of seconds."
                )
            found.append((outcome, seconds if outcome is StepOutcome.DONE else None))
        return found

    def _overridden(self, numbers):
        if not isinstance(numbers, list) or any(
            isinstance(number, bool)
            or not isinstance(number, int)
            or not 1 <= number <= len(self.steps)
            for number in numbers
        ):
            raise ValidationError(
                "The steps shown after a clinician's clearance are not step numbers."
            )
        return frozenset(numbers)

    def record(self, flagged=()):
        """
        What an account needs to keep this run, as ``GuidedRun.record()``;
        ``flagged``: the step numbers the person's screening advises against,
        recorded by the online guide's rule (``screened_outcome``) whatever
        the phone marked: skipped for safety unless overridden.
        """
        outcomes = [
            screened_outcome(
                outcome, flagged=number in flagged, cleared=number in self.overridden
            )
            for number, (outcome, _) in enumerate(self.steps, start=1)
        ]
        return {
            "routine": self.plan.routine.slug,
            "title": self.plan.routine.title,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "token": self.token,
            "pain_before": None,
            "steps": [
                {
                    "exercise": step.exercise.slug,
                    "name": step.exercise.name,
                    "order": number,
                    "outcome": outcome.value,
                    # As online, where only a flagged step can be overridden.
                    "cleared_by_clinician": number in self.overridden
                    and number in flagged,
                    "seconds": seconds if outcome is StepOutcome.DONE else None,
                }
                for number, (step, outcome, (_, seconds)) in enumerate(
                    zip(self.plan.steps, outcomes, self.steps, strict=True), start=1
                )
            ],
        }
