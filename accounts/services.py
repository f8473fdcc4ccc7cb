"""Writes that touch several models, each one transaction."""

from datetime import datetime
from importlib import import_module

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from exercises.models import Contraindication, Exercise, Routine

from .models import BrowserSession, CompletedSession, StepResult


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
    Record a completed session (the record) and its step outcomes; returns
    (completed session, created).

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
            seconds=step.get("seconds"),
        )
        for step in steps
    )
    return session, True


def guided_session_record(*, user, record, pain_before=None, pain_after=None, notes=""):
    """
    Record a guided run as a completed session, from ``GuidedRun.record()``;
    pain before is the record's (said at the safety check) unless given here.
    """
    if pain_before is None:
        pain_before = record.get("pain_before")
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
    """
    Remove the person and every trace of them: their records (by cascade),
    their browser sessions on every device, the log-in throttle's records of their
    username and the admin's history of their account.
    """
    # Through the engine, so that a cached copy of a session goes with it.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = BrowserSession.objects.filter(user_id=user.pk)
    for session_key in list(sessions.values_list("session_key", flat=True)):
        store(session_key).delete()
    # Sign-up refuses a name that differs from another only in case, so any
    # spelling of this one was a try at this person's account.
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__iexact=user.username).delete()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(user),
        object_id=str(user.pk),
    ).delete()
    user.delete()


@transaction.atomic
def screening_update(*, user, conditions):
    """
    Keep the person's answers to the questions asked today: ``conditions`` are
    the warnings they said apply to them. Answers to a question no longer
    asked (a retired warning) are kept. A new reason to see a doctor asks for
    a new clearance; returns whether an earlier one was withdrawn so.
    """
    asked = Contraindication.objects.screened()
    before = set(user.conditions.filter(pk__in=asked))
    user.conditions.remove(*(before - set(conditions)))
    user.conditions.add(*conditions)
    user.screening_answered_at = timezone.now()
    withdrawn = bool(user.doctor_cleared_on) and any(
        warning.needs_clearance for warning in set(conditions) - before
    )
    if withdrawn:
        user.doctor_cleared_on = None
    user.save(update_fields=["screening_answered_at", "doctor_cleared_on"])
    return withdrawn


def doctor_clearance_record(*, user):
    user.doctor_cleared_on = timezone.localdate()
    user.save(update_fields=["doctor_cleared_on"])
