from exercises.models import (
    Contraindication,
    Exercise,
    Routine,
    RoutineStep,
    SeedRow,
)
from tests.exercises.test_catalogue import (
    load,
    new_exercise,
    new_step,
    seed_objects,
    snapshot,
    write_fixture,
)

RESTORE = "`load_catalogue --reset` restores the seed."
SEED_ROWS = len(seed_objects())


def steps_of(slug):
    """(order, exercise) of each step of a routine, as the routine page lists them."""
    return list(
        RoutineStep.objects.filter(routine__slug=slug)
        .order_by("order")
        .values_list("order", "exercise__slug")
    )


def skipped_lines(output):
    return [line for line in output.splitlines() if line.startswith("Skipped")]


def content():
    """Every catalogue row and link by slug, without ids: what --reset restores."""
    return {
        "warnings": list(
            Contraindication.objects.order_by("slug").values(
                "slug",
                "title",
                "description",
                "severity",
                "screening_question",
                "retired",
            )
        ),
        "exercises": [
            (
                exercise.slug,
                exercise.name,
                exercise.position,
                exercise.instructions,
                exercise.cues,
                sorted(c.slug for c in exercise.contraindications.all()),
            )
            for exercise in Exercise.objects.order_by("slug")
        ],
        "routines": [
            (
                routine.slug,
                routine.title,
                routine.summary,
                routine.kind,
                routine.level,
                routine.cues,
                sorted(c.slug for c in routine.contraindications.all()),
            )
            for routine in Routine.objects.order_by("slug")
        ],
        "steps": list(
            RoutineStep.objects.order_by("routine__slug", "order").values_list(
                "routine__slug",
                "order",
                "exercise__slug",
                "repetitions",
                "hold_seconds",
                "each_side",
                "duration_min_minutes",
                "duration_max_minutes",
            )
        ),
    }


def test_a_step_an_editor_deleted_is_not_created_again(catalogue):
    RoutineStep.objects.get(routine__slug="beginner", order=6).delete()

    output = load()

    assert [order for order, _ in steps_of("beginner")] == [1, 2, 3, 4, 5]
    assert skipped_lines(output) == [
        "Skipped beginner step 6 (straight-leg-raises): an editor deleted it. "
        + RESTORE
    ]
    assert f"0 created, 0 reset, {SEED_ROWS - 1} kept as they were, 1 skipped" in output


def test_a_step_an_editor_moved_is_not_added_again(catalogue):
    step = RoutineStep.objects.get(routine__slug="intermediate", order=1)
    step.order = 2
    step.save()

    output = load()

    assert steps_of("intermediate") == [(2, "knee-to-chest")]
    assert RoutineStep.objects.get(routine__slug="intermediate").pk == step.pk
    assert skipped_lines(output) == []
    assert f"0 created, 0 reset, {SEED_ROWS} kept as they were, 0 skipped" in output


def test_a_routine_an_editor_deleted_is_skipped_with_its_steps(catalogue):
    Routine.objects.get(slug="advanced").delete()

    output = load()

    assert not Routine.objects.filter(slug="advanced").exists()
    assert not RoutineStep.objects.filter(
        exercise__slug__in=["hip-flexor-stretch", "piriformis-stretch"]
    ).exists()
    assert skipped_lines(output) == [
        "Skipped routine advanced: an editor deleted it. " + RESTORE,
        "Skipped advanced step 1 (hip-flexor-stretch): its routine advanced is "
        "not in the database. " + RESTORE,
        "Skipped advanced step 2 (piriformis-stretch): its routine advanced is "
        "not in the database. " + RESTORE,
    ]
    assert f"0 created, 0 reset, {SEED_ROWS - 3} kept as they were, 3 skipped" in output


def test_a_warning_an_editor_deleted_is_not_created_again(catalogue):
    Contraindication.objects.get(slug="nerve-pain-legs").delete()

    output = load()

    assert not Contraindication.objects.filter(slug="nerve-pain-legs").exists()
    leg_raises = Exercise.objects.get(slug="straight-leg-raises")
    assert list(leg_raises.contraindications.all()) == []
    assert skipped_lines(output) == [
        "Skipped warning nerve-pain-legs: an editor deleted it. " + RESTORE
    ]
    assert "0 created, 0 reset" in output


def test_new_rows_naming_a_deleted_row_are_skipped(catalogue, tmp_path):
    Routine.objects.get(slug="advanced").delete()
    Contraindication.objects.get(slug="nerve-pain-legs").delete()
    objects = seed_objects()
    objects += [
        new_exercise("bridges"),
        new_exercise("bird-dog", contraindications=[["nerve-pain-legs"]]),
        new_step("advanced", "bridges", 3),
        new_step("beginner", "bridges", 7),
    ]

    output = load(write_fixture(tmp_path, objects))

    assert not Exercise.objects.filter(slug="bird-dog").exists()
    assert steps_of("beginner")[-1] == (7, "bridges")
    assert (
        "Skipped exercise bird-dog: its warning nerve-pain-legs is not in the "
        "database. " + RESTORE
    ) in skipped_lines(output)
    assert (
        "Skipped advanced step 3 (bridges): its routine advanced is not in the "
        "database. " + RESTORE
    ) in skipped_lines(output)
    assert "2 created, 0 reset" in output
    assert "6 skipped" in output


def test_reset_restores_what_editors_deleted_and_moved(catalogue):
    seeded = content()
    moved = RoutineStep.objects.get(routine__slug="intermediate", order=1)
    moved.order = 2
    moved.save()
    RoutineStep.objects.get(routine__slug="beginner", order=6).delete()
    Routine.objects.get(slug="advanced").delete()
    Contraindication.objects.get(slug="nerve-pain-legs").delete()
    load()

    output = load("--reset")

    assert content() == seeded
    assert RoutineStep.objects.get(routine__slug="intermediate").pk == moved.pk
    assert skipped_lines(output) == []
    assert f"5 created, {SEED_ROWS - 5} reset, 0 kept as they were, 0 skipped" in (
        output
    )
    assert f"0 created, 0 reset, {SEED_ROWS} kept as they were, 0 skipped" in load()


def test_swapped_steps_stay_swapped_until_a_reset(catalogue):
    hip, piriformis = RoutineStep.objects.filter(routine__slug="advanced")
    hip.order = 3
    hip.save()
    piriformis.order = 1
    piriformis.save()
    hip.order = 2
    hip.save()
    swapped = [(1, "piriformis-stretch"), (2, "hip-flexor-stretch")]
    load()
    assert steps_of("advanced") == swapped

    load("--reset")

    assert steps_of("advanced") == [
        (1, "hip-flexor-stretch"),
        (2, "piriformis-stretch"),
    ]
    assert RoutineStep.objects.get(routine__slug="advanced", order=1).pk == hip.pk


def test_reset_moves_an_editors_own_step_out_of_a_seed_steps_place(catalogue):
    seed_step = RoutineStep.objects.get(routine__slug="intermediate", order=1)
    seed_step.order = 2
    seed_step.save()
    own = RoutineStep.objects.create(
        routine=seed_step.routine,
        exercise=Exercise.objects.get(slug="heel-slides"),
        order=1,
        repetitions=8,
    )

    load("--reset")

    assert steps_of("intermediate") == [(1, "knee-to-chest"), (3, "heel-slides")]
    assert RoutineStep.objects.get(pk=own.pk).repetitions == 8


def test_the_first_run_on_an_older_catalogue_records_and_keeps_it(catalogue):
    # A database loaded before the loader kept records.
    SeedRow.objects.all().delete()
    Exercise.objects.filter(slug="heel-raises").update(name="Calf raises")
    before = snapshot()

    output = load()

    assert snapshot() == before
    assert f"0 created, 0 reset, {SEED_ROWS} kept as they were, 0 skipped" in output
    assert SeedRow.objects.count() == SEED_ROWS
    step = RoutineStep.objects.get(routine__slug="intermediate", order=1)
    record = SeedRow.objects.get(
        model="exercises.routinestep", key='["intermediate", 1]'
    )
    assert record.object_id == step.pk
    step.order = 2
    step.save()
    RoutineStep.objects.get(routine__slug="beginner", order=6).delete()

    output = load()

    assert steps_of("intermediate") == [(2, "knee-to-chest")]
    assert [order for order, _ in steps_of("beginner")] == [1, 2, 3, 4, 5]
    assert "0 created, 0 reset" in output
    assert "1 skipped" in output
