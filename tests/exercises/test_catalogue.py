import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from exercises.management.commands.load_catalogue import DEFAULT_FIXTURE
from exercises.models import Contraindication, Exercise, Routine, RoutineStep

SEED_STEPS = {
    "beginner": [
        ("ankle-pumps", "10 repetitions"),
        ("heel-slides", "10 repetitions"),
        ("abdominal-contraction", "10 repetitions, hold 5 seconds each"),
        ("wall-squats", "10 repetitions, hold 5 seconds each"),
        ("heel-raises", "10 repetitions"),
        ("straight-leg-raises", "10 repetitions, hold 5 seconds each"),
    ],
    "intermediate": [
        ("knee-to-chest", "5 repetitions each side, hold 20 seconds"),
    ],
    "advanced": [
        ("hip-flexor-stretch", "5 repetitions each side, hold 20 seconds"),
        ("piriformis-stretch", "5 repetitions each side, hold 20 seconds"),
    ],
    "aerobic": [
        ("stationary-bike", "20–30 minutes"),
        ("treadmill", "20–30 minutes"),
    ],
}

SEED_EXERCISES = {slug for steps in SEED_STEPS.values() for slug, _ in steps}


def load(*args):
    out = io.StringIO()
    call_command("load_catalogue", *args, stdout=out)
    return out.getvalue()


def snapshot():
    """Every catalogue row, with every value, including the M2M links."""
    models = [Contraindication, Exercise, Routine, RoutineStep]
    links = [
        Exercise.contraindications.through,
        Routine.contraindications.through,
    ]
    rows = {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in models
    }
    # A link row's own id carries no meaning: --reset may re-create it.
    for link in links:
        columns = sorted(f.attname for f in link._meta.fields if not f.primary_key)
        rows[link._meta.label] = list(
            link.objects.order_by(*columns).values_list(*columns)
        )
    return rows


def counts():
    return {
        model._meta.label: model.objects.count()
        for model in [Contraindication, Exercise, Routine, RoutineStep]
    }


def seed_objects():
    return json.loads(DEFAULT_FIXTURE.read_text(encoding="utf-8"))


def write_fixture(tmp_path, objects):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(objects, ensure_ascii=False), encoding="utf-8")
    return str(path)


def new_exercise(slug, **fields):
    return {
        "model": "exercises.exercise",
        "fields": {
            "slug": slug,
            "name": slug.replace("-", " ").capitalize(),
            "position": "Lying on your back",
            "instructions": "Lie on your back.",
            "cues": "",
            "contraindications": [],
            **fields,
        },
    }


def new_step(routine, exercise, order, **dose):
    return {
        "model": "exercises.routinestep",
        "fields": {
            "routine": [routine],
            "exercise": [exercise],
            "order": order,
            "repetitions": 10,
            "hold_seconds": None,
            "each_side": False,
            "duration_min_minutes": None,
            "duration_max_minutes": None,
            **dose,
        },
    }


def test_load_catalogue_creates_the_seed_catalogue(db):
    output = load()

    assert counts() == {
        # The seed's two warnings and the seven NICE red flags.
        "exercises.Contraindication": 9,
        "exercises.Exercise": 11,
        "exercises.Routine": 4,
        "exercises.RoutineStep": 11,
    }
    assert "Catalogue loaded: 35 created, 0 reset, 0 kept" in output


def test_the_seed_catalogue_has_every_routine_in_ladder_order(catalogue):
    routines = [(r.slug, r.title, r.kind) for r in Routine.objects.ladder()]

    assert routines == [
        ("beginner", "Beginner", "strength"),
        ("intermediate", "Intermediate", "strength"),
        ("advanced", "Advanced", "strength"),
        ("aerobic", "Aerobic", "aerobic"),
    ]


def test_the_seed_catalogue_has_all_eleven_exercises(catalogue):
    assert set(Exercise.objects.values_list("slug", flat=True)) == SEED_EXERCISES
    assert len(SEED_EXERCISES) == 11


@pytest.mark.parametrize("slug", SEED_STEPS)
def test_each_seed_routine_has_its_steps_in_order_with_their_doses(catalogue, slug):
    routine = Routine.objects.get(slug=slug)

    steps = [
        (step.order, step.exercise.slug, step.dose_text)
        for step in routine.steps.select_related("exercise")
    ]

    assert steps == [
        (order, exercise, dose)
        for order, (exercise, dose) in enumerate(SEED_STEPS[slug], start=1)
    ]


def test_every_seed_routine_carries_the_disc_consult_warning(catalogue):
    for routine in Routine.objects.all():
        assert [c.slug for c in routine.contraindications.all()] == ["disc-damage"]
    disc = Contraindication.objects.get(slug="disc-damage")
    assert disc.severity == "consult"
    assert "damage to an intervertebral disc" in disc.description
    assert "talk to your doctor" in disc.description


def test_only_straight_leg_raises_carries_the_nerve_pain_warning(catalogue):
    nerve = Contraindication.objects.get(slug="nerve-pain-legs")

    assert nerve.severity == "avoid"
    assert "nerve pain that runs down into your legs" in nerve.description
    assert nerve.screening_question
    assert [e.slug for e in nerve.exercises.all()] == ["straight-leg-raises"]


def test_the_seed_numbers_are_kept_exactly(catalogue):
    wall_squats = Exercise.objects.get(slug="wall-squats")
    leg_raises = Exercise.objects.get(slug="straight-leg-raises")

    assert "12 in (30 cm)" in wall_squats.position
    assert "45 degrees" in wall_squats.instructions
    assert "6–12 in (15–30 cm)" in leg_raises.instructions


def test_a_second_run_changes_nothing(catalogue):
    before = snapshot()

    output = load()

    assert snapshot() == before
    assert "0 created, 0 reset, 35 kept as they were" in output


def test_an_editors_changes_survive_a_second_run(catalogue):
    step = RoutineStep.objects.get(routine__slug="beginner", order=3)
    step.repetitions = 12
    step.save()
    Exercise.objects.filter(slug="heel-raises").update(name="Calf raises")
    Contraindication.objects.get(slug="nerve-pain-legs").exercises.clear()
    edited = snapshot()

    load()

    assert snapshot() == edited
    assert RoutineStep.objects.get(pk=step.pk).repetitions == 12
    assert Exercise.objects.get(slug="heel-raises").name == "Calf raises"


def test_an_editors_new_rows_survive_a_second_run(catalogue):
    Exercise.objects.create(
        slug="bridges", name="Bridges", position="Lying", instructions="Lift."
    )
    RoutineStep.objects.create(
        routine=Routine.objects.get(slug="beginner"),
        exercise=Exercise.objects.get(slug="bridges"),
        order=7,
        repetitions=8,
    )
    edited = snapshot()

    load()

    assert snapshot() == edited


def test_reset_restores_the_seed_values(catalogue):
    seeded = snapshot()
    RoutineStep.objects.filter(routine__slug="beginner", order=3).update(repetitions=12)
    Exercise.objects.filter(slug="heel-raises").update(name="Calf raises")
    Contraindication.objects.get(slug="nerve-pain-legs").exercises.clear()

    output = load("--reset")

    assert snapshot() == seeded
    assert "0 created, 35 reset, 0 kept" in output


def test_new_rows_in_the_fixture_reach_an_existing_catalogue(catalogue, tmp_path):
    Exercise.objects.filter(slug="heel-raises").update(name="Calf raises")
    edited = snapshot()
    objects = seed_objects()
    objects += [new_exercise("bridges"), new_step("beginner", "bridges", 7)]

    output = load(write_fixture(tmp_path, objects))

    assert "2 created, 0 reset, 35 kept" in output
    after = snapshot()
    assert (
        after["exercises.Exercise"][: len(edited["exercises.Exercise"])]
        == (edited["exercises.Exercise"])
    )
    assert Exercise.objects.get(slug="heel-raises").name == "Calf raises"
    step = RoutineStep.objects.get(routine__slug="beginner", order=7)
    assert (step.exercise.name, step.dose_text) == ("Bridges", "10 repetitions")


def test_a_load_reaches_visitors_at_once(
    client, catalogue, tmp_path, django_capture_on_commit_callbacks
):
    assert "Bridges" not in client.get("/routines/beginner/").content.decode()
    objects = seed_objects()
    objects += [new_exercise("bridges"), new_step("beginner", "bridges", 7)]

    with django_capture_on_commit_callbacks(execute=True):
        load(write_fixture(tmp_path, objects))

    assert "Bridges" in client.get("/routines/beginner/").content.decode()


def test_a_missing_file_is_a_command_error(db, tmp_path):
    missing = tmp_path / "nowhere.json"

    with pytest.raises(CommandError, match="Cannot read the catalogue") as error:
        load(str(missing))

    assert str(missing) in str(error.value)
    assert counts() == dict.fromkeys(counts(), 0)


def assert_broken(path, before, *, mentions=()):
    with pytest.raises(CommandError) as error:
        load(path)
    message = str(error.value)
    assert path in message
    assert "broken" in message
    assert "nothing was changed" in message
    for text in mentions:
        assert text in message
    assert snapshot() == before
    return message


def test_invalid_json_is_a_command_error_and_changes_nothing(catalogue, tmp_path):
    path = tmp_path / "catalogue.json"
    path.write_text('[{"model": "exercises.exercise", "fields": {', encoding="utf-8")

    assert_broken(str(path), snapshot())


def test_invalid_json_says_where_the_file_is_broken(db, tmp_path):
    path = tmp_path / "catalogue.json"
    path.write_text('[{"model": "exercises.exercise", "fields": {', encoding="utf-8")

    with pytest.raises(CommandError, match="line 1 column"):
        load(str(path))


def test_an_unknown_model_is_a_command_error(catalogue, tmp_path):
    path = write_fixture(tmp_path, [{"model": "exercises.nothing", "fields": {}}])

    assert_broken(path, snapshot(), mentions=["exercises.nothing"])


def test_a_step_naming_a_missing_exercise_is_a_command_error(catalogue, tmp_path):
    before = snapshot()
    path = write_fixture(
        tmp_path,
        [
            new_exercise("bridges"),
            new_step("beginner", "no-such-exercise", 7),
        ],
    )

    assert_broken(path, before)
    assert not Exercise.objects.filter(slug="bridges").exists()


def test_a_step_naming_a_missing_exercise_names_it_in_the_error(catalogue, tmp_path):
    path = write_fixture(tmp_path, [new_step("beginner", "no-such-exercise", 7)])

    with pytest.raises(CommandError, match="no-such-exercise"):
        load(path)


def test_an_exercise_naming_a_missing_warning_is_a_command_error(catalogue, tmp_path):
    before = snapshot()
    path = write_fixture(
        tmp_path,
        [new_exercise("bridges", contraindications=[["no-such-warning"]])],
    )

    assert_broken(path, before, mentions=["no-such-warning"])
    assert not Exercise.objects.filter(slug="bridges").exists()


def test_a_warning_with_an_unknown_severity_is_refused(catalogue, tmp_path):
    before = snapshot()
    warning = {
        "model": "exercises.contraindication",
        "fields": {
            "slug": "sore-wrists",
            "title": "Sore wrists",
            "severity": "severe",
            "description": "Go gently.",
            "screening_question": "",
        },
    }
    path = write_fixture(tmp_path, [warning])

    assert_broken(path, before, mentions=["severe"])


def test_a_later_row_breaking_a_check_constraint_changes_nothing(catalogue, tmp_path):
    before = snapshot()
    path = write_fixture(
        tmp_path,
        [
            new_exercise("bridges"),
            new_exercise("bird-dog"),
            new_step("beginner", "bridges", 7),
            new_step("beginner", "bird-dog", 8, repetitions=0),
        ],
    )

    assert_broken(path, before)
    assert not Exercise.objects.filter(slug__in=["bridges", "bird-dog"]).exists()
    assert not RoutineStep.objects.filter(routine__slug="beginner", order=7).exists()


def test_a_broken_file_on_an_empty_database_leaves_it_empty(db, tmp_path):
    objects = seed_objects()
    objects[-1]["fields"]["duration_min_minutes"] = 40

    path = write_fixture(tmp_path, objects)

    assert_broken(path, snapshot())
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_broken_reset_keeps_the_editors_changes(catalogue, tmp_path):
    Exercise.objects.filter(slug="heel-raises").update(name="Calf raises")
    before = snapshot()
    objects = seed_objects()
    objects.append(new_step("beginner", "ankle-pumps", 7, hold_seconds=0))
    path = write_fixture(tmp_path, objects)

    with pytest.raises(CommandError):
        load(path, "--reset")

    assert snapshot() == before
    assert Exercise.objects.get(slug="heel-raises").name == "Calf raises"


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
    } <= set(constraints)
