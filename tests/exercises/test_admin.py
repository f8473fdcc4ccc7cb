import re
from html import unescape

import pytest
from django.test import Client

from exercises.models import Contraindication, Exercise, Routine, RoutineStep
from tests.factories import UserFactory

STEP_FIELDS = [
    "order",
    "exercise",
    "repetitions",
    "hold_seconds",
    "duration_min_minutes",
    "duration_max_minutes",
]


@pytest.fixture
def editor_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def change_form_data(routine):
    """The Routine change form as the browser would post it, unchanged."""
    steps = list(routine.steps.order_by("order"))
    data = {
        "slug": routine.slug,
        "title": routine.title,
        "summary": routine.summary,
        "kind": routine.kind,
        "level": routine.level,
        "cues": routine.cues,
        "contraindications": [c.pk for c in routine.contraindications.all()],
        "steps-TOTAL_FORMS": len(steps),
        "steps-INITIAL_FORMS": len(steps),
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    for n, step in enumerate(steps):
        data[f"steps-{n}-id"] = step.pk
        data[f"steps-{n}-routine"] = routine.pk
        if step.each_side:
            data[f"steps-{n}-each_side"] = "on"
        for field in STEP_FIELDS:
            value = getattr(step, RoutineStep._meta.get_field(field).attname)
            data[f"steps-{n}-{field}"] = "" if value is None else value
    return data


def text_of(response):
    without_tags = re.sub(r"<[^>]*>", " ", response.content.decode())
    return re.sub(r"\s+", " ", unescape(without_tags)).replace(" ,", ",")


def input_values(html):
    """The name → value of every <input> on a page."""
    values = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name = re.search(r'\bname="([^"]*)"', tag)
        value = re.search(r'\bvalue="([^"]*)"', tag)
        if name:
            values[name.group(1)] = unescape(value.group(1)) if value else ""
    return values


def test_the_routine_change_page_shows_the_steps_inline(editor_client, catalogue):
    beginner = Routine.objects.get(slug="beginner")

    response = editor_client.get(f"/admin/exercises/routine/{beginner.pk}/change/")

    assert response.status_code == 200
    inputs = input_values(response.content.decode())
    assert inputs["steps-TOTAL_FORMS"] == "6"
    assert inputs["steps-INITIAL_FORMS"] == "6"
    assert [inputs[f"steps-{n}-order"] for n in range(6)] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
    ]
    assert inputs["steps-2-repetitions"] == "10"
    assert inputs["steps-2-hold_seconds"] == "5"


def test_the_hand_built_form_matches_the_page(editor_client, catalogue):
    beginner = Routine.objects.get(slug="beginner")

    response = editor_client.get(f"/admin/exercises/routine/{beginner.pk}/change/")

    inputs = input_values(response.content.decode())
    for name, value in change_form_data(beginner).items():
        if name.startswith("steps-") and not name.endswith("exercise"):
            assert inputs[name] == str(value), name


def test_an_editor_changes_a_dose_and_visitors_see_it_at_once(
    editor_client, catalogue, django_capture_on_commit_callbacks
):
    visitor = Client()
    held = "10 repetitions, hold 5 seconds each"
    assert visitor.get("/routines/beginner/").content.decode().count(held) == 3
    beginner = Routine.objects.get(slug="beginner")
    data = change_form_data(beginner)
    assert data["steps-2-repetitions"] == 10
    data["steps-2-repetitions"] = 12

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            f"/admin/exercises/routine/{beginner.pk}/change/", data
        )

    assert response.status_code == 302
    assert response["Location"] == "/admin/exercises/routine/"
    step = RoutineStep.objects.get(routine=beginner, order=3)
    assert (step.exercise.slug, step.repetitions) == ("abdominal-contraction", 12)
    page = visitor.get("/routines/beginner/").content.decode()
    assert "12 repetitions, hold 5 seconds each" in page
    assert page.count(held) == 2
    exercise_page = visitor.get("/exercises/abdominal-contraction/")
    assert "Beginner, step 3: 12 repetitions, hold 5 seconds each" in (
        text_of(exercise_page)
    )


def test_an_editor_renames_an_exercise_and_visitors_see_it_at_once(
    editor_client, catalogue, django_capture_on_commit_callbacks
):
    visitor = Client()
    assert "Heel raises" in visitor.get("/").content.decode()
    assert "Heel raises" in visitor.get("/routines/beginner/").content.decode()
    heel_raises = Exercise.objects.get(slug="heel-raises")
    data = {
        "slug": heel_raises.slug,
        "name": "Calf raises",
        "position": heel_raises.position,
        "instructions": heel_raises.instructions,
        "cues": heel_raises.cues,
        "_save": "Save",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            f"/admin/exercises/exercise/{heel_raises.pk}/change/", data
        )

    assert response.status_code == 302
    for url in ["/", "/routines/beginner/"]:
        page = visitor.get(url).content.decode()
        assert "Calf raises" in page, url
        assert "Heel raises" not in page, url


def test_an_impossible_dose_in_the_admin_is_refused_with_a_message(
    editor_client, catalogue
):
    beginner = Routine.objects.get(slug="beginner")
    data = change_form_data(beginner)
    data["steps-2-repetitions"] = ""

    response = editor_client.post(
        f"/admin/exercises/routine/{beginner.pk}/change/", data
    )

    assert response.status_code == 200
    assert "Please correct the error below." in response.content.decode()
    assert RoutineStep.objects.get(routine=beginner, order=3).repetitions == 10


def test_two_steps_with_the_same_order_in_the_admin_are_refused(
    editor_client, catalogue
):
    beginner = Routine.objects.get(slug="beginner")
    data = change_form_data(beginner)
    data["steps-1-order"] = 1

    response = editor_client.post(
        f"/admin/exercises/routine/{beginner.pk}/change/", data
    )

    assert response.status_code == 200
    assert "Please correct the" in response.content.decode()
    assert list(beginner.steps.values_list("order", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_the_routine_change_page_links_to_the_site(editor_client, catalogue):
    beginner = Routine.objects.get(slug="beginner")

    response = editor_client.get(f"/admin/exercises/routine/{beginner.pk}/change/")

    match = re.search(
        r'<a href="([^"]+)" class="viewsitelink"', response.content.decode()
    )
    assert match, "no View on site link"
    assert editor_client.get(match.group(1), follow=True).redirect_chain[-1] == (
        "http://testserver/routines/beginner/",
        302,
    )


@pytest.mark.parametrize(
    ("url", "shown", "not_shown"),
    [
        ("/admin/exercises/routine/", ["Beginner", "Aerobic"], []),
        ("/admin/exercises/routine/?q=treadmill", ["Aerobic"], ["Beginner"]),
        ("/admin/exercises/routine/?q=yoga", [], ["Beginner", "Aerobic"]),
        ("/admin/exercises/routine/?q=knee-to-chest", ["Intermediate"], ["Beginner"]),
        ("/admin/exercises/routine/?kind__exact=aerobic", ["Aerobic"], ["Beginner"]),
        ("/admin/exercises/exercise/", ["Ankle pumps", "Treadmill"], []),
        ("/admin/exercises/exercise/?q=bed", ["Hip flexor stretch"], ["Treadmill"]),
        (
            "/admin/exercises/exercise/?steps__routine__id__exact={aerobic}",
            ["Stationary bike", "Treadmill"],
            ["Ankle pumps"],
        ),
        (
            "/admin/exercises/exercise/?contraindications__id__exact={nerve}",
            ["Straight-leg raises"],
            ["Ankle pumps"],
        ),
        (
            "/admin/exercises/contraindication/",
            ["Damage to a spinal disc", "Nerve pain running down the legs"],
            [],
        ),
        (
            "/admin/exercises/contraindication/?q=legs",
            ["Nerve pain running down the legs"],
            ["Damage to a spinal disc"],
        ),
        (
            "/admin/exercises/contraindication/?severity__exact=consult",
            ["Damage to a spinal disc"],
            ["Nerve pain running down the legs"],
        ),
    ],
)
def test_changelists_search_and_filter(editor_client, catalogue, url, shown, not_shown):
    url = url.format(
        aerobic=Routine.objects.get(slug="aerobic").pk,
        nerve=Contraindication.objects.get(slug="nerve-pain-legs").pk,
    )

    response = editor_client.get(url)

    assert response.status_code == 200
    results = re.search(
        r'<table id="result_list">.*?</table>', response.content.decode(), re.S
    )
    rows = results.group(0) if results else ""
    for text in shown:
        assert text in rows, text
    for text in not_shown:
        assert text not in rows, text
    if not shown:
        assert "0 results" in response.content.decode()


def test_the_routine_changelist_counts_steps(editor_client, catalogue):
    response = editor_client.get("/admin/exercises/routine/")

    cells = re.findall(
        r'<td class="field-step_count">(\d+)</td>', response.content.decode()
    )
    assert cells == ["6", "1", "2", "2"]


def test_the_admin_is_closed_to_people_who_are_not_staff(client, db):
    client.force_login(UserFactory())

    response = client.get("/admin/exercises/routine/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_editor_can_log_in_with_the_factory_password(client, db):
    UserFactory(username="editor", is_staff=True, is_superuser=True)

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": "correct horse battery staple"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("model", "source"),
    [("routine", "title"), ("exercise", "name"), ("contraindication", "title")],
)
def test_add_pages_fill_the_slug_from_the_title(editor_client, db, model, source):
    page = editor_client.get(f"/admin/exercises/{model}/add/").content.decode()

    constants = re.search(r'data-prepopulated-fields="([^"]*)"', page)
    assert constants, "no prepopulated fields on the add page"
    fields = unescape(constants.group(1))
    assert '"id": "#id_slug"' in fields
    assert f'"dependency_ids": ["#id_{source}"]' in fields


def test_the_exercise_change_page_edits_its_warnings(editor_client, catalogue):
    exercise = Exercise.objects.get(slug="straight-leg-raises")
    nerve_pain = Contraindication.objects.get(slug="nerve-pain-legs")

    page = editor_client.get(
        f"/admin/exercises/exercise/{exercise.pk}/change/"
    ).content.decode()

    select = re.search(
        r'<select name="contraindications"[^>]*>(.*?)</select>', page, re.S
    )
    assert select, "no contraindications field on the exercise form"
    assert f'<option value="{nerve_pain.pk}" selected>' in select.group(1)
