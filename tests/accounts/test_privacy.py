"""
Privacy (issue 11, point 5): what a person is told about their data, their
consent to keep health information, the download of everything kept about
them, and the deletion of every trace of them.
"""

import json
import re
from datetime import date, datetime, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings as django_settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.backends.db import SessionStore as SignedSessionData
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat, timezone

from exercises.models import Severity, StepOutcome
from tests.factories import (
    PASSWORD,
    CompletedSessionFactory,
    ContraindicationFactory,
    StepResultFactory,
    UserFactory,
)
from tests.helpers import html, text, text_of

User = get_user_model()

NEW_PASSWORD = "a much longer new passphrase 42"
CONSENT_LABEL = (
    "I agree that BackCare keeps my health information (my screening answers "
    "and pain ratings) to show it back to me."
)
CONSENT_REFUSED = (
    "Please tick the box to agree that BackCare keeps your health information."
)
PRIVACY_LINK = 'href="/privacy/"'


def signup_data(**extra):
    return {
        "username": "newbie",
        "email": "newbie@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **extra,
    }


def footer(response):
    return re.search(r"<footer\b.*?</footer>", html(response), re.DOTALL).group()


def form(response):
    return re.search(r"<form\b[^>]*novalidate>.*?</form>", html(response), re.DOTALL)[0]


# The privacy page


def test_the_privacy_page_says_what_is_kept_why_who_sees_it_and_how_to_remove_it(
    client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/privacy/")

    page = text_of(response)
    assert response.status_code == 200
    assert "<title>Privacy: your data · BackCare</title>" in html(response)
    for heading in [
        "What BackCare keeps",
        "Why",
        "Who can see it",
        "How to download it",
        "How to delete it",
    ]:
        assert f">{heading}</h2>" in html(response)
    for kept in [
        "your username, your email address if you gave one",
        "when you joined and when you last logged in",
        "Your weekly target",
        "Your health screening answers: the questions you answered “yes” to",
        "the date you confirmed that your doctor cleared you to exercise",
        "your pain ratings before and after, your notes",
        "the time you agreed, when you signed up, that BackCare keeps your "
        "health information",
        "a record of each log-in to your username, including failed tries",
    ]:
        assert kept in page
    assert (
        "BackCare keeps them only because you agreed to it when you signed up, "
        "and only to show them back to you." in page
    )
    assert "You, when you are logged in." in page
    assert (
        "The editors who look after the exercises in BackCare's administration "
        "pages cannot see your account or anything you recorded." in page
    )
    assert (
        "Your screening answers, your doctor's clearance and your consent are not shown there."
        in page
    )
    assert "your sessions as a spreadsheet (CSV)" in page
    assert "everything BackCare keeps about you as one JSON file" in page
    assert "under “Delete my account”" in page
    assert "This removes every trace of you at once" in page
    assert "so you are logged out everywhere" in page
    assert 'href="/accounts/profile/"' in html(response)


def test_the_privacy_page_costs_a_signed_in_person_only_their_session_and_account(
    signed_in, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        response = signed_in.get("/privacy/")

    assert response.status_code == 200
    assert "Who can see it" in text_of(response)


def test_the_privacy_page_answers_get_and_head_only(client, db):
    assert client.head("/privacy/").status_code == 200
    assert client.post("/privacy/").status_code == 405


@pytest.mark.parametrize(
    "url",
    ["/", "/about/", "/privacy/", "/accounts/login/", "/accounts/signup/", "/nowhere/"],
)
def test_every_page_links_to_the_privacy_page_in_its_footer(client, db, url):
    response = client.get(url)

    assert PRIVACY_LINK in footer(response)
    assert "Privacy: your data" in text(footer(response))


@pytest.mark.parametrize("url", ["/progress/", "/accounts/profile/"])
def test_signed_in_pages_link_to_the_privacy_page_in_their_footer(signed_in, url):
    assert PRIVACY_LINK in footer(signed_in.get(url))


def test_what_the_privacy_page_says_of_the_admin_holds(client, db):
    page = text_of(client.get("/privacy/"))
    assert (
        "The editors who look after the exercises in BackCare's administration "
        "pages cannot see your account or anything you recorded." in page
    )
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
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="Content editors"))
    client.force_login(editor)
    for url in [
        "/admin/accounts/user/",
        f"/admin/accounts/user/{person.pk}/change/",
        "/admin/accounts/completedsession/",
        f"/admin/accounts/completedsession/{session.pk}/change/",
    ]:
        assert client.get(url).status_code == 403, url

    # The administrator sees the account, but none of its health answers.
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(f"/admin/accounts/user/{person.pk}/change/")
    assert response.status_code == 200
    assert "Weekly target" in text_of(response)
    for hidden in [
        "Nerve pain down the legs",
        "Conditions",
        "Screening answered at",
        "Doctor cleared on",
        "Health data consent at",
    ]:
        assert hidden not in text_of(response)


# Consent at sign-up


def test_sign_up_asks_for_consent_with_an_unticked_box_and_links_to_the_privacy_page(
    client, db
):
    response = client.get("/accounts/signup/")

    box = re.search(r'<input[^>]*name="health_data_consent"[^>]*>', html(response))[0]
    assert 'type="checkbox"' in box
    assert "checked" not in box
    assert "required" in box
    assert CONSENT_LABEL in text_of(response)
    assert PRIVACY_LINK in form(response)
    assert "How BackCare keeps your data" in text(form(response))


@pytest.mark.parametrize(
    "consent", [None, "", "false"], ids=["absent", "empty", "false"]
)
def test_sign_up_without_consent_answers_400_with_a_message_and_creates_no_one(
    client, db, consent
):
    data = signup_data()
    if consent is not None:
        data["health_data_consent"] = consent

    response = client.post("/accounts/signup/", data)

    assert response.status_code == 400
    assert CONSENT_REFUSED in text_of(response)
    assert "so no account was created." in text_of(response)
    # The rest of what they typed is kept for the second try.
    assert 'value="newbie"' in html(response)
    assert not User.objects.exists()
    assert client.get("/progress/").status_code == 302


def test_sign_up_with_consent_keeps_its_time_and_the_profile_shows_it(client, db):
    before = timezone.now()
    response = client.post("/accounts/signup/", signup_data(health_data_consent="on"))
    after = timezone.now()

    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert before <= user.health_data_consent_at <= after
    profile = text_of(client.get("/accounts/profile/"))
    when = timezone.localtime(user.health_data_consent_at)
    assert (
        f"You agreed on {dateformat.format(when, 'j F Y')} at "
        f"{dateformat.format(when, 'H:i')} that BackCare keeps your health "
        "information." in profile
    )


def test_the_profile_offers_both_downloads_and_the_privacy_page(signed_in):
    page = html(signed_in.get("/accounts/profile/"))

    assert ">Download my data</h2>" in page
    assert 'href="/progress/export.csv">Download my sessions (CSV)</a>' in page
    assert 'href="/progress/export.json">Download everything (JSON)</a>' in page
    assert PRIVACY_LINK in page


# The JSON export


def export(client):
    response = client.get("/progress/export.json")
    assert response.status_code == 200
    return response, json.loads(b"".join(response.streaming_content))


def at(value):
    return datetime.fromisoformat(value)


def test_the_json_export_holds_everything_kept_about_the_person(client, db):
    person = UserFactory(
        username="robin",
        email="robin@example.com",
        weekly_target=5,
        health_data_consent_at=timezone.now() - timedelta(days=30),
        screening_answered_at=timezone.now() - timedelta(days=29),
        doctor_cleared_on=date(2024, 5, 6),
    )
    nerve = ContraindicationFactory(
        title="Nerve pain down the legs",
        screening_question="Do you have nerve pain that runs down into your legs?",
        severity=Severity.AVOID,
    )
    disc = ContraindicationFactory(
        title="Disc damage",
        screening_question="Have you been told you have damage to a spinal disc?",
        severity=Severity.CONSULT,
    )
    person.conditions.add(nerve, disc)
    older = CompletedSessionFactory(
        user=person,
        routine_title="Beginner",
        started_at=timezone.now() - timedelta(days=2),
        pain_before=6,
        pain_after=4,
        notes="Knees a bit stiff.",
    )
    StepResultFactory(session=older, order=1, exercise_name="Ankle pumps")
    StepResultFactory(
        session=older,
        order=2,
        exercise_name="Straight-leg raises",
        outcome=StepOutcome.SKIPPED_FOR_SAFETY,
    )
    newer = CompletedSessionFactory(
        user=person,
        routine_title="Aerobic",
        started_at=timezone.now() - timedelta(hours=3),
        pain_before=None,
        pain_after=1,
        notes="",
    )
    StepResultFactory(
        session=newer,
        order=1,
        exercise_name="Treadmill",
        outcome=StepOutcome.SKIPPED,
        cleared_by_clinician=True,
    )
    CompletedSessionFactory(user=UserFactory(username="sam"), notes="Sam's own note.")
    client.force_login(person)
    person.refresh_from_db()

    response, data = export(client)

    assert response["Content-Type"] == "application/json"
    assert re.fullmatch(
        r'attachment; filename="backcare-data-\d{4}-\d{2}-\d{2}\.json"',
        response["Content-Disposition"],
    )
    assert data["account"]["username"] == "robin"
    assert data["account"]["email"] == "robin@example.com"
    assert at(data["account"]["date_joined"]) == person.date_joined
    assert at(data["account"]["last_login"]) == person.last_login
    assert data["weekly_target"] == 5
    assert data["time_zone"] == django_settings.TIME_ZONE
    assert at(data["health_data_consent_at"]) == person.health_data_consent_at
    assert at(data["screening"]["answered_at"]) == person.screening_answered_at
    assert data["screening"]["answers"] == [
        {
            "title": "Disc damage",
            "question": "Have you been told you have damage to a spinal disc?",
            "severity": "Consult a doctor",
            "answer": "yes",
        },
        {
            "title": "Nerve pain down the legs",
            "question": "Do you have nerve pain that runs down into your legs?",
            "severity": "Avoid",
            "answer": "yes",
        },
    ]
    assert data["doctor_cleared_on"] == "2024-05-06"
    # Newest first, each with its steps in order; nobody else's.
    assert [session["id"] for session in data["sessions"]] == [newer.pk, older.pk]
    first, second = data["sessions"]
    assert first["routine"] == "Aerobic"
    assert at(first["started_at"]) == newer.started_at
    assert at(first["finished_at"]) == newer.finished_at
    assert (first["pain_before"], first["pain_after"], first["notes"]) == (None, 1, "")
    assert first["steps"] == [
        {
            "order": 1,
            "exercise": "Treadmill",
            "outcome": "Skipped",
            "cleared_by_clinician": True,
        }
    ]
    assert second["routine"] == "Beginner"
    assert (second["pain_before"], second["pain_after"]) == (6, 4)
    assert second["notes"] == "Knees a bit stiff."
    assert at(second["recorded_at"]) == older.created_at
    assert [(s["order"], s["exercise"], s["outcome"]) for s in second["steps"]] == [
        (1, "Ankle pumps", "Done"),
        (2, "Straight-leg raises", "Skipped for safety"),
    ]
    assert "Sam's own note." not in json.dumps(data)


def test_the_json_export_of_a_new_person_has_no_sessions_and_no_answers(signed_in):
    _, data = export(signed_in)

    assert data["account"]["username"] == "alex"
    assert data["sessions"] == []
    assert data["screening"] == {"answered_at": None, "answers": []}
    assert data["doctor_cleared_on"] is None


def test_the_json_export_is_the_signed_in_persons_by_get_or_head_only(signed_in):
    anonymous = Client().get("/progress/export.json")
    assert anonymous.status_code == 302
    assert anonymous.url == "/accounts/login/?next=/progress/export.json"
    assert signed_in.head("/progress/export.json").status_code == 200
    assert signed_in.post("/progress/export.json").status_code == 405


def count_export_queries(client):
    with CaptureQueriesContext(connection) as queries:
        export(client)
    return len(queries)


def sessions_with_steps(user, count):
    for n in range(count):
        session = CompletedSessionFactory(
            user=user, started_at=timezone.now() - timedelta(hours=n + 1)
        )
        StepResultFactory(session=session, order=1)
        StepResultFactory(session=session, order=2)


def test_the_json_export_costs_the_same_with_1_and_50_sessions(
    signed_in, user, django_assert_max_num_queries
):
    user.conditions.add(ContraindicationFactory(screening_question="Any?"))
    sessions_with_steps(user, 1)
    with_one = count_export_queries(signed_in)
    sessions_with_steps(user, 49)

    with django_assert_max_num_queries(with_one):
        response, data = export(signed_in)

    assert with_one <= 8
    assert len(data["sessions"]) == 50
    assert all(len(session["steps"]) == 2 for session in data["sessions"])


# Deleting the account removes every trace


PERSON = "quillon_vesper_7"
EMAIL = "quillon.vesper@example.org"


def log_in(address, username=PERSON, password=PASSWORD):
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}
    )
    return client, response


def traces(pk):
    """Every row of every table that holds the person's name, email or id."""
    found = []
    session_data = SignedSessionData()
    user_type = ContentType.objects.get_for_model(User).pk
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            columns = [
                column.name
                for column in introspection.get_table_description(cursor, table)
            ]
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for values in cursor.fetchall():
                row = dict(zip(columns, values, strict=True))
                if "session_data" in row:
                    row["session_data"] = session_data.decode(row["session_data"])
                    if row["session_data"].get("_auth_user_id") == str(pk):
                        found.append((table, "_auth_user_id", row))
                words = str(row).casefold()
                if PERSON.casefold() in words or EMAIL.casefold() in words:
                    found.append((table, "text", row))
                for column, value in row.items():
                    if re.fullmatch(r"(\w+_)?user_id", column) and value == pk:
                        found.append((table, column, row))
                if row.get("content_type_id") == user_type and (
                    row.get("object_id") == str(pk)
                ):
                    found.append((table, "object_id", row))
    return found


@pytest.mark.parametrize(
    "engine", ["accounts.sessions.db", "accounts.sessions.cached_db"]
)
def test_deleting_the_account_removes_every_trace_of_the_person(
    settings, catalogue, engine
):
    settings.SESSION_ENGINE = engine
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    session_cache = caches[settings.SESSION_CACHE_ALIAS]
    person = UserFactory(
        username=PERSON,
        email=EMAIL,
        screening_answered_at=timezone.now(),
        doctor_cleared_on=timezone.localdate(),
    )
    pk = person.pk
    person.conditions.add(
        ContraindicationFactory(screening_question="Do you have nerve pain?")
    )
    for n in range(2):
        session = CompletedSessionFactory(
            user=person, notes=f"{PERSON} felt fine, day {n}."
        )
        StepResultFactory(session=session, order=1)
        StepResultFactory(session=session, order=2, outcome=StepOutcome.SKIPPED)
    # Someone else's records stay as they were.
    sam = UserFactory(username="sam")
    CompletedSessionFactory(user=sam, notes="Sam's own note.")
    log_in("198.51.100.1", "sam", "not the password")
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(pk),
        object_repr=str(person),
        action_flag=CHANGE,
        change_message=f"Changed the email of {PERSON} to {EMAIL}.",
    )
    # Failed log-ins from one address (one with the name in capitals), then
    # the person logged in on two devices.
    for username in [PERSON, PERSON, PERSON.upper()]:
        assert log_in("203.0.113.7", username, "not the password")[1].status_code == 400
    first, response = log_in("192.0.2.10")
    assert response.status_code == 302
    second, response = log_in("192.0.2.20")
    assert response.status_code == 302
    keys = [
        client.cookies[settings.SESSION_COOKIE_NAME].value for client in (first, second)
    ]
    assert second.get("/progress/").status_code == 200
    assert AccessAttempt.objects.filter(username=PERSON).exists()
    assert AccessLog.objects.filter(username=PERSON).count() == 2
    assert AccessFailureLog.objects.filter(username__iexact=PERSON).count() == 3
    if engine.endswith("cached_db"):
        assert all(session_cache.get(KEY_PREFIX + key) for key in keys)
    # The scan below finds each kind of trace while there are some.
    kinds = {kind for _, kind, _ in traces(pk)}
    assert {"text", "user_id", "_auth_user_id", "object_id"} <= kinds

    assert 'action="/accounts/delete/"' in html(first.get("/accounts/profile/"))
    response = first.post("/accounts/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"
    assert "Your account and every record of it were deleted." in text_of(
        first.get(response.url)
    )
    assert traces(pk) == []
    assert not any(session_cache.get(KEY_PREFIX + key) for key in keys)
    # The other device is logged out: its next visit is asked to log in.
    response = second.get("/progress/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/progress/"
    assert first.get("/progress/").status_code == 302
    assert not User.objects.filter(username__iexact=PERSON).exists()
    assert sam.completed_sessions.get().notes == "Sam's own note."
    assert AccessAttempt.objects.filter(username="sam").exists()
    assert User.objects.filter(pk=admin.pk).exists()


@pytest.mark.parametrize("bulk", [False, True])
def test_deleting_a_person_in_admin_removes_every_trace_of_them_too(
    settings, catalogue, bulk
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
    staff = Client()
    staff.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert traces(pk)

    if bulk:
        response = staff.post(
            "/admin/accounts/user/",
            {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
        )
    else:
        response = staff.post(f"/admin/accounts/user/{pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=pk).exists()
    assert traces(pk) == []
    assert device.get("/progress/").status_code == 302
