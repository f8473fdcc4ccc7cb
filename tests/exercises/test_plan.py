"""A routine as the guide reads it (exercises/plan.py)."""

from exercises.models import Severity
from exercises.plan import RoutinePlan
from tests.factories import (
    ContraindicationFactory,
    ExerciseFactory,
    RoutineFactory,
    RoutineStepFactory,
)


def groups(slug):
    """(severity, [(warning slug, what it applies to), …]) of a routine's plan."""
    return [
        (severity, [(warning.slug, targets) for warning, targets in warnings])
        for severity, warnings in RoutinePlan.of(slug).warnings_by_severity()
    ]


def test_the_warnings_of_a_routine_say_what_they_apply_to(practice):
    assert groups("practice") == [
        ("Avoid", [("sciatica", ["step 3, Leg stretch"])]),
        ("Consult a doctor", [("recent-surgery", ["the whole routine"])]),
    ]


def test_a_routine_without_exercise_warnings_has_its_own_only(db):
    consult = ContraindicationFactory(slug="consult", severity=Severity.CONSULT)
    routine = RoutineFactory(slug="plain", contraindications=[consult])
    RoutineStepFactory(routine=routine)

    assert groups("plain") == [
        ("Consult a doctor", [("consult", ["the whole routine"])])
    ]


def test_warnings_are_grouped_most_serious_first_then_by_title(db):
    def warning(slug, severity):
        return ContraindicationFactory(slug=slug, title=slug.title(), severity=severity)

    caution = warning("a-caution", Severity.CAUTION)
    consult = warning("b-consult", Severity.CONSULT)
    avoid_first = warning("c-avoid", Severity.AVOID)
    avoid_second = warning("d-avoid", Severity.AVOID)
    routine = RoutineFactory(slug="mixed", contraindications=[caution, consult])
    for order, (name, warnings) in enumerate(
        [
            ("First", [caution]),
            ("Second", [avoid_second]),
            ("Third", []),
            ("Fourth", [avoid_first, avoid_second]),
        ],
        start=1,
    ):
        exercise = ExerciseFactory(name=name, contraindications=warnings)
        RoutineStepFactory(routine=routine, exercise=exercise, order=order)

    assert groups("mixed") == [
        (
            "Avoid",
            [
                ("c-avoid", ["step 4, Fourth"]),
                ("d-avoid", ["step 2, Second", "step 4, Fourth"]),
            ],
        ),
        ("Consult a doctor", [("b-consult", ["the whole routine"])]),
        ("Caution", [("a-caution", ["the whole routine", "step 1, First"])]),
    ]


def test_a_plan_carries_every_red_flag_and_no_retired_warning(practice):
    red_flag = ContraindicationFactory(title="Fever", severity=Severity.RED_FLAG)
    urgent = ContraindicationFactory(title="Numbness", severity=Severity.URGENT)
    retired = ContraindicationFactory(severity=Severity.CONSULT, retired=True)
    practice.contraindications.add(retired)

    plan = RoutinePlan.of("practice")

    assert plan.routine == practice
    assert [step.exercise.name for step in plan.steps] == [
        "Knee rocks",
        "Bridge",
        "Leg stretch",
        "Walk",
    ]
    assert plan.red_flags == [urgent, red_flag]
    assert [warning.slug for warning in plan.warnings] == ["recent-surgery", "sciatica"]


def test_a_routine_without_steps_has_no_plan(db):
    RoutineFactory(slug="empty")

    assert RoutinePlan.of("empty") is None
    assert RoutinePlan.of("no-such-routine") is None
