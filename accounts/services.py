"""Writes that touch several models, each one transaction."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from exercises.models import Exercise, Routine

from .models import CompletedSession, StepResult


@transaction.atomic
def session_record(
    *,
    user,
    routine,
    started_at,
    finished_at,
    client_token,
    pain_before=None,
    pain_after=None,
    notes="",
    steps=(),
    routine_title="",
):
    """
    Record a completed session and its step outcomes; returns (session, created).

    The same client token twice (a double submit, a retried request) records
    one session: the second call returns the first row.
    """
    existing = CompletedSession.objects.filter(
        user=user, client_token=client_token
    ).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            session = CompletedSession.objects.create(
                user=user,
                routine=routine,
                routine_title=routine.title if routine else routine_title,
                started_at=started_at,
                finished_at=finished_at,
                pain_before=pain_before,
                pain_after=pain_after,
                notes=notes,
                client_token=client_token,
            )
    except IntegrityError:
        # Another request with this token may have committed first; any other
        # integrity error (a broken constraint) is the caller's to see.
        existing = CompletedSession.objects.filter(
            user=user, client_token=client_token
        ).first()
        if existing is None:
            raise
        return existing, False
    StepResult.objects.bulk_create(
        StepResult(
            session=session,
            order=step["order"],
            exercise=step.get("exercise"),
            exercise_name=step["name"],
            outcome=step["outcome"],
            cleared_by_clinician=step.get("cleared_by_clinician", False),
        )
        for step in steps
    )
    return session, True


def guided_session_record(*, user, record, pain_before=None, pain_after=None, notes=""):
    """Record a session walked through the guide, from ``GuidedSession.record()``."""
    routine = Routine.objects.filter(slug=record["routine"]).first()
    exercises = Exercise.objects.in_bulk(
        [step["exercise"] for step in record["steps"]], field_name="slug"
    )
    started_at = datetime.fromisoformat(record["started"])
    finished_at = datetime.fromisoformat(record["finished"] or record["started"])
    return session_record(
        user=user,
        routine=routine,
        routine_title=record["title"],
        started_at=started_at,
        finished_at=max(finished_at, started_at),
        client_token=record["token"],
        pain_before=pain_before,
        pain_after=pain_after,
        notes=notes,
        steps=[
            {**step, "exercise": exercises.get(step["exercise"])}
            for step in record["steps"]
        ],
    )


@transaction.atomic
def user_delete(*, user):
    """Remove the person and, by cascade, every record of theirs."""
    user.delete()


@transaction.atomic
def screening_update(*, user, conditions):
    """Keep the person's screening answers: the warnings that apply to them."""
    user.conditions.set(conditions)
    user.screening_answered_at = timezone.now()
    user.save(update_fields=["screening_answered_at"])


def doctor_clearance_record(*, user):
    user.doctor_cleared_on = timezone.localdate()
    user.save(update_fields=["doctor_cleared_on"])
