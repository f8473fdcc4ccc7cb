"""
Red flags come before exercise: asked first, said first, kept as catalogue data.

The signs come from the NICE Clinical Knowledge Summary “Back pain – low
(without radiculopathy)”; a yes to any of them means seeking medical advice
before exercising, urgently for the bladder, bowel and saddle-area signs.
"""

import re

import pytest
from django.test import Client

from accounts import services
from exercises.models import Contraindication, Severity
from tests.factories import CompletedSessionFactory, UserFactory
from tests.helpers import html, text_of

RED_FLAGS = {
    "bladder-bowel": Severity.URGENT,
    "saddle-numbness": Severity.URGENT,
    "leg-weakness": Severity.RED_FLAG,
    "fever-unwell": Severity.RED_FLAG,
    "cancer-history": Severity.RED_FLAG,
    "weight-loss": Severity.RED_FLAG,
    "fall-injury": Severity.RED_FLAG,
}
URGENT = "Get medical help urgently, before any exercise"
SEE_A_DOCTOR = "See a doctor before you exercise"
ROUTINES = ["beginner", "intermediate", "advanced", "aerobic"]


@pytest.fixture
def flags(catalogue):
    return {warning.slug: warning for warning in Contraindication.objects.red_flags()}


def person_with(*warnings):
    client = Client()
    user = UserFactory()
    services.screening_update(user=user, conditions=list(warnings))
    client.force_login(user)
    return client, user


def test_the_catalogue_carries_the_seven_nice_red_flags_with_questions(flags):
    assert {slug: flag.severity for slug, flag in flags.items()} == RED_FLAGS
    for flag in flags.values():
        assert flag.screening_question.endswith("?")
        assert flag.description
    # Not attached to one routine: they are asked of everyone, before any routine.
    assert not Contraindication.objects.general().filter(slug__in=RED_FLAGS)


def test_the_urgent_flags_come_first(flags):
    assert [flag.slug for flag in Contraindication.objects.red_flags()][:2] == [
        "bladder-bowel",
        "saddle-numbness",
    ]


def test_the_screening_asks_the_red_flags_before_the_exercise_warnings(
    flags, signed_in
):
    page = html(signed_in.get("/accounts/screening/"))

    questions = [
        warning.screening_question for warning in Contraindication.objects.screened()
    ]
    positions = [page.index(question) for question in questions]
    assert positions == sorted(positions)
    assert page.index("signs to see a doctor about") < page.index(
        flags["bladder-bowel"].screening_question
    )
    nerve = Contraindication.objects.get(slug="nerve-pain-legs")
    assert (
        page.index(flags["fall-injury"].screening_question)
        < page.index("about the exercises")
        < page.index(nerve.screening_question)
    )


@pytest.mark.parametrize("slug", ROUTINES)
def test_a_visitor_sees_every_red_flag_on_the_safety_check(flags, client, slug):
    response = client.get(f"/routines/{slug}/guide/")

    page = text_of(response)
    assert response.status_code == 200
    assert "see a doctor instead if you have any of these" in page
    for flag in flags.values():
        assert flag.title in page
    assert page.count("Urgent, today:") == 2
    # The red flags come before the routine's own warnings.
    assert page.index(flags["fall-injury"].title) < page.index("Consult a doctor")


def urgent_first(page, before):
    """The urgent alert is on the page and comes before ``before``."""
    return URGENT in page and page.index(URGENT) < page.index(before)


def test_an_urgent_yes_is_said_first_on_the_dashboard(flags):
    client, user = person_with(flags["saddle-numbness"])
    CompletedSessionFactory(user=user)

    page = text_of(client.get("/progress/"))

    assert urgent_first(page, "This week")
    assert flags["saddle-numbness"].title in page
    assert flags["saddle-numbness"].description in page


def test_an_urgent_yes_is_said_first_on_the_routine_page(flags):
    client, _ = person_with(flags["bladder-bowel"])

    page = text_of(client.get("/routines/beginner/"))

    assert urgent_first(page, "Consult a doctor:")
    assert urgent_first(page, "Steps")


def test_an_urgent_yes_is_said_first_on_the_safety_check(flags):
    client, _ = person_with(flags["bladder-bowel"])

    page = text_of(client.get("/routines/beginner/guide/"))

    assert urgent_first(page, "Please read every warning below")
    # Their own answers replace the general list they were asked already.
    assert "see a doctor instead if you have any of these" not in page


def test_an_other_red_flag_says_to_see_a_doctor_before_exercising(flags):
    client, _ = person_with(flags["weight-loss"])

    for path in ("/progress/", "/routines/aerobic/", "/routines/aerobic/guide/"):
        page = text_of(client.get(path))
        assert SEE_A_DOCTOR in page, path
        assert URGENT not in page, path
        assert flags["weight-loss"].title in page, path


def test_no_red_flag_no_alert(flags, catalogue):
    nerve = Contraindication.objects.get(slug="nerve-pain-legs")
    client, _ = person_with(nerve)

    for path in ("/progress/", "/routines/beginner/", "/routines/beginner/guide/"):
        page = text_of(client.get(path))
        assert URGENT not in page
        assert SEE_A_DOCTOR not in page


def test_an_editor_changes_a_red_flag_in_admin_and_the_safety_check_shows_it(
    flags, client, django_capture_on_commit_callbacks
):
    editor = Client()
    editor.force_login(UserFactory(is_staff=True, is_superuser=True))
    flag = flags["fever-unwell"]
    client.get("/routines/beginner/guide/")  # warm the cache

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            f"/admin/exercises/contraindication/{flag.pk}/change/",
            {
                "slug": flag.slug,
                "title": "A high temperature, or feeling unwell",
                "description": flag.description,
                "severity": flag.severity,
                "screening_question": flag.screening_question,
                "_save": "Save",
            },
        )

    assert response.status_code == 302
    page = text_of(client.get("/routines/beginner/guide/"))
    assert "A high temperature, or feeling unwell" in page
    assert flag.title not in page


def test_the_about_page_names_the_nice_summary(client, catalogue):
    page = text_of(client.get("/about/"))

    assert "NICE" in page
    assert "Clinical Knowledge Summary “Back pain – low (without radiculopathy)”" in (
        page
    )
    assert "“Simple back massage technique”" in page


def test_the_red_flag_list_is_a_list_with_a_heading(flags, client):
    markup = html(client.get("/routines/beginner/guide/"))

    section = re.search(
        r'<section class="[^"]*red-flag-list[^"]*".*?</section>', markup, re.DOTALL
    ).group(0)
    assert 'aria-labelledby="red-flag-list-title"' in section
    assert section.count("<li>") == len(RED_FLAGS)


def test_a_person_who_has_not_answered_the_screening_sees_the_red_flag_list(flags):
    client = Client()
    client.force_login(UserFactory())

    page = text_of(client.get("/routines/beginner/guide/"))

    assert "see a doctor instead if you have any of these" in page
