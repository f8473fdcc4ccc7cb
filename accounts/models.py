import zoneinfo
from datetime import datetime, time, timedelta
from functools import cache
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exercises.durations import format_duration, seconds_text
from exercises.forms import PAIN_MAX
from exercises.models import Contraindication, Routine, StepOutcome

PAIN_VALIDATORS = [MinValueValidator(0), MaxValueValidator(PAIN_MAX)]
# A week's streaks are kept for every target a person may choose.
WEEKLY_TARGET_MAX = 14


def iso(value, zone=None):
    """
    A date, or a datetime in ``zone`` (by default the current time zone) with
    its UTC offset, as ISO 8601; None stays None.
    """
    if isinstance(value, datetime):
        value = timezone.localtime(value, zone)
    return value.isoformat() if value is not None else None


@cache
def time_zone_names():
    """
    The IANA time zone names this machine knows. ``localtime`` is a file of
    the server's own, not a zone anyone lives in.
    """
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


@cache
def _time_zones_by_lowercase_name():
    by_name = {name.lower(): name for name in time_zone_names()}
    by_place = {}
    for name in time_zone_names():
        by_place.setdefault(name.rpartition("/")[2].lower(), []).append(name)
    return by_name, by_place


def find_time_zone(text):
    """
    The time zone a person typed: its exact name, the name in other capitals
    or with spaces for underscores ("america/los angeles"), or the place
    alone when only one zone has it ("Shanghai"). None when nothing matches.
    """
    text = "_".join(str(text).split()).lower()
    by_name, by_place = _time_zones_by_lowercase_name()
    if text in by_name:
        return by_name[text]
    places = by_place.get(text, [])
    return places[0] if len(places) == 1 else None


def validate_time_zone(value):
    if value not in time_zone_names():
        raise ValidationError(
            _(
                "BackCare does not know the time zone “%(value)s”. Enter a name "
                "such as Europe/London or America/Los_Angeles."
            ),
            code="unknown_time_zone",
            params={"value": value},
        )


def default_time_zone():
    return settings.TIME_ZONE


# A plan's days: Python's weekday numbers (Monday 0), as digits in order.
DEFAULT_PLAN_DAYS = "024"
DEFAULT_PLAN_TIME = time(18, 0)


def validate_plan_days(value):
    if (
        not value
        or any(day not in "0123456" for day in value)
        or (len(set(value)) != len(value))
    ):
        raise ValidationError(
            _("Choose at least one day of the week."), code="no_plan_days"
        )


class User(AbstractUser):
    """The person using BackCare; custom from the first migration, as Django advises."""

    weekly_target = models.PositiveSmallIntegerField(
        _("weekly target"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(WEEKLY_TARGET_MAX)],
        help_text=_("Sessions per week to aim for."),
    )
    conditions = models.ManyToManyField(
        Contraindication,
        through="ScreeningAnswer",
        blank=True,
        related_name="+",
        verbose_name=_("conditions"),
        help_text=_("Screening answers: the warnings the person said apply to them."),
    )
    screening_answered_at = models.DateTimeField(
        _("screening answered at"), null=True, blank=True
    )
    doctor_cleared_on = models.DateField(
        _("doctor cleared on"),
        null=True,
        blank=True,
        help_text=_(
            "When the person confirmed that their doctor cleared them to exercise."
        ),
    )
    health_data_consent_at = models.DateTimeField(
        _("health data consent at"),
        null=True,
        blank=True,
        help_text=_(
            "When the person agreed, at sign-up, that BackCare keeps their "
            "health information."
        ),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_(
            "An IANA name such as Europe/London: the person's dates, "
            "“today” and “this week” are in it."
        ),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the person's pages and e-mails."),
    )
    plan_days = models.CharField(
        _("planned days"),
        max_length=7,
        default=DEFAULT_PLAN_DAYS,
        validators=[validate_plan_days],
        help_text=_("The days of the week the person means to exercise."),
    )
    plan_time = models.TimeField(_("planned time"), default=DEFAULT_PLAN_TIME)
    # None: the ladder's first strength routine, the beginner's.
    level = models.ForeignKey(
        Routine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("level"),
        help_text=_("The routine of the ladder the person does now."),
    )
    level_declined_at = models.PositiveIntegerField(
        _("suggestion declined at"),
        null=True,
        blank=True,
        help_text=_(
            "The sessions done at the level when the person said “not yet” to a "
            "change of level: asked again a few sessions later."
        ),
    )
    plan_chosen_at = models.DateTimeField(_("plan chosen at"), null=True, blank=True)

    class Meta(AbstractUser.Meta):
        constraints = [
            # The streak counts weeks that reach the target: 0 would never end.
            models.CheckConstraint(
                condition=Q(weekly_target__gte=1)
                & Q(weekly_target__lte=WEEKLY_TARGET_MAX),
                name="user_weekly_target_1_14",
            )
        ]

    @property
    def zone(self):
        """The person's time zone; the site's if this machine does not know theirs."""
        if self.time_zone not in time_zone_names():
            return timezone.get_default_timezone()
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def planned_weekdays(self):
        """The planned days as weekday numbers, Monday 0."""
        return sorted({int(day) for day in self.plan_days if day in "0123456"})

    def planned_on(self, date):
        return date.weekday() in self.planned_weekdays

    def next_planned_day(self, after):
        """The first planned date after ``after`` (within a week), or None."""
        for ahead in range(1, 8):
            day = after + timedelta(days=ahead)
            if self.planned_on(day):
                return day
        return None

    @property
    def plan_stamp(self):
        """What a kept page showing the plan depends on, as plain values."""
        return (
            self.plan_days,
            self.plan_time.isoformat(),
            self.level_id,
            self.level_declined_at,
            self.screening_answered_at,
            self.doctor_cleared_on,
            # A session's page offers the plan until one is chosen.
            self.plan_chosen_at is not None,
        )

    def personal_data(self):
        """
        Everything kept about the person but their sessions, as JSON values,
        times in their own zone: a streamed export is written after the
        request's zone is no longer active.
        """
        answers = self.conditions.order_by("title")
        zone = self.zone
        return {
            "account": {
                "username": self.username,
                "email": self.email,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "date_joined": iso(self.date_joined, zone),
                "last_login": iso(self.last_login, zone),
            },
            "weekly_target": self.weekly_target,
            "plan": {
                "days": self.planned_weekdays,
                "time": self.plan_time.isoformat(),
                "level": self.level.slug if self.level_id else None,
            },
            "time_zone": zone.key,
            "language": self.language,
            "health_data_consent_at": iso(self.health_data_consent_at, zone),
            "screening": {
                "answered_at": iso(self.screening_answered_at, zone),
                # Only a "yes" is stored: any question not listed was answered "no".
                "answers": [
                    {
                        "title": warning.title,
                        "question": warning.screening_question,
                        "severity": warning.get_severity_display(),
                        "answer": "yes",
                    }
                    for warning in answers
                ],
            },
            "doctor_cleared_on": iso(self.doctor_cleared_on),
        }


class ScreeningAnswer(models.Model):
    """A person's “yes” to a warning's screening question."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, verbose_name=_("user"))
    # PROTECT: an editor deleting a warning must not delete people's answers;
    # the admin offers to retire the warning instead.
    contraindication = models.ForeignKey(
        Contraindication,
        on_delete=models.PROTECT,
        related_name="answers",
        verbose_name=_("contraindication"),
    )

    class Meta:
        # The table Django made for the plain many-to-many field, kept as it is.
        db_table = "accounts_user_conditions"
        unique_together = [("user", "contraindication")]
        verbose_name = _("screening answer")
        verbose_name_plural = _("screening answers")

    def __str__(self):
        return gettext("A screening answer")


def is_exercised(outcomes):
    """
    Something was done in a completed session with these step outcomes: one
    of its steps, or, for one logged by hand (no steps), the session itself.
    """
    return not outcomes or StepOutcome.DONE in outcomes


def step_count(outcome):
    steps = (
        StepResult.objects.filter(session=OuterRef("pk"), outcome=outcome)
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(steps, output_field=models.IntegerField()), 0)


class CompletedSessionQuerySet(models.QuerySet):
    """Reads of completed sessions (the records), never of ``request.session``."""

    def for_user(self, user):
        return self.filter(user=user)

    def newest_first(self):
        return self.order_by("-started_at", "-pk")

    def exercised(self):
        """Sessions in which something was done (``is_exercised()``)."""
        steps = StepResult.objects.filter(session=OuterRef("pk"))
        return self.filter(
            models.Exists(steps.filter(outcome=StepOutcome.DONE))
            | ~models.Exists(steps)
        )

    def with_step_counts(self):
        """Steps done, skipped and skipped for safety, counted per session row.

        Correlated subqueries, so a page of 20 sessions counts only their steps.
        """
        return self.annotate(
            steps_done=step_count(StepOutcome.DONE),
            steps_skipped=step_count(StepOutcome.SKIPPED),
            steps_skipped_for_safety=step_count(StepOutcome.SKIPPED_FOR_SAFETY),
        )

    def exported(self, zone=None):
        """
        Each completed session with its steps as JSON values, newest first, times in
        ``zone`` (by default the current time zone) with their UTC offset.

        One query however many sessions there are (a row per step, joined),
        read a chunk at a time, so neither queries nor memory grow with them.
        """
        rows = (
            self.values(
                "pk",
                "routine_title",
                "started_at",
                "finished_at",
                "pain_before",
                "pain_after",
                "notes",
                "created_at",
                "steps__order",
                "steps__exercise_name",
                "steps__outcome",
                "steps__cleared_by_clinician",
                "steps__seconds",
            )
            .order_by("-started_at", "-pk", "steps__order")
            .iterator(chunk_size=2000)
        )
        # The labels in words, in the active language (lazy ones are no JSON).
        outcomes = {value: str(label) for value, label in StepOutcome.choices}
        for _pk, group in groupby(rows, key=itemgetter("pk")):
            group = list(group)
            first = group[0]
            yield {
                "id": first["pk"],
                "routine": first["routine_title"],
                "started_at": iso(first["started_at"], zone),
                "finished_at": iso(first["finished_at"], zone),
                "pain_before": first["pain_before"],
                "pain_after": first["pain_after"],
                "notes": first["notes"],
                "recorded_at": iso(first["created_at"], zone),
                "steps": [
                    {
                        "order": row["steps__order"],
                        "exercise": row["steps__exercise_name"],
                        "outcome": outcomes.get(
                            row["steps__outcome"], row["steps__outcome"]
                        ),
                        "cleared_by_clinician": row["steps__cleared_by_clinician"],
                        "seconds": row["steps__seconds"],
                    }
                    # A session without steps comes as one row with no step.
                    for row in group
                    if row["steps__order"] is not None
                ],
            }


class CompletedSession(models.Model):
    """
    A completed session (the record): a routine a person did, walked through
    the guide (a ``GuidedRun`` kept) or logged by hand, with their pain
    ratings and notes. Not ``request.session``, nor a guided run in progress.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="completed_sessions",
        verbose_name=_("user"),
    )
    # SET_NULL with the title kept: history outlives an editor removing a routine.
    routine = models.ForeignKey(
        Routine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("routine"),
    )
    routine_title = models.CharField(_("routine title"), max_length=120)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    pain_before = models.PositiveSmallIntegerField(
        _("Pain before (0–10)"), null=True, blank=True, validators=PAIN_VALIDATORS
    )
    pain_after = models.PositiveSmallIntegerField(
        _("Pain after (0–10)"), null=True, blank=True, validators=PAIN_VALIDATORS
    )
    notes = models.TextField(_("Notes"), blank=True, max_length=2000)
    client_token = models.CharField(
        _("client token"),
        max_length=64,
        help_text=_("Sent with the form; a second submit finds this row."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = CompletedSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("completed session")
        verbose_name_plural = _("completed sessions")
        indexes = [
            models.Index(fields=["user", "-started_at"], name="session_user_started")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_token"], name="session_unique_client_token"
            ),
            models.CheckConstraint(
                condition=Q(pain_before__isnull=True) | Q(pain_before__lte=10),
                name="session_pain_before_0_10",
            ),
            models.CheckConstraint(
                condition=Q(pain_after__isnull=True) | Q(pain_after__lte=10),
                name="session_pain_after_0_10",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__gte=F("started_at")),
                name="session_finished_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.routine_title}, {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("accounts:session", kwargs={"pk": self.pk})

    @property
    def title(self):
        """
        Its routine's title in the active language; the title it kept (in
        English) once an editor removed the routine.
        """
        return self.routine.title if self.routine else self.routine_title

    @property
    def duration(self):
        return self.finished_at - self.started_at

    @property
    def duration_text(self):
        return format_duration(self.duration)

    @property
    def is_exercised(self):
        """
        Whether anything was done, by the rule of ``is_exercised()``: from the
        counts of ``with_step_counts()`` when the row has them, else from its
        steps (prefetched or not).
        """
        if hasattr(self, "steps_done"):
            skipped = self.steps_skipped + self.steps_skipped_for_safety
            return self.steps_done > 0 or skipped == 0
        return is_exercised({step.outcome for step in self.steps.all()})


class StepResult(models.Model):
    """One step of a completed session (the record) and what the person did."""

    session = models.ForeignKey(
        CompletedSession,
        on_delete=models.CASCADE,
        related_name="steps",
        verbose_name=_("session"),
    )
    order = models.PositiveSmallIntegerField(_("order"))
    exercise = models.ForeignKey(
        "exercises.Exercise",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exercise"),
    )
    exercise_name = models.CharField(_("exercise name"), max_length=120)
    outcome = models.CharField(_("outcome"), max_length=20, choices=StepOutcome.choices)
    cleared_by_clinician = models.BooleanField(
        _("cleared by clinician"),
        default=False,
        help_text=_(
            "Not recommended by the person's screening, shown after they said "
            "their clinician had cleared them."
        ),
    )
    seconds = models.PositiveIntegerField(
        _("seconds"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(24 * 60 * 60)],
        help_text=_("The time spent on the step, as the guide's player measured it."),
    )

    class Meta:
        ordering = ["session", "order"]
        verbose_name = _("step result")
        verbose_name_plural = _("step results")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "order"], name="step_result_unique_order"
            )
        ]

    def __str__(self):
        return f"{self.order}. {self.exercise_name}: {self.get_outcome_display()}"

    @property
    def time_text(self):
        """The time spent on the step (“34 min 12 s”), or "" when not measured."""
        return seconds_text(self.seconds)


class ProgressTotal(models.Model):
    """
    A person's figures that would otherwise be read from their whole history,
    kept by the services that write completed sessions (in the same
    transaction) with a ``DayTotal`` and ``WeekTotal`` per day and week in
    which something was done and a ``RoutineTotal`` per routine. Days and
    weeks are in ``time_zone``: counted in another zone than the person's,
    every figure is rebuilt (``services.totals_rebuild``).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    time_zone = models.CharField(max_length=64)
    recorded = models.PositiveIntegerField(
        default=0, help_text="Completed sessions kept, whatever was done in them."
    )
    sessions = models.PositiveIntegerField(
        default=0, help_text="Completed sessions in which something was done."
    )
    time = models.DurationField(
        default=timedelta(0), help_text="The time exercised in those sessions."
    )
    skipped_for_safety = models.PositiveIntegerField(
        default=0, help_text="Steps skipped for safety, in every completed session."
    )
    version = models.PositiveIntegerField(
        default=0,
        help_text="One more at every change to what the person's progress pages "
        "show: a page kept for an older version is not served (accounts/cache.py).",
    )

    class Meta:
        verbose_name = _("progress total")
        verbose_name_plural = _("progress totals")

    def __str__(self):
        return gettext("A person's progress figures")

    @property
    def not_counted(self):
        return self.recorded - self.sessions


class DayTotal(models.Model):
    """A day (in the person's time zone) with sessions in which something was done."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField()
    sessions = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="day_total_unique")
        ]
        verbose_name = _("day total")
        verbose_name_plural = _("day totals")

    def __str__(self):
        return f"{self.date}: {self.sessions}"


class WeekTotal(models.Model):
    """
    A week from Monday (in the person's time zone) with sessions in which
    something was done: their count and pain ratings, and ``streaks``, the
    weeks in a row up to this one that reach each target from 1 to
    ``WEEKLY_TARGET_MAX``, so that a streak never reads older weeks.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    monday = models.DateField()
    sessions = models.PositiveIntegerField(default=0)
    pain_before_sum = models.PositiveIntegerField(default=0)
    pain_before_count = models.PositiveIntegerField(default=0)
    pain_after_sum = models.PositiveIntegerField(default=0)
    pain_after_count = models.PositiveIntegerField(default=0)
    # The week's days' counts, Monday first: the dashboard's calendar reads
    # its twelve weeks from these rows, with their figures.
    day_0 = models.PositiveIntegerField(default=0)
    day_1 = models.PositiveIntegerField(default=0)
    day_2 = models.PositiveIntegerField(default=0)
    day_3 = models.PositiveIntegerField(default=0)
    day_4 = models.PositiveIntegerField(default=0)
    day_5 = models.PositiveIntegerField(default=0)
    day_6 = models.PositiveIntegerField(default=0)
    streaks = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "monday"], name="week_total_unique")
        ]
        verbose_name = _("week total")
        verbose_name_plural = _("week totals")

    def __str__(self):
        return gettext("Week of %(monday)s: %(sessions)s") % {
            "monday": self.monday,
            "sessions": self.sessions,
        }

    @property
    def pain_before(self):
        """The average rating, or None without one."""
        if not self.pain_before_count:
            return None
        return self.pain_before_sum / self.pain_before_count

    @property
    def pain_after(self):
        if not self.pain_after_count:
            return None
        return self.pain_after_sum / self.pain_after_count

    def day_count(self, date):
        """The sessions on ``date``, a day of this week."""
        return getattr(self, f"day_{date.weekday()}")

    def streak(self, target):
        """Weeks in a row, up to this one, with at least ``target`` sessions."""
        return self.streaks[target - 1] if 0 < target <= len(self.streaks) else 0


def week_streaks(sessions, before):
    """A week's ``streaks``, from its count and the week before's (or [])."""
    return [
        (before[target - 1] if before else 0) + 1 if sessions >= target else 0
        for target in range(1, WEEKLY_TARGET_MAX + 1)
    ]


# The sessions' pain ratings a ``RoutineTotal`` keeps: the last three, as
# many as the level rule reads (``levels.RECENT``).
RECENT_KEPT = 3


class RoutineTotal(models.Model):
    """Sessions in which something was done, per routine (by the title kept)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    routine_title = models.CharField(max_length=120)
    sessions = models.PositiveIntegerField(default=0)
    # What the level rule (``accounts.levels``) reads, kept with the count:
    # the first and last of those sessions' starts, and the pain before and
    # after of the last ``RECENT_KEPT``, newest first, as [before, after].
    first_at = models.DateTimeField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)
    recent_pain = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "routine_title"], name="routine_total_unique"
            )
        ]
        verbose_name = _("routine total")
        verbose_name_plural = _("routine totals")

    def __str__(self):
        return f"{self.routine_title}: {self.sessions}"


class BrowserSession(AbstractBaseSession):
    """
    A browser's session (Django's session row) with the id of the person
    signed in on it, so that deleting an account ends its sessions on every
    device. As in Django's "Extending database-backed session engines": an
    integer, not a foreign key, filled from the session's data when it is
    saved; the engine is ``accounts.sessions.db``.
    """

    user_id = models.BigIntegerField(null=True, db_index=True)

    @classmethod
    def get_session_store_class(cls):
        from .sessions.db import SessionStore

        return SessionStore
