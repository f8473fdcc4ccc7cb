from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.utils import timezone

from accounts import services
from accounts.models import CompletedSession, StepResult
from exercises.guide import GuidedRun
from exercises.models import Exercise, Routine, RoutineStep, StepOutcome
from tests.factories import RoutineFactory, StepResultFactory


@pytest.fixture
def routine(db):
    return RoutineFactory(title="Gentle")


def record(user, routine, token="t-1", **kwargs):
    start = timezone.now() - timedelta(minutes=30)
    return services.session_record(
        user=user,
        routine=routine,
        started_at=start,
        finished_at=start + timedelta(minutes=20),
        client_token=token,
        **kwargs,
    )


STEPS = [
    {"order": 1, "name": "Ankle pumps", "outcome": StepOutcome.DONE},
    {"order": 2, "name": "Heel slides", "outcome": StepOutcome.SKIPPED},
]


# session_record


def test_session_record_creates_the_session_and_its_steps(user, routine):
    session, created = record(
        user, routine, pain_before=5, pain_after=3, notes="Fine.", steps=STEPS
    )

    assert created is True
    assert session.routine == routine
    assert session.routine_title == "Gentle"
    assert (session.pain_before, session.pain_after, session.notes) == (5, 3, "Fine.")
    assert session.duration == timedelta(minutes=20)
    assert list(session.steps.values_list("order", "exercise_name", "outcome")) == [
        (1, "Ankle pumps", "done"),
        (2, "Heel slides", "skipped"),
    ]


def test_session_record_twice_with_one_token_returns_the_first_row(user, routine):
    first, first_created = record(user, routine, steps=STEPS, notes="first")
    second, second_created = record(user, routine, steps=STEPS, notes="second")

    assert first_created is True
    assert second_created is False
    assert second.pk == first.pk
    assert second.notes == "first"
    assert CompletedSession.objects.count() == 1
    assert StepResult.objects.count() == 2


def test_session_record_with_another_token_records_another_session(user, routine):
    record(user, routine, token="a")
    record(user, routine, token="b")

    assert CompletedSession.objects.filter(user=user).count() == 2


def test_session_record_keeps_tokens_apart_per_person(user, other_user, routine):
    mine, _ = record(user, routine, token="same")
    theirs, created = record(other_user, routine, token="same")

    assert created is True
    assert theirs.pk != mine.pk
    assert theirs.user == other_user


def test_session_record_without_a_routine_keeps_the_given_title(user):
    session, _ = record(user, None, routine_title="Removed routine")

    assert session.routine is None
    assert session.routine_title == "Removed routine"


def test_a_failing_step_insert_rolls_back_the_session(user, routine):
    clashing = [*STEPS, {"order": 1, "name": "Again", "outcome": "done"}]

    with pytest.raises(IntegrityError):
        record(user, routine, steps=clashing)

    assert not CompletedSession.objects.exists()
    assert not StepResult.objects.exists()


def test_a_failed_record_leaves_the_token_free_for_a_retry(user, routine):
    clashing = [*STEPS, {"order": 1, "name": "Again", "outcome": "done"}]
    with pytest.raises(IntegrityError):
        record(user, routine, steps=clashing)

    session, created = record(user, routine, steps=STEPS)

    assert created is True
    assert session.steps.count() == 2


def test_session_record_with_pain_11_raises_integrity_error(user, routine):
    # Not mistaken for a double submit: the constraint's error reaches the caller.
    with pytest.raises(IntegrityError):
        record(user, routine, pain_before=11)

    assert not CompletedSession.objects.exists()


def test_session_record_finishing_before_the_start_raises_integrity_error(user):
    start = timezone.now()

    with pytest.raises(IntegrityError):
        services.session_record(
            user=user,
            routine=None,
            routine_title="Backwards",
            started_at=start,
            finished_at=start - timedelta(minutes=1),
            client_token="backwards",
        )

    assert not CompletedSession.objects.exists()


# guided_session_record, fed by GuidedRun.record()


@pytest.fixture
def guided_record(practice):
    """What the finish page hands over for a practice run with step 3 skipped."""
    steps = list(RoutineStep.objects.in_routine("practice"))
    guide = GuidedRun({}, "practice")
    guide.start()
    for number in range(1, len(steps) + 1):
        guide.mark(number, StepOutcome.SKIPPED if number == 3 else StepOutcome.DONE)
    guide.finish()
    return guide.record(steps)


def test_guided_session_record_saves_the_run_with_its_four_steps(user, guided_record):
    session, created = services.guided_session_record(
        user=user, record=guided_record, pain_before=5, pain_after=3, notes="Good."
    )

    assert created is True
    assert session.routine.slug == "practice"
    assert session.routine_title == "Practice"
    assert session.client_token == guided_record["token"]
    assert session.started_at.isoformat() == guided_record["started"]
    assert session.finished_at >= session.started_at
    assert (session.pain_before, session.pain_after, session.notes) == (5, 3, "Good.")
    steps = list(session.steps.select_related("exercise"))
    assert [s.exercise.slug for s in steps] == [
        "knee-rocks",
        "bridge",
        "leg-stretch",
        "walk",
    ]
    assert [s.outcome for s in steps] == ["done", "done", "skipped", "done"]
    assert [s.exercise_name for s in steps][0] == "Knee rocks"


def test_guided_session_record_twice_records_one_session(user, guided_record):
    first, _ = services.guided_session_record(user=user, record=guided_record)
    second, created = services.guided_session_record(user=user, record=guided_record)

    assert created is False
    assert second.pk == first.pk
    assert StepResult.objects.count() == 4


def test_a_guided_session_of_a_routine_with_the_longest_slug_saves(user, db):
    # The token must fit its column whatever the routine's slug (50 characters).
    slug = "s" * Routine._meta.get_field("slug").max_length
    RoutineFactory(slug=slug)
    guide = GuidedRun({}, slug)
    guide.start()

    session, created = services.guided_session_record(
        user=user, record=guide.record([])
    )

    assert created is True
    assert CompletedSession.objects.get().client_token == guide.token


def test_guided_session_record_survives_a_removed_exercise(user, guided_record):
    # An editor takes the exercise out of the routine, then removes it.
    RoutineStep.objects.filter(exercise__slug="bridge").delete()
    Exercise.objects.filter(slug="bridge").delete()

    session, _ = services.guided_session_record(user=user, record=guided_record)

    step = session.steps.get(order=2)
    assert step.exercise is None
    assert step.exercise_name == "Bridge"


def test_guided_session_record_without_a_finish_time_lasts_zero(user, guided_record):
    session, _ = services.guided_session_record(
        user=user, record={**guided_record, "finished": None}
    )

    assert session.duration == timedelta(0)


# user_delete


def test_user_delete_removes_the_person_and_every_record(user):
    mine = StepResultFactory(session__user=user)
    theirs = StepResultFactory()

    services.user_delete(user=user)

    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert not CompletedSession.objects.filter(pk=mine.session.pk).exists()
    assert list(StepResult.objects.all()) == [theirs]
    assert get_user_model().objects.filter(pk=theirs.session.user.pk).exists()


# screening_update and doctor_clearance_record


def test_screening_update_replaces_the_answers(user, avoid_warning, consult_warning):
    services.screening_update(user=user, conditions=[avoid_warning, consult_warning])
    services.screening_update(user=user, conditions=[consult_warning])

    assert list(user.conditions.all()) == [consult_warning]
    user.refresh_from_db()
    assert user.screening_answered_at is not None


def test_a_new_reason_to_see_a_doctor_withdraws_the_clearance(user, consult_warning):
    services.doctor_clearance_record(user=user)
    assert user.doctor_cleared_on == timezone.localdate()

    withdrawn = services.screening_update(user=user, conditions=[consult_warning])

    assert withdrawn is True
    user.refresh_from_db()
    assert user.doctor_cleared_on is None


def test_answers_already_given_keep_the_clearance(user, consult_warning):
    services.screening_update(user=user, conditions=[consult_warning])
    services.doctor_clearance_record(user=user)

    withdrawn = services.screening_update(user=user, conditions=[consult_warning])

    assert withdrawn is False
    user.refresh_from_db()
    assert user.doctor_cleared_on == timezone.localdate()


def test_editing_a_session_deleted_meanwhile_changes_nothing(user):
    routine = RoutineFactory()
    session, _ = services.session_record(
        user=user,
        routine=routine,
        started_at=timezone.now() - timedelta(minutes=20),
        finished_at=timezone.now(),
        client_token="edited-and-deleted",
        pain_before=5,
    )
    opened = CompletedSession.objects.get(pk=session.pk)  # the edit page's copy
    services.session_delete(session=session)  # another device deletes it

    assert services.session_update(session=opened, notes="Too late.") is None
    assert not CompletedSession.objects.filter(pk=session.pk).exists()
