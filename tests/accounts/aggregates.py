"""
A person's figures aggregated from their whole history, as the dashboard
computed them on every view before it read the totals kept for it: the
reference that test_totals holds the kept totals to.
"""

from datetime import datetime, time

from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from accounts.models import StepResult
from exercises.models import StepOutcome


def start_of_day(day, zone=None):
    """Midnight at the start of ``day`` in ``zone`` (by default the current one)."""
    return timezone.make_aware(datetime.combine(day, time.min), zone)


def exercised_condition():
    """
    Something was done in the completed session (the record): one of its
    steps, or, for one logged by hand (which has no steps), the session itself.
    """
    steps = StepResult.objects.filter(session=OuterRef("pk"))
    return ~Exists(steps) | Exists(steps.filter(outcome=StepOutcome.DONE))


def exercised(sessions):
    """
    Completed sessions that count towards a person's progress: a guided
    run in which every step was skipped is kept, but not counted.
    """
    return sessions.filter(exercised_condition())


def totals(sessions, *, since):
    """
    Sessions recorded; of them, those exercised, in all and since a
    moment; and the time exercised.
    """
    exercised = exercised_condition()
    return sessions.aggregate(
        recorded=Count("pk"),
        count=Count("pk", filter=exercised),
        count_since=Count("pk", filter=exercised & Q(started_at__gte=since)),
        time=Sum(F("finished_at") - F("started_at"), filter=exercised),
    )


def steps_skipped_for_safety(sessions):
    return sessions.aggregate(
        n=Count("steps", filter=Q(steps__outcome=StepOutcome.SKIPPED_FOR_SAFETY))
    )["n"]


def per_week(sessions, zone=None):
    """
    One row per week with sessions, weeks from Monday in ``zone`` (by
    default the current time zone): count and average pain before/after.
    """
    week = TruncWeek("started_at", output_field=models.DateField(), tzinfo=zone)
    return (
        sessions.annotate(week=week)
        .values("week")
        .annotate(
            count=Count("pk"),
            pain_before=models.Avg("pain_before"),
            pain_after=models.Avg("pain_after"),
        )
        .order_by("-week")
    )


def per_day(sessions, *, since, zone=None):
    """Sessions per day in ``zone`` (by default the current time zone)."""
    return (
        sessions.filter(started_at__gte=since)
        .annotate(day=TruncDate("started_at", tzinfo=zone))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by("day")
    )


def per_routine(sessions):
    return (
        sessions.values("routine_title")
        .annotate(count=Count("pk"))
        .order_by("-count", "routine_title")
    )
