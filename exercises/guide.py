"""
A guided session's progress, kept in the Django session.

Keeping it server-side lets the guide work with JavaScript off and survive a
reload. The shape stored per routine slug is a contract with whoever saves a
finished session to an account (see ``GuidedSession.record``).
"""

import uuid
from datetime import datetime

from django.utils import timezone

from .models import StepOutcome

SESSION_KEY = "guided_sessions"


class GuidedSession:
    def __init__(self, session, routine_slug):
        self.session = session
        self.slug = routine_slug
        self.data = session.get(SESSION_KEY, {}).get(routine_slug)

    @property
    def acknowledged(self):
        return self.data is not None

    def start(self):
        """Acknowledge the warnings and start afresh."""
        self.data = {
            "token": f"guided:{uuid.uuid4().hex}",
            "started": timezone.now().isoformat(),
            "finished": None,
            "outcomes": {},
            "overrides": [],
            "saved_url": None,
        }
        self._save()

    def mark(self, number, outcome):
        self.data["outcomes"][str(number)] = StepOutcome(outcome).value
        self._save()

    def override(self, number):
        """The person says their clinician cleared them for a step their screening flags."""
        overrides = self.data.setdefault("overrides", [])
        if number not in overrides:
            overrides.append(number)
            self._save()

    def is_overridden(self, number):
        return bool(self.data) and number in self.data.get("overrides", [])

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
        for slug, data in session.get(SESSION_KEY, {}).items():
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
        (number, step, outcome) for each step. A step never marked counts as
        skipped, or skipped for safety when the person's screening flags it
        (``flagged``: step numbers) and they did not override it.
        """
        return [
            (
                number,
                step,
                self.outcome(number) or self._default_outcome(number, flagged),
            )
            for number, step in enumerate(steps, start=1)
        ]

    def _default_outcome(self, number, flagged):
        if number in flagged and not self.is_overridden(number):
            return StepOutcome.SKIPPED_FOR_SAFETY
        return StepOutcome.SKIPPED

    def record(self, steps, flagged=()):
        """What an account needs to keep this session, in plain types."""
        return {
            "routine": self.slug,
            "title": steps[0].routine.title if steps else self.slug,
            "started": self.data["started"],
            "finished": self.data["finished"] or timezone.now().isoformat(),
            "token": self.token,
            "steps": [
                {
                    "exercise": step.exercise.slug,
                    "name": step.exercise.name,
                    "order": number,
                    "outcome": outcome.value,
                    "cleared_by_clinician": self.is_overridden(number),
                }
                for number, step, outcome in self.summary(steps, flagged)
            ],
        }

    def _save(self):
        sessions = self.session.get(SESSION_KEY, {})
        sessions[self.slug] = self.data
        # Reassigned so the session backend sees the change.
        self.session[SESSION_KEY] = sessions


def format_duration(delta):
    """“1 h 5 min”, “12 min 30 s”, “45 s”: short enough for a phone screen."""
    seconds = max(0, int(delta.total_seconds()))
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"


def warnings_by_severity(steps):
    """
    Every warning of a routine, its own and its steps', grouped by severity
    (most serious first), each with what it applies to.
    """
    applies = {}
    if steps:
        for warning in steps[0].routine.contraindications.all():
            applies.setdefault(warning, []).append("the whole routine")
    for number, step in enumerate(steps, start=1):
        for warning in step.exercise.contraindications.all():
            applies.setdefault(warning, []).append(
                f"step {number}, {step.exercise.name}"
            )
    groups = {}
    for warning, targets in sorted(
        applies.items(), key=lambda item: item[0].severity_rank
    ):
        groups.setdefault(warning.get_severity_display(), []).append((warning, targets))
    return list(groups.items())
