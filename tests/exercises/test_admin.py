import re
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import ScreeningAnswer
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


@pytest.fixture
def content_editor_client(client, db):
    """An editor as the site has them: the catalogue, and nothing of people."""
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="Content editors"))
    client.force_login(editor)
    return client


@pytest.fixture
def answered_warning(catalogue):
    """The nerve-pain warning, which two people answered “yes” to."""
    nerve_pain = Contraindication.objects.get(slug="nerve-pain-legs")
    for username in ["jordan.answered", "casey.answered"]:
        UserFactory(username=username).conditions.add(nerve_pain)
    return nerve_pain


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
    disc = Contraindication.objects.get(slug="disc-damage")
    UserFactory(username="robin.answered").conditions.add(disc)
    data = {
        "action": "delete_selected",
        "_selected_action": [answered_warning.pk, disc.pk],
    }

    page = content_editor_client.post("/admin/exercises/contraindication/", data)
    response = content_editor_client.post(
        "/admin/exercises/contraindication/", {**data, "post": "yes"}
    )

    assert page.status_code == 200
    assert f"Nerve pain running down the legs: {ANSWERED}" in text_of(page)
    assert f"Damage to a spinal disc: {ANSWERED}" in text_of(page)
    assert response.status_code == 200
    assert f"Nerve pain running down the legs: {ANSWERED}" in text_of(response)
    for shown in [page, response]:
        for username in ["jordan", "casey", "robin"]:
            assert username not in shown.content.decode()
        assert_no_count_of_people(shown)
    assert (
        Contraindication.objects.filter(pk__in=[answered_warning.pk, disc.pk]).count()
        == 2
    )
    assert ScreeningAnswer.objects.count() == 3


def test_a_warning_nobody_answered_can_be_deleted(
    content_editor_client, catalogue, django_capture_on_commit_callbacks
):
    nerve_pain = Contraindication.objects.get(slug="nerve-pain-legs")
    url = f"/admin/exercises/contraindication/{nerve_pain.pk}/delete/"

    page = content_editor_client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = content_editor_client.post(url, {"post": "yes"})

    assert page.status_code == 200
    assert "Are you sure you want to delete the contraindication" in text_of(page)
    assert response.status_code == 302
    assert not Contraindication.objects.filter(slug="nerve-pain-legs").exists()
    assert (
        nerve_pain.description
        not in Client().get("/routines/beginner/").content.decode()
    )


def test_the_warning_changelist_shows_and_filters_retired_warnings(
    content_editor_client, catalogue
):
    Contraindication.objects.filter(slug="disc-damage").update(retired=True)

    response = content_editor_client.get(
        "/admin/exercises/contraindication/?retired__exact=1"
    )

    assert response.status_code == 200
    page = response.content.decode()
    rows = re.search(r'<table id="result_list">.*?</table>', page, re.S).group(0)
    assert "Damage to a spinal disc" in rows
    assert "Nerve pain running down the legs" not in rows
    assert '<td class="field-retired">' in rows
    assert "By retired" in page


def test_a_retired_warning_is_no_longer_shown_or_asked(
    content_editor_client, answered_warning, django_capture_on_commit_callbacks
):
    nerve_pain = answered_warning
    disc = Contraindication.objects.get(slug="disc-damage")
    person = UserFactory(username="jordan.screened")
    person.conditions.add(nerve_pain, disc)
    screened = Client()
    screened.force_login(person)
    shown = {
        "/": [disc.description],
        "/routines/beginner/": [nerve_pain.description, disc.description],
        "/exercises/straight-leg-raises/": [nerve_pain.description],
        "/routines/beginner/guide/": [nerve_pain.description, disc.description],
        "/accounts/screening/": [
            nerve_pain.screening_question,
            disc.screening_question,
        ],
    }
    for url, texts in shown.items():
        page = unescape(screened.get(url).content.decode())
        assert all(text in page for text in texts), url

    for warning in [nerve_pain, disc]:
        with django_capture_on_commit_callbacks(execute=True):
            response = content_editor_client.post(
                f"/admin/exercises/contraindication/{warning.pk}/change/",
                {
                    "slug": warning.slug,
                    "title": warning.title,
                    "description": warning.description,
                    "severity": warning.severity,
                    "screening_question": warning.screening_question,
                    "retired": "on",
                    "_save": "Save",
                },
            )
        assert response.status_code == 302

    retired_text = [
        text
        for warning in [nerve_pain, disc]
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
    ) == {"nerve-pain-legs", "disc-damage"}


def step_names(routine):
    return list(
        routine.steps.order_by("order").values_list("exercise__slug", flat=True)
    )


@pytest.mark.parametrize(
    "new_orders",
    [
        {3: 6, 5: 4},  # swap steps 4 and 6 (form index 3 and 5)
        {0: 2, 1: 3, 2: 1},  # rotate the first three
        {n: 6 - n for n in range(6)},  # reverse all six
    ],
)
def test_an_editor_reorders_steps_in_one_save(
    editor_client, catalogue, django_capture_on_commit_callbacks, new_orders
):
    visitor = Client()
    beginner = Routine.objects.get(slug="beginner")
    before = step_names(beginner)
    visitor.get("/routines/beginner/")  # cached as it was
    data = change_form_data(beginner)
    for index, order in new_orders.items():
        data[f"steps-{index}-order"] = order

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            f"/admin/exercises/routine/{beginner.pk}/change/", data
        )

    assert response.status_code == 302
    expected = {
        new_orders.get(index, index + 1): slug for index, slug in enumerate(before)
    }
    after = [expected[order] for order in sorted(expected)]
    assert step_names(beginner) == after
    assert list(beginner.steps.values_list("order", flat=True)) == [1, 2, 3, 4, 5, 6]
    page = text_of(visitor.get("/routines/beginner/"))
    names = [Exercise.objects.get(slug=slug).name for slug in after]
    positions = [page.index(name) for name in names]
    assert positions == sorted(positions)


def test_an_editor_moves_a_step_into_the_place_of_one_deleted_in_the_same_save(
    editor_client, catalogue
):
    beginner = Routine.objects.get(slug="beginner")
    data = change_form_data(beginner)
    data["steps-5-DELETE"] = "on"  # straight-leg raises, step 6
    data["steps-0-order"] = 6  # ankle pumps take its place
    data["steps-4-order"] = 1  # heel raises go first

    response = editor_client.post(
        f"/admin/exercises/routine/{beginner.pk}/change/", data
    )

    assert response.status_code == 302
    assert step_names(beginner) == [
        "heel-raises",
        "heel-slides",
        "abdominal-contraction",
        "wall-squats",
        "ankle-pumps",
    ]
