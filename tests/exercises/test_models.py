import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from exercises.models import (
    PACE_SECONDS,
    Contraindication,
    Exercise,
    Routine,
    RoutineStep,
    next_routine,
)
from tests.factories import (
    ContraindicationFactory,
    ExerciseFactory,
    RoutineFactory,
    RoutineStepFactory,
    routine_of_every_kind,
    step_with,
)

# Check constraints, enforced by the database itself.


@pytest.mark.parametrize(
    "dose",
    [
        pytest.param({"repetitions": 0}, id="zero-repetitions"),
        pytest.param({"repetitions": 10, "hold_seconds": 0}, id="zero-hold"),
        pytest.param(
            {
                "repetitions": None,
                "duration_min_minutes": 30,
                "duration_max_minutes": 20,
            },
            id="duration-min-above-max",
        ),
        pytest.param(
            {"repetitions": None, "duration_min_minutes": 0}, id="zero-duration"
        ),
        pytest.param({"repetitions": None}, id="no-dose"),
        pytest.param({"repetitions": None, "hold_seconds": 5}, id="hold-only"),
        pytest.param(
            {"repetitions": None, "duration_max_minutes": 30}, id="max-duration-only"
        ),
    ],
)
def test_a_step_with_an_impossible_dose_is_rejected(routine, exercise, dose):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutineStep.objects.create(routine=routine, exercise=exercise, order=1, **dose)

    assert not RoutineStep.objects.exists()


def test_step_order_zero_is_rejected(routine, exercise):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutineStep.objects.create(
            routine=routine, exercise=exercise, order=0, repetitions=10
        )


def test_two_steps_with_the_same_order_in_one_routine_are_rejected(step):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutineStep.objects.create(
            routine=step.routine,
            exercise=ExerciseFactory(),
            order=step.order,
            repetitions=5,
        )

    assert list(step.routine.steps.all()) == [step]


def test_the_same_order_in_another_routine_is_fine(step):
    RoutineStepFactory(routine=RoutineFactory(), order=step.order)

    assert RoutineStep.objects.filter(order=step.order).count() == 2


def test_the_check_constraints_exist_in_the_database(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(
            cursor, RoutineStep._meta.db_table
        )

    assert {
        "routine_step_unique_order",
        "routine_step_repetitions_positive",
        "routine_step_hold_positive",
        "routine_step_duration_min_lte_max",
        "routine_step_has_dose",
        "routine_step_rest_0_120",
        "routine_step_switch_0_300",
    } <= set(constraints)


@pytest.mark.parametrize(
    "dose",
    [
        {"repetitions": 1},
        {"repetitions": 10, "hold_seconds": 1, "each_side": True},
        {"repetitions": None, "duration_min_minutes": 20, "duration_max_minutes": 20},
        {"repetitions": None, "duration_min_minutes": 20, "duration_max_minutes": 30},
        {"repetitions": None, "duration_min_minutes": 15},
    ],
)
def test_a_sensible_dose_is_accepted(routine, exercise, dose):
    RoutineStep.objects.create(routine=routine, exercise=exercise, order=1, **dose)

    assert RoutineStep.objects.filter(routine=routine).count() == 1


def test_a_step_rests_3_seconds_and_switches_sides_in_5_by_default(routine, exercise):
    step = RoutineStep.objects.create(
        routine=routine, exercise=exercise, order=1, repetitions=10
    )

    step.refresh_from_db()
    assert (step.rest_seconds, step.switch_seconds) == (3, 5)


@pytest.mark.parametrize(
    ("pauses", "field"),
    [
        ({"rest_seconds": 121}, "rest_seconds"),
        ({"switch_seconds": 301}, "switch_seconds"),
        ({"rest_seconds": -1}, "rest_seconds"),
    ],
)
def test_a_pause_out_of_range_is_refused(routine, exercise, pauses, field):
    step = RoutineStep(routine=routine, exercise=exercise, order=1, repetitions=10)
    for name, value in pauses.items():
        setattr(step, name, value)

    with pytest.raises(ValidationError) as refused:
        step.full_clean()
    assert field in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        step.save()


def test_no_pause_at_all_is_fine(routine, exercise):
    step = RoutineStep(
        routine=routine,
        exercise=exercise,
        order=1,
        repetitions=10,
        rest_seconds=0,
        switch_seconds=0,
    )
    step.full_clean()
    step.save()


def test_an_exercise_used_in_a_routine_cannot_be_deleted(step):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        step.exercise.delete()

    assert Exercise.objects.filter(pk=step.exercise.pk).exists()


def test_deleting_a_routine_deletes_its_steps_but_not_the_exercises(step):
    step.routine.delete()

    assert not RoutineStep.objects.exists()
    assert Exercise.objects.filter(pk=step.exercise.pk).exists()


# The dose in words.


@pytest.mark.parametrize(
    ("dose", "text"),
    [
        ({"repetitions": 10}, "10 repetitions"),
        ({"repetitions": 10, "hold_seconds": 5}, "10 repetitions, hold 5 seconds each"),
        (
            {"repetitions": 5, "hold_seconds": 20, "each_side": True},
            "5 repetitions each side, hold 20 seconds",
        ),
        ({"repetitions": 5, "each_side": True}, "5 repetitions each side"),
        ({"duration_min_minutes": 20, "duration_max_minutes": 30}, "20–30 minutes"),
        ({"duration_min_minutes": 20, "duration_max_minutes": 20}, "20 minutes"),
        ({"duration_min_minutes": 20}, "20 minutes"),
        ({"repetitions": 1}, "1 repetition"),
        ({"repetitions": 1, "hold_seconds": 1}, "1 repetition, hold 1 second each"),
        (
            {"repetitions": 1, "hold_seconds": 1, "each_side": True},
            "1 repetition each side, hold 1 second",
        ),
        ({"duration_min_minutes": 1}, "1 minute"),
        ({"duration_min_minutes": 1, "duration_max_minutes": 2}, "1–2 minutes"),
    ],
)
def test_dose_text(dose, text):
    assert step_with(**dose).dose_text == text


def test_the_duration_range_uses_an_en_dash():
    text = step_with(duration_min_minutes=20, duration_max_minutes=30).dose_text

    assert "\u2013" in text
    assert "-" not in text


@pytest.mark.parametrize(
    ("dose", "has_sides"),
    [
        ({"repetitions": 3, "each_side": True}, True),
        ({"repetitions": 3, "hold_seconds": 5, "each_side": True}, True),
        ({"repetitions": 3, "each_side": False}, False),
        ({"duration_min_minutes": 20, "duration_max_minutes": 30}, False),
        ({"duration_min_minutes": 20, "each_side": True}, False),
        # A timed step that also has repetitions is still a stopwatch.
        ({"repetitions": 3, "duration_min_minutes": 20, "each_side": True}, False),
    ],
)
def test_has_sides_is_each_side_of_repetitions_only(dose, has_sides):
    assert RoutineStep(order=1, **dose).has_sides is has_sides


# Estimated time, from the doses and the player's pauses (3 s pace, 3 s rest
# between holds, 5 s to switch sides unless a step says otherwise).


def test_the_estimates_pace_is_the_players():
    main = Path(settings.BASE_DIR, "static/js/player/main.js").read_text()

    assert re.search(r"^const PACE_MS = (\d+);", main, re.M).group(1) == "3000"
    assert PACE_SECONDS == 3


@pytest.mark.parametrize(
    ("dose", "seconds"),
    [
        # Counted: 10 × 3 s pace.
        ({"repetitions": 10}, 30),
        ({"repetitions": 1}, 3),
        # Counted on each side: 2 × (8 × 3) + 5 to switch.
        ({"repetitions": 8, "each_side": True}, 53),
        # Held: 5 × (6 + 3) + 4 rests of 3.
        ({"repetitions": 5, "hold_seconds": 6}, 57),
        # One hold has no rest: 1 × (30 + 3).
        ({"repetitions": 1, "hold_seconds": 30}, 33),
        # Held on each side: 2 × (3 × (20 + 3) + 2 × 3) + 5.
        ({"repetitions": 3, "hold_seconds": 20, "each_side": True}, 155),
        # The step's own pauses: 2 × (2 × (10 + 3) + 1 × 10) + 30.
        (
            {
                "repetitions": 2,
                "hold_seconds": 10,
                "each_side": True,
                "rest_seconds": 10,
                "switch_seconds": 30,
            },
            102,
        ),
        # No pauses at all: 4 × (5 + 3).
        (
            {
                "repetitions": 4,
                "hold_seconds": 5,
                "each_side": True,
                "rest_seconds": 0,
                "switch_seconds": 0,
            },
            64,
        ),
    ],
)
def test_a_steps_estimate_counts_paces_holds_rests_and_the_switch(dose, seconds):
    assert step_with(**dose).estimated_seconds == (seconds, seconds)


@pytest.mark.parametrize(
    ("dose", "seconds"),
    [
        ({"duration_min_minutes": 20, "duration_max_minutes": 30}, (1200, 1800)),
        ({"duration_min_minutes": 12}, (720, 720)),
        # A timed step is a stopwatch: repetitions and sides do not count.
        (
            {"repetitions": 3, "duration_min_minutes": 5, "each_side": True},
            (300, 300),
        ),
    ],
)
def test_a_timed_steps_estimate_is_its_range_of_minutes(dose, seconds):
    assert step_with(**dose).estimated_seconds == seconds


def test_a_routine_of_every_kind_takes_about_14_to_19_minutes(db):
    routine = Routine.objects.with_exercises().get(pk=routine_of_every_kind().pk)

    # Knee rocks 30 s, bridge 57 s, leg stretch 155 s: 242 s; walk 10–15 min.
    # 842 s and 1,142 s: 14 min 2 s and 19 min 2 s.
    assert routine.estimated_time == "about 14–19 minutes"


@pytest.mark.parametrize(
    ("slug", "text"),
    [
        # Three counted steps of 10 × 3 s, and three holds of
        # 10 × (5 + 3) + 9 × 3 = 107 s: 411 s, 6 min 51 s.
        ("beginner", "about 7 minutes"),
        # Knee to chest, 5 holds of 20 s each side: 2 × (5 × 23 + 4 × 3) + 5
        # = 259 s, 4 min 19 s.
        ("intermediate", "about 4 minutes"),
        # Two steps as knee to chest: 518 s, 8 min 38 s.
        ("advanced", "about 9 minutes"),
        # The bike or the treadmill, 20–30 minutes: one is picked per session.
        ("aerobic", "about 20–30 minutes"),
    ],
)
def test_each_seed_routine_has_its_estimated_time(catalogue, slug, text):
    routine = Routine.objects.with_steps().get(slug=slug)

    assert routine.estimated_time == text


def test_the_estimates_of_the_ladder_read_the_prefetched_steps_only(
    catalogue, django_assert_num_queries
):
    routines = list(Routine.objects.ladder().with_exercises())

    with django_assert_num_queries(0):
        times = [routine.estimated_time for routine in routines]

    assert times == [
        "about 7 minutes",
        "about 4 minutes",
        "about 9 minutes",
        "about 20–30 minutes",
    ]


def test_a_routine_with_no_steps_has_no_estimate(routine):
    assert routine.estimated_time == ""


def test_the_next_routine_is_the_last_one_done_or_else_the_ladders_first(catalogue):
    ladder = list(Routine.objects.ladder())
    intermediate = Routine.objects.get(slug="intermediate")

    assert next_routine(ladder).slug == "beginner"
    assert next_routine(ladder, None).slug == "beginner"
    assert next_routine(ladder, intermediate.pk).slug == "intermediate"
    # A routine no longer on the ladder (removed since): the beginner's.
    assert next_routine(ladder, 10_000).slug == "beginner"
    assert next_routine([], intermediate.pk) is None


# Natural keys, so fixtures refer to rows by slug.


def test_contraindication_natural_key_round_trip(warning):
    assert warning.natural_key() == ("sore-knees",)
    assert Contraindication.objects.get_by_natural_key(*warning.natural_key()) == (
        warning
    )


def test_exercise_natural_key_round_trip(exercise):
    assert exercise.natural_key() == ("pelvic-tilt",)
    assert Exercise.objects.get_by_natural_key(*exercise.natural_key()) == exercise


def test_routine_natural_key_round_trip(routine):
    assert routine.natural_key() == ("gentle",)
    assert Routine.objects.get_by_natural_key(*routine.natural_key()) == routine


def test_routine_step_natural_key_round_trip(step):
    RoutineStepFactory(routine=step.routine, order=2)
    RoutineStepFactory(order=step.order)

    assert step.natural_key() == ("gentle", 1)
    assert RoutineStep.objects.get_by_natural_key(*step.natural_key()) == step


def test_get_by_natural_key_of_a_missing_slug_raises_does_not_exist(db):
    with pytest.raises(Routine.DoesNotExist):
        Routine.objects.get_by_natural_key("no-such-routine")


def test_serialized_rows_use_slugs_not_ids(step, warning):
    step.exercise.contraindications.add(warning)

    data = serializers.serialize(
        "python",
        [step.exercise, step],
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
    )

    assert "pk" not in data[0]
    assert data[0]["fields"]["contraindications"] == [("sore-knees",)]
    assert data[1]["fields"]["routine"] == ("gentle",)
    assert data[1]["fields"]["exercise"] == ("pelvic-tilt",)


# Reads.


def test_ladder_orders_routines_by_level_then_title_aerobic_last(db):
    RoutineFactory(slug="c", title="Charlie", level=2)
    RoutineFactory(slug="walk", title="Walk", level=0, kind=Routine.Kind.AEROBIC)
    RoutineFactory(slug="b", title="Bravo", level=1)
    RoutineFactory(slug="a2", title="Alpha two", level=2)
    RoutineFactory(slug="a", title="Alpha", level=3)

    titles = [routine.title for routine in Routine.objects.ladder()]

    assert titles == ["Bravo", "Alpha two", "Charlie", "Alpha", "Walk"]


def test_general_contraindications_are_those_on_a_routine(db):
    on_two_routines = ContraindicationFactory(title="On two routines")
    on_an_exercise = ContraindicationFactory(title="On an exercise")
    ContraindicationFactory(title="Unused")
    RoutineFactory(contraindications=[on_two_routines])
    RoutineFactory(contraindications=[on_two_routines])
    ExerciseFactory(contraindications=[on_an_exercise])

    assert list(Contraindication.objects.general()) == [on_two_routines]


def test_step_warnings_come_most_serious_first(step):
    caution = ContraindicationFactory(title="A caution", severity="caution")
    avoid = ContraindicationFactory(title="B avoid", severity="avoid")
    consult = ContraindicationFactory(title="C consult", severity="consult")
    step.exercise.contraindications.set([caution, avoid, consult])

    assert step.warnings == [avoid, consult, caution]
    assert step.avoid_warnings == [avoid]


def test_instruction_and_cue_lists_skip_blank_lines(db):
    exercise = ExerciseFactory(
        instructions="  Lie down.\n\n   \nBreathe out.  \n", cues="\nDo not rush.\n"
    )

    assert exercise.instruction_list == ["Lie down.", "Breathe out."]
    assert exercise.cue_list == ["Do not rush."]


def test_string_forms(step):
    assert str(step.routine) == "Gentle"
    assert str(step.exercise) == "Pelvic tilt"
    assert str(step) == "Gentle · 1. Pelvic tilt"


def test_absolute_urls(step):
    assert step.routine.get_absolute_url() == "/routines/gentle/"
    assert step.exercise.get_absolute_url() == "/exercises/pelvic-tilt/"


def test_a_routine_of_alternatives_takes_as_long_as_the_one_picked(db):
    routine = RoutineFactory(steps_are_alternatives=True)
    RoutineStepFactory(
        routine=routine,
        repetitions=None,
        duration_min_minutes=10,
        duration_max_minutes=20,
    )
    RoutineStepFactory(
        routine=routine,
        repetitions=None,
        duration_min_minutes=20,
        duration_max_minutes=30,
    )
    routine = Routine.objects.with_steps().get(pk=routine.pk)

    # Not 30–50: the shortest of the quickest one, the longest of the slowest.
    assert routine.estimated_time == "about 10–30 minutes"

    Routine.objects.filter(pk=routine.pk).update(steps_are_alternatives=False)
    routine = Routine.objects.with_steps().get(pk=routine.pk)
    assert routine.estimated_time == "about 30–50 minutes"


def test_the_seed_aerobic_routine_offers_its_steps_as_alternatives(catalogue):
    assert list(
        Routine.objects.filter(steps_are_alternatives=True).values_list(
            "slug", flat=True
        )
    ) == ["aerobic"]
