from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from accounts.models import CompletedSession
from tests.accounts.traces import EMAIL, PERSON, log_in, traces
from tests.factories import (
    CompletedSessionFactory,
    ContraindicationFactory,
    RoutineFactory,
    StepResultFactory,
    UserFactory,
)
from tests.helpers import html, page_showing, text_of

CHANGELIST = "/admin/accounts/completedsession/"


@pytest.fixture
def session(db):
    session = CompletedSessionFactory(
        routine=RoutineFactory(title="Gentle"), notes="Private notes."
    )
    StepResultFactory(session=session, order=1, exercise_name="Ankle pumps")
    return session


# Sessions, as a superuser sees them


def test_sessions_changelist_filters_by_routine_and_date(admin_client, session):
    response = admin_client.get(CHANGELIST)

    page = html(response)
    assert response.status_code == 200
    assert "Gentle" in page
    assert "By routine" in page
    assert "By started at" in page
    assert f"routine__id__exact={session.routine.pk}" in page
    assert "started_at__gte=" in page


def test_sessions_changelist_filter_by_routine_narrows_the_list(admin_client, session):
    other = CompletedSessionFactory(routine=RoutineFactory(title="Brisk walk"))

    page = html(
        admin_client.get(f"{CHANGELIST}?routine__id__exact={session.routine.pk}")
    )

    assert "1 completed session" in page
    assert f"{CHANGELIST}{session.pk}/change/" in page
    assert f"{CHANGELIST}{other.pk}/change/" not in page


def test_sessions_cannot_be_added_in_admin(admin_client, session):
    assert "Add completed session" not in html(admin_client.get(CHANGELIST))
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_a_session_change_page_is_read_only(admin_client, session):
    response = admin_client.get(f"{CHANGELIST}{session.pk}/change/")

    page = page_showing(
        response, ["View completed session", "Private notes.", "Ankle pumps"]
    )
    for control in ['name="_save"', 'name="_continue"', '<textarea name="notes"']:
        assert control not in page


def test_posting_a_session_change_is_refused(admin_client, session):
    response = admin_client.post(
        f"{CHANGELIST}{session.pk}/change/",
        {"notes": "Edited by staff.", "pain_before": "0", "_save": "Save"},
    )

    assert response.status_code == 403
    session.refresh_from_db()
    assert session.notes == "Private notes."


def test_sessions_cannot_be_deleted_in_admin(admin_client, session):
    response = admin_client.post(f"{CHANGELIST}{session.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert CompletedSession.objects.filter(pk=session.pk).exists()
    assert "delete_selected" not in html(admin_client.get(CHANGELIST))


# The Content editors group


def test_the_content_editors_group_exists_after_migrations(db):
    assert Group.objects.filter(name="Content editors").exists()


def test_content_editors_may_change_the_catalogue_and_nothing_else(db):
    group = Group.objects.get(name="Content editors")

    codenames = set(
        group.permissions.values_list("content_type__app_label", "codename")
    )

    expected = {
        ("exercises", f"{action}_{model}")
        for action in ["add", "change", "delete", "view"]
        for model in ["contraindication", "exercise", "routine", "routinestep"]
    }
    assert codenames == expected
    assert not group.permissions.exclude(content_type__app_label="exercises").exists()
    assert Permission.objects.filter(codename="view_completedsession").exists()


def test_an_editor_can_open_the_catalogue(content_editor_client, practice):
    for url in [
        "/admin/exercises/routine/",
        "/admin/exercises/exercise/",
        "/admin/exercises/contraindication/",
    ]:
        assert content_editor_client.get(url).status_code == 200


def test_an_editor_cannot_see_sessions(content_editor_client, session):
    assert content_editor_client.get(CHANGELIST).status_code == 403
    assert (
        content_editor_client.get(f"{CHANGELIST}{session.pk}/change/").status_code
        == 403
    )
    assert content_editor_client.get("/admin/accounts/user/").status_code == 403


def test_the_admin_index_of_an_editor_lists_the_catalogue_only(
    content_editor_client, db
):
    response = content_editor_client.get("/admin/")

    page = html(response)
    assert response.status_code == 200
    assert 'href="/admin/exercises/routine/"' in page
    assert CHANGELIST not in page
    assert "Completed sessions" not in page
    assert "/admin/accounts/user/" not in page


def test_staff_outside_the_group_see_nothing(client, session):
    client.force_login(UserFactory(is_staff=True))

    assert client.get("/admin/exercises/routine/").status_code == 403
    assert client.get(CHANGELIST).status_code == 403


def test_a_person_who_is_not_staff_is_sent_to_the_admin_login(client, session):
    client.force_login(session.user)

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


# People, as the admin shows them


# What the administrator must not see of a person's health.
HEALTH_ANSWERS = [
    "Nerve pain down the legs",
    "Conditions",
    "Screening answered at",
    "Doctor cleared on",
    "Health data consent at",
]


def test_the_admin_shows_no_health_answers_and_editors_no_people(
    admin_client, content_editor_client
):
    person = UserFactory(
        health_data_consent_at=timezone.now(),
        screening_answered_at=timezone.now(),
        doctor_cleared_on=date(2024, 5, 6),
    )
    person.conditions.add(
        ContraindicationFactory(
            title="Nerve pain down the legs", screening_question="Nerve pain?"
        )
    )
    session = CompletedSessionFactory(user=person, notes="Private notes.")
    # What the privacy page says of it.
    assert (
        "The editors who look after the exercises in BackCare's administration "
        "pages cannot see your account or anything you recorded."
        in text_of(admin_client.get("/privacy/"))
    )
    for url in [
        "/admin/accounts/user/",
        f"/admin/accounts/user/{person.pk}/change/",
        CHANGELIST,
        f"{CHANGELIST}{session.pk}/change/",
    ]:
        assert content_editor_client.get(url).status_code == 403, url

    # The administrator sees the account, but none of its health answers.
    response = admin_client.get(f"/admin/accounts/user/{person.pk}/change/")
    assert response.status_code == 200
    assert "Weekly target" in text_of(response)
    for hidden in HEALTH_ANSWERS:
        assert hidden not in text_of(response)


@pytest.mark.parametrize("bulk", [False, True])
def test_deleting_a_person_in_admin_removes_every_trace_of_them(
    settings, admin_client, bulk
):
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    person = UserFactory(username=PERSON, email=EMAIL)
    pk = person.pk
    person.conditions.add(
        ContraindicationFactory(screening_question="Do you have nerve pain?")
    )
    StepResultFactory(session=CompletedSessionFactory(user=person), order=1)
    assert log_in("203.0.113.7", PERSON, "not the password")[1].status_code == 400
    device, response = log_in("192.0.2.10")
    assert response.status_code == 302
    assert traces(pk)

    if bulk:
        response = admin_client.post(
            "/admin/accounts/user/",
            {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
        )
    else:
        url = f"/admin/accounts/user/{pk}/delete/"
        confirm = admin_client.get(url)
        assert confirm.status_code == 200
        assert "Are you sure you want to delete the user" in html(confirm)
        response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=pk).exists()
    assert not CompletedSession.objects.exists()
    assert traces(pk) == []
    assert device.get("/progress/").status_code == 302
