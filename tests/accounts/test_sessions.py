"""
The session engine (accounts.sessions.db: Django's database engine) keeps each
browser session's person, so that deleting an account ends its sessions on
every device.
"""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import BrowserSession
from accounts.sessions import user_id_of
from accounts.sessions.db import SessionStore
from tests.factories import UserFactory


def test_the_site_keeps_its_sessions_in_the_database(settings):
    assert settings.SESSION_ENGINE == "accounts.sessions.db"


@pytest.mark.parametrize(
    ("data", "user_id"),
    [({"_auth_user_id": "7"}, 7), ({}, None), ({"_auth_user_id": "x"}, None)],
)
def test_the_person_of_a_session_is_read_from_its_data(data, user_id):
    assert user_id_of(data) == user_id


def test_a_session_row_names_the_person_signed_in_on_it(settings, db):
    person = UserFactory()
    client = Client()

    client.force_login(person)

    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert BrowserSession.objects.get(session_key=key).user_id == person.pk


def test_deleting_a_person_logs_them_out_on_every_device(settings, db):
    person, someone_else = UserFactory(), UserFactory()
    devices = [Client(), Client()]
    for device in devices:
        device.force_login(person)
    other = Client()
    other.force_login(someone_else)
    keys = [device.cookies[settings.SESSION_COOKIE_NAME].value for device in devices]

    services.user_delete(user=person)

    assert not BrowserSession.objects.filter(session_key__in=keys).exists()
    assert all(device.get("/progress/").status_code == 302 for device in devices)
    assert other.get("/progress/").status_code == 200


def test_a_session_written_by_djangos_engine_still_reads(settings, db):
    person = UserFactory()
    # Django's engine and ours share the table and the signing salt.
    old = DjangoSessionStore()
    old.model = BrowserSession
    old["_auth_user_id"] = str(person.pk)
    old["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    old["_auth_user_hash"] = person.get_session_auth_hash()
    old.save()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = old.session_key

    assert client.get("/progress/").status_code == 200


def test_clearsessions_removes_expired_sessions_of_the_sites_engine(db):
    now = timezone.now()
    BrowserSession.objects.create(
        session_key="old", session_data="", expire_date=now - timedelta(days=1)
    )
    BrowserSession.objects.create(
        session_key="new", session_data="", expire_date=now + timedelta(days=1)
    )

    call_command("clearsessions")

    assert list(BrowserSession.objects.values_list("session_key", flat=True)) == ["new"]


def test_a_session_reads_until_it_expires_then_signs_no_one_in(settings, db):
    person = UserFactory()
    client = Client()
    client.force_login(person)
    assert client.get("/progress/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    BrowserSession.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    assert client.get("/progress/").status_code == 302  # to log in


def test_a_log_out_on_one_device_ends_that_session_whatever_the_cache_holds(
    settings, db
):
    person = UserFactory()
    phone, laptop = Client(), Client()
    for device in (phone, laptop):
        device.force_login(person)
        assert device.get("/progress/").status_code == 200  # and kept

    assert phone.post("/accounts/logout/").status_code == 302

    assert phone.get("/progress/").status_code == 302  # to log in
    assert laptop.get("/progress/").status_code == 200


def test_a_session_row_failing_its_signature_reads_as_empty_each_time(db):
    BrowserSession.objects.create(
        session_key="forged1234567890",
        session_data="not-signed-by-this-site",
        expire_date=timezone.now() + timedelta(1),
    )

    for _ in range(2):
        assert SessionStore("forged1234567890").load() == {}
