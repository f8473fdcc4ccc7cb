from datetime import datetime, time, timedelta

import factory
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import CompletedSession, StepResult
from exercises.models import (
    Contraindication,
    Exercise,
    Routine,
    RoutineStep,
    Severity,
    StepOutcome,
)

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class ContraindicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contraindication
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"warning-{n}")
    title = factory.Sequence(lambda n: f"Warning {n}")
    description = factory.LazyAttribute(lambda c: f"Be careful: {c.title.lower()}.")
    severity = Severity.CAUTION
    screening_question = ""


class WarnedFactory(factory.django.DjangoModelFactory):
    """A catalogue row found by its slug, with `contraindications=[...]` set after."""

    class Meta:
        abstract = True
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    @factory.post_generation
    def contraindications(row, create, extracted, **kwargs):
        if create and extracted:
            row.contraindications.set(extracted)


class ExerciseFactory(WarnedFactory):
    class Meta:
        model = Exercise

    slug = factory.Sequence(lambda n: f"exercise-{n}")
    name = factory.Sequence(lambda n: f"Exercise {n}")
    position = "Lying on your back"
    instructions = "Lie on your back.\nBreathe out slowly.\nRelax."
    cues = ""


class RoutineFactory(WarnedFactory):
    class Meta:
        model = Routine

    slug = factory.Sequence(lambda n: f"routine-{n}")
    title = factory.Sequence(lambda n: f"Routine {n}")
    summary = "A short routine for testing."
    kind = Routine.Kind.STRENGTH
    level = factory.Sequence(lambda n: 10 + n)
    cues = ""


class RoutineStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutineStep

    routine = factory.SubFactory(RoutineFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    order = factory.Sequence(lambda n: n + 1)
    repetitions = 10
    hold_seconds = None
    each_side = False
    duration_min_minutes = None
    duration_max_minutes = None


class CompletedSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompletedSession

    user = factory.SubFactory(UserFactory)
    routine = None
    routine_title = factory.LazyAttribute(
        lambda s: s.routine.title if s.routine else "Beginner"
    )
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    finished_at = factory.LazyAttribute(lambda s: s.started_at + timedelta(minutes=20))
    pain_before = 5
    pain_after = 3
    notes = ""
    client_token = factory.Sequence(lambda n: f"token-{n}")


class StepResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StepResult

    session = factory.SubFactory(CompletedSessionFactory)
    order = factory.Sequence(lambda n: n + 1)
    exercise = factory.SubFactory(ExerciseFactory)
    exercise_name = factory.LazyAttribute(lambda s: s.exercise.name)
    outcome = StepOutcome.DONE


def week_noon(weeks_back=0):
    """Noon on the Monday of this week, or of a week before it, as an aware datetime."""
    today = timezone.localdate()
    day = today - timedelta(days=today.weekday(), weeks=weeks_back)
    return timezone.make_aware(datetime.combine(day, time(12)))


def routine_of_every_kind(**fields):
    """A routine with a step of every kind, and the two warnings that matter most.

    1. Knee rocks: counted, 10 times.
    2. Bridge: held, 5 times for 6 seconds.
    3. Leg stretch: each side, 3 times for 20 seconds; an avoid-warning guards it.
    4. Walk: timed, 10 to 15 minutes.
    The routine carries a consult-warning: see a doctor first if it applies.
    """
    avoid = ContraindicationFactory(
        slug="sciatica",
        title="Sciatica",
        description="Avoid this exercise if you have pain running down one leg.",
        severity=Severity.AVOID,
        screening_question="Do you have pain running down one leg?",
    )
    consult = ContraindicationFactory(
        slug="recent-surgery",
        title="Recent surgery",
        description="Talk to your doctor first if you had back surgery this year.",
        severity=Severity.CONSULT,
        screening_question="Did you have back surgery this year?",
    )
    routine = RoutineFactory(
        **{"slug": "practice", "title": "Practice", "level": 50, **fields}
    )
    routine.contraindications.add(consult)
    steps = [
        ("knee-rocks", "Knee rocks", [], {"repetitions": 10}),
        ("bridge", "Bridge", [], {"repetitions": 5, "hold_seconds": 6}),
        (
            "leg-stretch",
            "Leg stretch",
            [avoid],
            {"repetitions": 3, "hold_seconds": 20, "each_side": True},
        ),
        (
            "walk",
            "Walk",
            [],
            {
                "repetitions": None,
                "duration_min_minutes": 10,
                "duration_max_minutes": 15,
            },
        ),
    ]
    for order, (slug, name, warnings, dose) in enumerate(steps, start=1):
        exercise = ExerciseFactory(slug=slug, name=name, contraindications=warnings)
        RoutineStepFactory(routine=routine, exercise=exercise, order=order, **dose)
    return routine


URGENT_FLAG = {
    "slug": "bladder-bowel",
    "title": "Bladder or bowel changes",
    "description": "New trouble passing urine or controlling your bowels.",
    "severity": Severity.URGENT,
    "screening_question": "Have you had new trouble with your bladder?",
}
RED_FLAG = {
    "slug": "weight-loss",
    "title": "Weight loss you cannot explain",
    "description": "Losing weight without trying, with back pain.",
    "severity": Severity.RED_FLAG,
    "screening_question": "Have you lost weight without trying?",
}


def urgent_flag(**fields):
    """A red flag asked of everyone, before any routine: get help urgently."""
    return ContraindicationFactory(**{**URGENT_FLAG, **fields})


def red_flag(**fields):
    """A red flag that is not urgent: see a doctor before exercising."""
    return ContraindicationFactory(**{**RED_FLAG, **fields})


def person_with(*warnings, **fields):
    """(client, user): a new person, signed in, who answered yes to ``warnings``."""
    user = UserFactory(**fields)
    services.screening_update(user=user, conditions=list(warnings))
    client = Client()
    client.force_login(user)
    return client, user


def step_with(**dose):
    """An unsaved step with the given dose, for dose_text."""
    fields = {
        "repetitions": None,
        "hold_seconds": None,
        "each_side": False,
        "duration_min_minutes": None,
        "duration_max_minutes": None,
    }
    return RoutineStep(order=1, **{**fields, **dose})
