import re
from html import unescape

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from accounts.models import ScreeningAnswer
from exercises.models import Contraindication, Exercise, Routine, RoutineStep
from tests.factories import (
    PASSWORD,
    ExerciseFactory,
    RoutineFactory,
    RoutineStepFactory,
    UserFactory,
)
from tests.helpers import admin_fields, articles_of, assert_in_order, text_of

RETIRABLE = ["slug", "title", "description", "severity", "screening_question"]
STEP_FIELDS = [
    "order",
    "exercise",
    "repetitions",
    "hold_seconds",
    "duration_min_minutes",
    "duration_max_minutes",
    "rest_seconds",
    "switch_seconds",
]


@pytest.fixture
def cycling(practice):
    """An aerobic routine of one step beside the practice routine."""
    routine = RoutineFactory(
        slug="cycling",
        title="Cycling",
        summary="Steady cycling on a stationary bike.",
        kind=Routine.Kind.AEROBIC,
        level=60,
    )
    bike = ExerciseFactory(
        slug="stationary-bike", name="Stationary bike", position="Seated on the bike"
    )
    RoutineStepFactory(routine=routine, exercise=bike, order=1)
    return routine


@pytest.fixture
def answered_warning(practice):
    """The sciatica warning, which two people answered “yes” to."""
    sciatica = Contraindication.objects.get(slug="sciatica")
    for username in ["jordan.answered", "casey.answered"]:
        UserFactory(username=username).conditions.add(sciatica)
    return sciatica


def change_url(routine):
    return f"/admin/exercises/routine/{routine.pk}/change/"


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
    data = admin_fields(Routine, data)
    for n, step in enumerate(steps):
        data[f"steps-{n}-id"] = step.pk
        data[f"steps-{n}-routine"] = routine.pk
        if step.each_side:
            data[f"steps-{n}-each_side"] = "on"
        for field in STEP_FIELDS:
            value = getattr(step, RoutineStep._meta.get_field(field).attname)
            data[f"steps-{n}-{field}"] = "" if value is None else value
    return data


def input_values(markup):
    """The name → value of every <input> on a page, as the browser posts it."""
    values = {}
    for tag in re.findall(r"<input\b[^>]*>", markup):
        name = re.search(r'\bname="([^"]*)"', tag)
        value = re.search(r'\bvalue="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if name and re.search(r"\bchecked\b", tag):
                values[name.group(1)] = unescape(value.group(1)) if value else "on"
        elif name:
            values[name.group(1)] = unescape(value.group(1)) if value else ""
    return values


def test_the_routine_change_page_shows_the_steps_inline(admin_client, practice):
    response = admin_client.get(change_url(practice))

    assert response.status_code == 200
    inputs = input_values(response.content.decode())
    assert inputs["steps-TOTAL_FORMS"] == "4"
    assert inputs["steps-INITIAL_FORMS"] == "4"
    assert [inputs[f"steps-{n}-order"] for n in range(4)] == ["1", "2", "3", "4"]
    assert inputs["steps-1-repetitions"] == "5"
    assert inputs["steps-1-hold_seconds"] == "6"
    assert inputs["steps-3-duration_min_minutes"] == "10"
    assert inputs["steps-3-duration_max_minutes"] == "15"


def test_the_hand_built_form_matches_the_page(admin_client, practice):
    response = admin_client.get(change_url(practice))

    inputs = input_values(response.content.decode())
    for name, value in change_form_data(practice).items():
        if name.startswith("steps-") and not name.endswith("exercise"):
            assert inputs[name] == str(value), name


def test_an_editor_changes_a_dose_and_visitors_see_it_at_once(
    admin_client, practice, django_capture_on_commit_callbacks
):
    visitor = Client()
    before = articles_of(visitor.get("/routines/practice/"))
    assert "Dose: 5 repetitions, hold 6 seconds each" in before["step-2"]
    data = change_form_data(practice)
    assert data["steps-1-repetitions"] == 5
    data["steps-1-repetitions"] = 12

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change_url(practice), data)

    assert response.status_code == 302
    assert response["Location"] == "/admin/exercises/routine/"
    step = RoutineStep.objects.get(routine=practice, order=2)
    assert (step.exercise.slug, step.repetitions) == ("bridge", 12)
    after = articles_of(visitor.get("/routines/practice/"))
    assert after["step-2"] == before["step-2"].replace(
        "5 repetitions", "12 repetitions"
    )
    assert {n: text for n, text in after.items() if n != "step-2"} == {
        n: text for n, text in before.items() if n != "step-2"
    }
    assert "Practice, step 2: 12 repetitions, hold 6 seconds each" in (
        text_of(visitor.get("/exercises/bridge/"))
    )


def test_an_editor_renames_an_exercise_and_visitors_see_it_at_once(
    admin_client, practice, django_capture_on_commit_callbacks
):
    visitor = Client()
    assert "Knee rocks" in visitor.get("/").content.decode()
    assert "Knee rocks" in visitor.get("/routines/practice/").content.decode()
    knee_rocks = Exercise.objects.get(slug="knee-rocks")
    data = admin_fields(
        Exercise,
        {
            "slug": knee_rocks.slug,
            "name": "Hip rolls",
            "position": knee_rocks.position,
            "instructions": knee_rocks.instructions,
            "cues": knee_rocks.cues,
            "_save": "Save",
        },
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/exercises/exercise/{knee_rocks.pk}/change/", data
        )

    assert response.status_code == 302
    for url in ["/", "/routines/practice/"]:
        page = visitor.get(url).content.decode()
        assert "Hip rolls" in page, url
        assert "Knee rocks" not in page, url


def test_an_impossible_dose_in_the_admin_is_refused_with_a_message(
    admin_client, practice
):
    data = change_form_data(practice)
    data["steps-1-repetitions"] = ""  # a hold of 6 seconds, held no times

    response = admin_client.post(change_url(practice), data)

    assert response.status_code == 200
    assert "Please correct the error below." in response.content.decode()
    assert RoutineStep.objects.get(routine=practice, order=2).repetitions == 5


def test_two_steps_with_the_same_order_in_the_admin_are_refused(admin_client, practice):
    data = change_form_data(practice)
    data["steps-1-order"] = 1

    response = admin_client.post(change_url(practice), data)

    assert response.status_code == 200
    assert "Please correct the" in response.content.decode()
    assert list(practice.steps.values_list("order", flat=True)) == [1, 2, 3, 4]


def test_the_routine_change_page_links_to_the_site(admin_client, practice):
    response = admin_client.get(change_url(practice))

    match = re.search(
        r'<a href="([^"]+)" class="viewsitelink"', response.content.decode()
    )
    assert match, "no View on site link"
    assert admin_client.get(match.group(1), follow=True).redirect_chain[-1] == (
        "http://testserver/routines/practice/",
        302,
    )


@pytest.mark.parametrize(
    ("url", "shown", "not_shown"),
    [
        ("/admin/exercises/routine/", ["Practice", "Cycling"], []),
        ("/admin/exercises/routine/?q=bike", ["Cycling"], ["Practice"]),
        ("/admin/exercises/routine/?q=yoga", [], ["Practice", "Cycling"]),
        ("/admin/exercises/routine/?q=testing", ["Practice"], ["Cycling"]),
        ("/admin/exercises/routine/?kind__exact=aerobic", ["Cycling"], ["Practice"]),
        ("/admin/exercises/exercise/", ["Knee rocks", "Stationary bike"], []),
        ("/admin/exercises/exercise/?q=seated", ["Stationary bike"], ["Knee rocks"]),
        (
            "/admin/exercises/exercise/?steps__routine__id__exact={cycling}",
            ["Stationary bike"],
            ["Knee rocks"],
        ),
        (
            "/admin/exercises/exercise/?contraindications__id__exact={sciatica}",
            ["Leg stretch"],
            ["Knee rocks"],
        ),
        ("/admin/exercises/contraindication/", ["Recent surgery", "Sciatica"], []),
        (
            "/admin/exercises/contraindication/?q=leg",
            ["Sciatica"],
            ["Recent surgery"],
        ),
        (
            "/admin/exercises/contraindication/?severity__exact=consult",
            ["Recent surgery"],
            ["Sciatica"],
        ),
    ],
)
def test_changelists_search_and_filter(admin_client, cycling, url, shown, not_shown):
    url = url.format(
        cycling=cycling.pk,
        sciatica=Contraindication.objects.get(slug="sciatica").pk,
    )

    response = admin_client.get(url)

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


def test_the_routine_changelist_counts_steps(admin_client, cycling):
    response = admin_client.get("/admin/exercises/routine/")

    cells = re.findall(
        r'<td class="field-step_count">(\d+)</td>', response.content.decode()
    )
    assert cells == ["4", "1"]


def test_the_admin_is_closed_to_people_who_are_not_staff(client, db):
    client.force_login(UserFactory())

    response = client.get("/admin/exercises/routine/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_editor_can_log_in_with_the_factory_password(client, db):
    UserFactory(username="editor", is_staff=True, is_superuser=True)

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("model", "source"),
    [("routine", "title"), ("exercise", "name"), ("contraindication", "title")],
)
def test_add_pages_fill_the_slug_from_the_title(admin_client, db, model, source):
    page = admin_client.get(f"/admin/exercises/{model}/add/").content.decode()

    constants = re.search(r'data-prepopulated-fields="([^"]*)"', page)
    assert constants, "no prepopulated fields on the add page"
    fields = unescape(constants.group(1))
    assert '"id": "#id_slug"' in fields
    assert f'"dependency_ids": ["#id_{source}_en_gb"]' in fields


def test_the_exercise_change_page_edits_its_warnings(admin_client, practice):
    exercise = Exercise.objects.get(slug="leg-stretch")
    sciatica = Contraindication.objects.get(slug="sciatica")

    page = admin_client.get(
        f"/admin/exercises/exercise/{exercise.pk}/change/"
    ).content.decode()

    select = re.search(
        r'<select name="contraindications"[^>]*>(.*?)</select>', page, re.S
    )
    assert select, "no contraindications field on the exercise form"
    assert f'<option value="{sciatica.pk}" selected>' in select.group(1)


ANSWERED = (
    "People have answered its screening question. Their answers are kept, so it "
    "cannot be deleted: edit it, or tick Retired so it is no longer shown or asked."
)


def assert_no_count_of_people(page):
    """Editors see nothing about people: not even how many answered."""
    assert not re.search(r"\b\d+ (people|person)\b", text_of(page))


def test_a_warning_people_answered_cannot_be_deleted(
    content_editor_client, answered_warning
):
    url = f"/admin/exercises/contraindication/{answered_warning.pk}/delete/"

    page = content_editor_client.get(url)
    response = content_editor_client.post(url, {"post": "yes"})

    assert page.status_code == 200
    assert ANSWERED in text_of(page)
    assert 'name="post"' not in page.content.decode()  # no confirm button
    assert response.status_code == 200
    assert ANSWERED in text_of(response)
    for shown in [page, response]:
        assert "jordan" not in shown.content.decode()
        assert "casey" not in shown.content.decode()
        assert_no_count_of_people(shown)
    assert Contraindication.objects.filter(pk=answered_warning.pk).exists()
    assert (
        ScreeningAnswer.objects.filter(contraindication=answered_warning).count() == 2
    )


def test_warnings_people_answered_cannot_be_deleted_together(
    content_editor_client, answered_warning
):
    surgery = Contraindication.objects.get(slug="recent-surgery")
    UserFactory(username="robin.answered").conditions.add(surgery)
    data = {
        "action": "delete_selected",
        "_selected_action": [answered_warning.pk, surgery.pk],
    }

    page = content_editor_client.post("/admin/exercises/contraindication/", data)
    response = content_editor_client.post(
        "/admin/exercises/contraindication/", {**data, "post": "yes"}
    )

    assert page.status_code == 200
    assert f"Sciatica: {ANSWERED}" in text_of(page)
    assert f"Recent surgery: {ANSWERED}" in text_of(page)
    assert response.status_code == 200
    assert f"Sciatica: {ANSWERED}" in text_of(response)
    for shown in [page, response]:
        for username in ["jordan", "casey", "robin"]:
            assert username not in shown.content.decode()
        assert_no_count_of_people(shown)
    assert (
        Contraindication.objects.filter(
            pk__in=[answered_warning.pk, surgery.pk]
        ).count()
        == 2
    )
    assert ScreeningAnswer.objects.count() == 3


def test_a_warning_nobody_answered_can_be_deleted(
    content_editor_client, practice, django_capture_on_commit_callbacks
):
    sciatica = Contraindication.objects.get(slug="sciatica")
    url = f"/admin/exercises/contraindication/{sciatica.pk}/delete/"

    page = content_editor_client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = content_editor_client.post(url, {"post": "yes"})

    assert page.status_code == 200
    assert "Are you sure you want to delete the contraindication" in text_of(page)
    assert response.status_code == 302
    assert not Contraindication.objects.filter(slug="sciatica").exists()
    assert (
        sciatica.description not in Client().get("/routines/practice/").content.decode()
    )


def test_the_warning_changelist_shows_and_filters_retired_warnings(
    content_editor_client, practice
):
    Contraindication.objects.filter(slug="recent-surgery").update(retired=True)

    response = content_editor_client.get(
        "/admin/exercises/contraindication/?retired__exact=1"
    )

    assert response.status_code == 200
    page = response.content.decode()
    rows = re.search(r'<table id="result_list">.*?</table>', page, re.S).group(0)
    assert "Recent surgery" in rows
    assert "Sciatica" not in rows
    assert '<td class="field-retired">' in rows
    assert "By retired" in page


def test_a_retired_warning_is_no_longer_shown_or_asked(
    content_editor_client, answered_warning, django_capture_on_commit_callbacks
):
    sciatica = answered_warning
    surgery = Contraindication.objects.get(slug="recent-surgery")
    person = UserFactory(username="jordan.screened")
    person.conditions.add(sciatica, surgery)
    screened = Client()
    screened.force_login(person)
    shown = {
        "/": [surgery.description],
        "/routines/practice/": [sciatica.description, surgery.description],
        "/exercises/leg-stretch/": [sciatica.description],
        "/routines/practice/guide/": [sciatica.description, surgery.description],
        "/accounts/screening/": [
            sciatica.screening_question,
            surgery.screening_question,
        ],
    }
    for url, texts in shown.items():
        page = unescape(screened.get(url).content.decode())
        assert all(text in page for text in texts), url

    for warning in [sciatica, surgery]:
        with django_capture_on_commit_callbacks(execute=True):
            response = content_editor_client.post(
                f"/admin/exercises/contraindication/{warning.pk}/change/",
                admin_fields(
                    Contraindication,
                    {
                        **model_to_dict(warning, fields=RETIRABLE),
                        "retired": "on",
                        "_save": "Save",
                    },
                ),
            )
        assert response.status_code == 302

    retired_text = [
        text
        for warning in [sciatica, surgery]
        for text in [warning.title, warning.description, warning.screening_question]
    ]
    public = [url for url in shown if not url.startswith("/accounts/")]
    for client, urls in [(Client(), public), (screened, list(shown))]:
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            page = unescape(response.content.decode())
            for text in retired_text:
                assert text not in page, (url, text)
    assert set(
        ScreeningAnswer.objects.filter(user=person).values_list(
            "contraindication__slug", flat=True
        )
    ) == {"sciatica", "recent-surgery"}


def step_names(routine):
    return list(
        routine.steps.order_by("order").values_list("exercise__slug", flat=True)
    )


@pytest.mark.parametrize(
    "new_orders",
    [
        {1: 4, 3: 2},  # swap steps 2 and 4 (form index 1 and 3)
        {0: 2, 1: 3, 2: 1},  # rotate the first three
        {n: 4 - n for n in range(4)},  # reverse all four
    ],
)
def test_an_editor_reorders_steps_in_one_save(
    admin_client, practice, django_capture_on_commit_callbacks, new_orders
):
    visitor = Client()
    before = step_names(practice)
    visitor.get("/routines/practice/")  # cached as it was
    data = change_form_data(practice)
    for index, order in new_orders.items():
        data[f"steps-{index}-order"] = order

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change_url(practice), data)

    assert response.status_code == 302
    expected = {
        new_orders.get(index, index + 1): slug for index, slug in enumerate(before)
    }
    after = [expected[order] for order in sorted(expected)]
    assert step_names(practice) == after
    assert list(practice.steps.values_list("order", flat=True)) == [1, 2, 3, 4]
    page = text_of(visitor.get("/routines/practice/"))
    names = [Exercise.objects.get(slug=slug).name for slug in after]
    assert_in_order(page, [f"{n}. {name}" for n, name in enumerate(names, 1)])


def test_an_editor_moves_a_step_into_the_place_of_one_deleted_in_the_same_save(
    admin_client, practice
):
    data = change_form_data(practice)
    data["steps-3-DELETE"] = "on"  # the walk, step 4
    data["steps-0-order"] = 4  # knee rocks take its place
    data["steps-2-order"] = 1  # the leg stretch goes first

    response = admin_client.post(change_url(practice), data)

    assert response.status_code == 302
    assert step_names(practice) == ["leg-stretch", "bridge", "knee-rocks"]
    assert list(practice.steps.values_list("order", flat=True)) == [1, 2, 4]
