import pytest

from exercises.models import Severity
from tests.factories import (
    ContraindicationFactory,
    ExerciseFactory,
    RoutineFactory,
    RoutineStepFactory,
)


@pytest.fixture
def warning(db):
    return ContraindicationFactory(
        slug="sore-knees",
        title="Sore knees",
        description="Go gently if your knees are sore.",
        severity=Severity.CAUTION,
    )


@pytest.fixture
def exercise(db):
    return ExerciseFactory(slug="pelvic-tilt", name="Pelvic tilt")


@pytest.fixture
def routine(db):
    return RoutineFactory(slug="gentle", title="Gentle", level=1)


@pytest.fixture
def step(routine, exercise):
    return RoutineStepFactory(routine=routine, exercise=exercise, order=1)


@pytest.fixture
def many_routines(db):
    """Thirty extra routines, each with its own exercise, warning and step."""
    routines = []
    for n in range(30):
        warning = ContraindicationFactory()
        exercise = ExerciseFactory(contraindications=[warning])
        routine = RoutineFactory(title=f"Extra routine {n:02}", level=100 + n)
        routine.contraindications.add(warning)
        RoutineStepFactory(routine=routine, exercise=exercise, order=1)
        RoutineStepFactory(
            routine=routine, exercise=ExerciseFactory(), order=2, hold_seconds=5
        )
        routines.append(routine)
    return routines
