"""Writes that touch several models, each one transaction."""

from datetime import datetime

from django.db import IntegrityError, transaction

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
        # Another request with this token committed first.
        return CompletedSession.objects.get(user=user, client_token=client_token), False
    StepResult.objects.bulk_create(
        StepResult(
            session=session,
            order=step["order"],
            exercise=step.get("exercise"),
            exercise_name=step["name"],
            outcome=step["outcome"],
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
