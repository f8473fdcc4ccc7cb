"""Loading the catalogue: exercises/seed.py and the load_catalogue command."""

import io
import json
import subprocess
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from exercises.management.commands.load_catalogue import DEFAULT_FIXTURE
from exercises.models import Contraindication, Exercise, Routine, RoutineStep, SeedRow
from tests.helpers import html
from tests.servers import (
    BASE_DIR,
    MANAGE,
    free_port,
    gunicorn_database_url,
    needs_postgresql,
    production_env,
)


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


CATALOGUE_FIELDS = {
    Contraindication: [
        *("slug", "title", "description", "severity"),
        *("screening_question", "retired"),
    ],
    Exercise: ["slug", "name", "position", "instructions", "cues"],
    Routine: ["slug", "title", "summary", "kind", "level", "cues"],
    RoutineStep: [
        *("routine__slug", "order", "exercise__slug", "repetitions"),
        *("hold_seconds", "each_side", "duration_min_minutes", "duration_max_minutes"),
    ],
}


def content():
    """Every catalogue row and link by slug, without ids: what --reset restores."""
    rows = {
        model._meta.label: list(model.objects.order_by(*names).values_list(*names))
        for model, names in CATALOGUE_FIELDS.items()
    }
    for model in (Exercise, Routine):
        links = ("slug", "contraindications__slug")
        rows[f"{model._meta.label} warnings"] = list(
            model.objects.order_by(*links).values_list(*links)
        )
    return rows


# A first load, a second, and --reset


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
    assert "Bridges" not in html(client.get("/routines/beginner/"))
    objects = seed_objects()
    objects += [new_exercise("bridges"), new_step("beginner", "bridges", 7)]

    with django_capture_on_commit_callbacks(execute=True):
        load(write_fixture(tmp_path, objects))

    assert "Bridges" in html(client.get("/routines/beginner/"))


# Rows an editor deleted or moved


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


# Broken files change nothing


def test_a_missing_file_is_a_command_error(db, tmp_path):
    missing = tmp_path / "nowhere.json"

    with pytest.raises(CommandError, match="Cannot read the catalogue") as error:
        load(str(missing))

    assert str(missing) in str(error.value)
    assert counts() == dict.fromkeys(counts(), 0)


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


@pytest.mark.servers
@needs_postgresql
def test_load_catalogue_works_with_the_cache_down(transactional_db):
    closed = free_port()
    result = subprocess.run(
        [*MANAGE, "load_catalogue"],
        env=production_env(
            DATABASE_URL=gunicorn_database_url(),
            REDIS_URL=f"redis://127.0.0.1:{closed}/0",
            DJANGO_SETTINGS_MODULE="tests.server_settings",
        ),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "Catalogue loaded: 35 created" in result.stdout
    # Nothing to tell the cache: the catalogue's version is in the database.
    assert "Traceback" not in result.stderr
    assert Routine.objects.count() == 4


# The aerobic routine's steps became alternatives (issue 27.9)

ALTERNATIVES = import_module("exercises.migrations.0005_routine_steps_are_alternatives")


def as_loaded_before(**changes):
    """The aerobic routine as a catalogue loaded before the field had it."""
    before = {"steps_are_alternatives": False, "summary": ALTERNATIVES.OLD_SUMMARY}
    Routine.objects.filter(slug="aerobic").update(**{**before, **changes})


def test_the_migration_offers_the_loaded_aerobic_steps_as_alternatives(catalogue):
    as_loaded_before()

    ALTERNATIVES.offer_the_seed_aerobic_steps_as_alternatives(apps, None)

    aerobic = Routine.objects.get(slug="aerobic")
    assert aerobic.steps_are_alternatives
    assert aerobic.summary == ALTERNATIVES.NEW_SUMMARY


def test_the_migration_keeps_an_editors_summary(catalogue):
    as_loaded_before(summary="Our own words.")

    ALTERNATIVES.offer_the_seed_aerobic_steps_as_alternatives(apps, None)

    aerobic = Routine.objects.get(slug="aerobic")
    assert aerobic.steps_are_alternatives
    assert aerobic.summary == "Our own words."


def test_the_migration_leaves_an_aerobic_routine_an_editor_rebuilt(catalogue):
    as_loaded_before()
    RoutineStep.objects.filter(routine__slug="aerobic", order=2).delete()

    ALTERNATIVES.offer_the_seed_aerobic_steps_as_alternatives(apps, None)

    aerobic = Routine.objects.get(slug="aerobic")
    assert not aerobic.steps_are_alternatives
    assert aerobic.summary == ALTERNATIVES.OLD_SUMMARY


def test_a_later_load_keeps_an_editors_choice_of_running_both(catalogue):
    Routine.objects.filter(slug="aerobic").update(steps_are_alternatives=False)

    call_command("load_catalogue", stdout=io.StringIO())

    assert not Routine.objects.get(slug="aerobic").steps_are_alternatives


# Languages: a language a row has no text in is filled; an editor's stays


def test_a_kept_row_takes_the_chinese_it_has_none_in_and_keeps_an_editors(catalogue):
    # A catalogue loaded before the Chinese columns had texts, and an editor's
    # own Chinese on another row.
    Exercise.objects.filter(slug="ankle-pumps").update(name_zh_hans=None)
    Exercise.objects.filter(slug="heel-slides").update(name_zh_hans="脚跟滑动（编辑）")
    Routine.objects.filter(slug="beginner").update(summary_zh_hans="")

    out = load()

    names = dict(Exercise.objects.values_list("slug", "name_zh_hans"))
    assert names["ankle-pumps"] == "踝泵运动"
    assert names["heel-slides"] == "脚跟滑动（编辑）"
    assert Routine.objects.get(slug="beginner").summary_zh_hans
    assert (
        "Kept rows given the fixture's text in a language they had none in: 2." in out
    )
    assert "35 kept as they were" in out
    # A second load has nothing left to fill.
    assert load().count("in a language they had none in") == 0
