import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import CompletedSession
from tests.factories import (
    CompletedSessionFactory,
    RoutineFactory,
    StepResultFactory,
    UserFactory,
)
from tests.helpers import html

CHANGELIST = "/admin/accounts/completedsession/"


@pytest.fixture
def admin_client_(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def editor_client(client, db):
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="Content editors"))
    client.force_login(editor)
    return client


@pytest.fixture
def session(db):
    session = CompletedSessionFactory(
        routine=RoutineFactory(title="Gentle"), notes="Private notes."
    )
    StepResultFactory(session=session, order=1, exercise_name="Ankle pumps")
    return session


# Sessions, as a superuser sees them


def test_deleting_a_person_in_admin_removes_their_sessions(admin_client_, session):
    url = f"/admin/accounts/user/{session.user.pk}/delete/"

    confirm = admin_client_.get(url)
    response = admin_client_.post(url, {"post": "yes"})

    assert confirm.status_code == 200
    assert "Are you sure you want to delete the user" in html(confirm)
    assert response.status_code == 302
    assert not CompletedSession.objects.exists()
    assert not type(session.user).objects.filter(pk=session.user.pk).exists()


def test_sessions_changelist_filters_by_routine_and_date(admin_client_, session):
    response = admin_client_.get(CHANGELIST)

    page = html(response)
    assert response.status_code == 200
    assert "Gentle" in page
    assert "By routine" in page
    assert "By started at" in page
    assert f"routine__id__exact={session.routine.pk}" in page
    assert "started_at__gte=" in page


def test_sessions_changelist_filter_by_routine_narrows_the_list(admin_client_, session):
    other = CompletedSessionFactory(routine=RoutineFactory(title="Brisk walk"))

    page = html(
        admin_client_.get(f"{CHANGELIST}?routine__id__exact={session.routine.pk}")
    )

    assert "1 completed session" in page
    assert f"{CHANGELIST}{session.pk}/change/" in page
    assert f"{CHANGELIST}{other.pk}/change/" not in page


def test_sessions_cannot_be_added_in_admin(admin_client_, session):
    assert "Add completed session" not in html(admin_client_.get(CHANGELIST))
    assert admin_client_.get(f"{CHANGELIST}add/").status_code == 403


def test_a_session_change_page_is_read_only(admin_client_, session):
    response = admin_client_.get(f"{CHANGELIST}{session.pk}/change/")

    page = html(response)
    assert response.status_code == 200
    assert "View completed session" in page
    assert "Private notes." in page
    assert "Ankle pumps" in page
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert '<textarea name="notes"' not in page


def test_posting_a_session_change_is_refused(admin_client_, session):
    response = admin_client_.post(
        f"{CHANGELIST}{session.pk}/change/",
        {"notes": "Edited by staff.", "pain_before": "0", "_save": "Save"},
    )

    assert response.status_code == 403
    session.refresh_from_db()
    assert session.notes == "Private notes."


def test_sessions_cannot_be_deleted_in_admin(admin_client_, session):
    response = admin_client_.post(f"{CHANGELIST}{session.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert CompletedSession.objects.filter(pk=session.pk).exists()
    assert "delete_selected" not in html(admin_client_.get(CHANGELIST))


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


def test_an_editor_can_open_the_catalogue(editor_client, catalogue):
    for url in [
        "/admin/exercises/routine/",
        "/admin/exercises/exercise/",
        "/admin/exercises/contraindication/",
    ]:
        assert editor_client.get(url).status_code == 200


def test_an_editor_cannot_see_sessions(editor_client, session):
    assert editor_client.get(CHANGELIST).status_code == 403
    assert editor_client.get(f"{CHANGELIST}{session.pk}/change/").status_code == 403
    assert editor_client.get("/admin/accounts/user/").status_code == 403


def test_the_admin_index_of_an_editor_lists_the_catalogue_only(editor_client, db):
    response = editor_client.get("/admin/")

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
