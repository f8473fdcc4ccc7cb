"""Writes that touch several models, each one transaction."""

from datetime import datetime, timedelta
from importlib import import_module

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation

from exercises.models import Contraindication, Exercise, Routine

from .models import (
    RECENT_KEPT,
    BrowserSession,
    CompletedSession,
    DayTotal,
    ProgressTotal,
    RoutineTotal,
    StepResult,
    User,
    WeekTotal,
    is_exercised,
    week_streaks,
)
from .progress import Tally

ONE_WEEK = timedelta(weeks=1)


def kept_title(routine):
    """
    The title a session keeps of its routine: in English, whatever language
    the person saved it in, so the routine's sessions count as one (pages
    show the routine's own title in theirs: ``CompletedSession.title``).
    """
    with translation.override(settings.LANGUAGE_CODE):
        return routine.title


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
    same_token = CompletedSession.objects.filter(user=user, client_token=client_token)
    if existing := same_token.first():
        return existing, False
    try:
        with transaction.atomic():
            session = CompletedSession.objects.create(
                user=user,
                routine=routine,
                routine_title=kept_title(routine) if routine else routine_title,
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
        if existing := same_token.first():
            return existing, False
        raise
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
    _totals_change(user=user, added=[(session, [step["outcome"] for step in steps])])
    return session, True


@transaction.atomic
def session_update(*, session, **fields):
    """
    Change a completed session's pain ratings or notes (``fields``, by the
    model's names) and the person's totals with them; None when the session
    was deleted meanwhile (on another device, say).
    """
    before = CompletedSession.objects.select_for_update().filter(pk=session.pk).first()
    if before is None:
        return None
    outcomes = list(before.steps.values_list("outcome", flat=True))
    for name, value in fields.items():
        setattr(session, name, value)
    session.save(update_fields=list(fields))
    _totals_change(
        user=session.user, removed=[(before, outcomes)], added=[(session, outcomes)]
    )
    return session


@transaction.atomic
def session_delete(*, session):
    """Delete a completed session, its steps, and what it added to the totals."""
    kept = CompletedSession.objects.select_for_update().filter(pk=session.pk).first()
    if kept is None:  # Another request deleted it first.
        return
    outcomes = list(kept.steps.values_list("outcome", flat=True))
    kept.delete()
    _totals_change(user=session.user, removed=[(kept, outcomes)])


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
    # The dashboard shows the answers that call for a doctor.
    _version_bump(user)
    return withdrawn


@transaction.atomic
def user_time_zone_update(*, user, time_zone):
    """Move the person to another time zone: their days and weeks are counted anew."""
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
    totals_rebuild(user=user)


def plan_update(*, user, days, time, level):
    """
    The person's plan: their days (weekday digits), time and level, and their
    weekly target, the number of days. Their own columns only, not a copy of
    the whole row.
    """
    fields = {
        "plan_days": days,
        "plan_time": time,
        "level": level,
        "weekly_target": len(days),
        "plan_chosen_at": timezone.now(),
    }
    if level.pk != user.level_id:
        fields["level_declined_at"] = None
    User.objects.filter(pk=user.pk).update(**fields)


def level_update(*, user, level):
    """The person accepted ``level`` (a strength routine) as theirs."""
    User.objects.filter(pk=user.pk).update(level=level, level_declined_at=None)


def level_decline(*, user, count):
    """The person said “not yet” with ``count`` sessions done at their level."""
    User.objects.filter(pk=user.pk).update(level_declined_at=count)


def totals_get(*, user, totals=None):
    """
    The person's ``ProgressTotal`` (``totals`` when the row was read already),
    built from their completed sessions first when it never was (sessions
    kept before totals were) or when its days are in another time zone than
    the person's (a zone changed elsewhere).
    """
    if totals is None:
        totals = ProgressTotal.objects.filter(user=user).first()
    if totals is None or totals.time_zone != user.zone.key:
        totals = totals_rebuild(user=user)
    return totals


def _outcomes_by_session(sessions):
    outcomes = {}
    steps = StepResult.objects.filter(session__in=sessions).values_list(
        "session_id", "outcome"
    )
    for session_id, outcome in steps.iterator(chunk_size=5000):
        outcomes.setdefault(session_id, []).append(outcome)
    return outcomes


@transaction.atomic
def totals_rebuild(*, user):
    """
    Count the person's totals afresh from every completed session of theirs,
    in their time zone; returns their ``ProgressTotal``.
    """
    # The person's row, made if missing, locked to this transaction.
    ProgressTotal.objects.get_or_create(user=user)
    totals = ProgressTotal.objects.select_for_update().get(user=user)
    zone = user.zone
    tally = Tally(zone)
    sessions = CompletedSession.objects.for_user(user).only(
        "pk",
        "routine_title",
        "started_at",
        "finished_at",
        "pain_before",
        "pain_after",
    )
    outcomes = _outcomes_by_session(sessions)
    for session in sessions.iterator(chunk_size=5000):
        tally.add(session, outcomes.get(session.pk, []))
    for model in (DayTotal, WeekTotal, RoutineTotal):
        model.objects.filter(user=user).delete()
    DayTotal.objects.bulk_create(
        DayTotal(user=user, date=day, sessions=count)
        for day, count in tally.days.items()
        if count
    )
    weeks, before = [], None
    for monday in sorted(tally.weeks):
        figures = tally.weeks[monday]
        if not figures["sessions"]:
            continue
        previous = before if before and before.monday == monday - ONE_WEEK else None
        before = WeekTotal(
            user=user,
            monday=monday,
            streaks=week_streaks(
                figures["sessions"], previous.streaks if previous else []
            ),
            **figures,
        )
        weeks.append(before)
    WeekTotal.objects.bulk_create(weeks, batch_size=500)
    RoutineTotal.objects.bulk_create(
        RoutineTotal(user=user, routine_title=title, sessions=count)
        for title, count in tally.routines.items()
        if count
    )
    _routine_ends_update(user, [t for t, count in tally.routines.items() if count])
    totals.time_zone = zone.key
    totals.recorded = tally.recorded
    totals.sessions = tally.sessions
    totals.time = tally.time
    totals.skipped_for_safety = tally.skipped_for_safety
    totals.version += 1
    totals.save()
    return totals


def _totals_change(*, user, added=(), removed=()):
    """
    Count completed sessions ``added`` and uncount those ``removed`` (each a
    pair: the session, its steps' outcomes) in the person's totals; inside
    the transaction that wrote them. Totals never built, or built in another
    time zone, are built afresh instead, from the sessions as now written.
    """
    totals = ProgressTotal.objects.select_for_update().filter(user=user).first()
    zone = user.zone
    if totals is None or totals.time_zone != zone.key:
        totals_rebuild(user=user)
        return
    try:
        _totals_count(user, totals, added, removed)
    except _TotalsMismatch:
        totals_rebuild(user=user)


class _TotalsMismatch(Exception):
    """
    A kept figure would fall below zero: sessions were written or deleted
    other than through these services, and only a rebuild is right again.
    """


def _totals_count(user, totals, added, removed):
    tally = Tally(user.zone)
    for session, outcomes in added:
        tally.add(session, outcomes)
    for session, outcomes in removed:
        tally.add(session, outcomes, sign=-1)
    _rows_add(
        DayTotal, user, "date", {d: {"sessions": n} for d, n in tally.days.items()}
    )
    mondays = _rows_add(WeekTotal, user, "monday", tally.weeks)
    if mondays:
        _streaks_update(user, min(mondays), max(mondays))
    _rows_add(
        RoutineTotal,
        user,
        "routine_title",
        {title: {"sessions": n} for title, n in tally.routines.items()},
    )
    # A session updated counts nothing more, but its ratings may have changed.
    _routine_ends_update(
        user,
        {
            session.routine_title
            for session, outcomes in (*added, *removed)
            if is_exercised(outcomes)
        },
    )
    totals.recorded += tally.recorded
    totals.sessions += tally.sessions
    totals.time += tally.time
    totals.skipped_for_safety += tally.skipped_for_safety
    figures = (totals.recorded, totals.sessions, totals.skipped_for_safety)
    if min(figures) < 0 or totals.time < timedelta(0):
        raise _TotalsMismatch
    totals.version += 1
    totals.save()


def _rows_add(model, user, key, changes):
    """
    Add ``changes`` ({key: {field: amount}}) to the person's rows of ``model``,
    making the rows missing and deleting those left with no session; returns
    the keys changed.
    """
    changes = {k: c for k, c in changes.items() if any(c.values())}
    if not changes:
        return []
    rows = {
        getattr(row, key): row
        for row in model.objects.filter(user=user, **{f"{key}__in": list(changes)})
    }
    made, kept, gone = [], [], []
    for value, change in changes.items():
        row = rows.get(value)
        if row is None:
            row = model(user=user, **{key: value})
            made.append(row)
        for field, amount in change.items():
            setattr(row, field, getattr(row, field) + amount)
            if getattr(row, field) < 0:
                raise _TotalsMismatch
        if row.sessions == 0:
            if row.pk:
                gone.append(row.pk)
        elif row.pk:
            kept.append(row)
    model.objects.filter(pk__in=gone).delete()
    fields = list(next(iter(changes.values())))
    model.objects.bulk_update(kept, fields)
    model.objects.bulk_create(row for row in made if row.sessions)
    return list(changes)


def _routine_ends_update(user, titles):
    """
    Keep anew, on the person's ``RoutineTotal`` of each of ``titles``, the
    first and last start of its sessions in which something was done and the
    pain ratings of the last ``RECENT_KEPT``: two queries a routine, each
    bounded (a LIMIT on the sessions of that routine, newest or oldest first).
    """
    rows = RoutineTotal.objects.filter(user=user, routine_title__in=list(titles))
    changed = []
    for row in rows:
        sessions = CompletedSession.objects.for_user(user).exercised()
        sessions = sessions.filter(routine_title=row.routine_title)
        recent = list(
            sessions.newest_first().values_list(
                "started_at", "pain_before", "pain_after"
            )[:RECENT_KEPT]
        )
        first = (
            sessions.order_by("started_at", "pk")
            .values_list("started_at", flat=True)
            .first()
        )
        row.first_at = first
        row.last_at = recent[0][0] if recent else None
        row.recent_pain = [[before, after] for _, before, after in recent]
        changed.append(row)
    RoutineTotal.objects.bulk_update(changed, ["first_at", "last_at", "recent_pain"])


def _streaks_update(user, first, last):
    """
    Count anew the streaks of the weeks from ``first`` on, after the counts
    from ``first`` to ``last`` changed: up to the end of the run of weeks
    after ``last`` whose streaks change too.
    """
    before = (
        WeekTotal.objects.filter(user=user, monday=first - ONE_WEEK)
        .values_list("monday", "streaks")
        .first()
    )
    changed = []
    rows = WeekTotal.objects.filter(user=user, monday__gte=first).order_by("monday")
    for row in rows.iterator(chunk_size=100):
        previous = before[1] if before and before[0] == row.monday - ONE_WEEK else []
        streaks = week_streaks(row.sessions, previous)
        if streaks == row.streaks and row.monday > last:
            break
        if streaks != row.streaks:
            row.streaks = streaks
            changed.append(row)
        before = (row.monday, streaks)
    WeekTotal.objects.bulk_update(changed, ["streaks"])


@transaction.atomic
def doctor_clearance_record(*, user):
    user.doctor_cleared_on = timezone.localdate()
    user.save(update_fields=["doctor_cleared_on"])
    _version_bump(user)


@transaction.atomic
def offline_session_record(*, user, record, doctor_cleared=False, **pain_notes):
    """
    Record a guided run saved offline (``OfflineRun.record()``), with the
    doctor's clearance the person confirmed on the phone's safety check
    (``doctor_cleared``) when their screening asked for it: both or neither.
    """
    if doctor_cleared:
        doctor_clearance_record(user=user)
    return guided_session_record(user=user, record=record, **pain_notes)


def _version_bump(user):
    """
    A change to what the person's progress pages show other than their
    sessions: pages kept for the version before are not served again.
    Without a row no page was kept (accounts/cache.py keeps none).
    """
    ProgressTotal.objects.filter(user=user).update(version=F("version") + 1)
