from datetime import datetime, time, timedelta

import factory
from django.utils import timezone

from accounts.models import CompletedSession, StepResult
from exercises.models import StepOutcome
from tests.factories import ExerciseFactory, UserFactory


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
