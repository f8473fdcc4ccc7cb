import factory
from django.contrib.auth import get_user_model

from exercises.models import (
    Contraindication,
    Exercise,
    Routine,
    RoutineStep,
    Severity,
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


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"exercise-{n}")
    name = factory.Sequence(lambda n: f"Exercise {n}")
    position = "Lying on your back"
    instructions = "Lie on your back.\nBreathe out slowly.\nRelax."
    cues = ""

    @factory.post_generation
    def contraindications(exercise, create, extracted, **kwargs):
        if create and extracted:
            exercise.contraindications.set(extracted)


class RoutineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Routine
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"routine-{n}")
    title = factory.Sequence(lambda n: f"Routine {n}")
    summary = "A short routine for testing."
    kind = Routine.Kind.STRENGTH
    level = factory.Sequence(lambda n: 10 + n)
    cues = ""

    @factory.post_generation
    def contraindications(routine, create, extracted, **kwargs):
        if create and extracted:
            routine.contraindications.set(extracted)


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
