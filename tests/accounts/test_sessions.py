"""
The session engines keep each browser session's person, so that deleting an
account ends its sessions on every device.
"""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services
from accounts.models import BrowserSession, User, row_values
from accounts.sessions import user_id_of
from accounts.sessions.cached_db import SESSION_MEMORY_SECONDS
from tests.factories import UserFactory

ENGINES = ["accounts.sessions.db", "accounts.sessions.cached_db"]


@pytest.mark.parametrize(
    ("data", "user_id"),
    [({"_auth_user_id": "7"}, 7), ({}, None), ({"_auth_user_id": "x"}, None)],
)
def test_the_person_of_a_session_is_read_from_its_data(data, user_id):
    assert user_id_of(data) == user_id


@pytest.mark.parametrize("engine", ENGINES)
def test_a_session_row_names_the_person_signed_in_on_it(settings, db, engine):
    settings.SESSION_ENGINE = engine
    person = UserFactory()
    client = Client()

    client.force_login(person)

    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert BrowserSession.objects.get(session_key=key).user_id == person.pk


@pytest.mark.parametrize("engine", ENGINES)
def test_deleting_a_person_logs_them_out_on_every_device(settings, db, engine):
    settings.SESSION_ENGINE = engine
    person, someone_else = UserFactory(), UserFactory()
    devices = [Client(), Client()]
    for device in devices:
        device.force_login(person)
    other = Client()
    other.force_login(someone_else)
    keys = [device.cookies[settings.SESSION_COOKIE_NAME].value for device in devices]

    services.user_delete(user=person)

    assert not BrowserSession.objects.filter(session_key__in=keys).exists()
    cache = caches[settings.SESSION_CACHE_ALIAS]
    assert not any(cache.get(KEY_PREFIX + key) for key in keys)
    assert all(device.get("/progress/").status_code == 302 for device in devices)
    assert other.get("/progress/").status_code == 200


def test_a_session_written_by_djangos_engine_still_reads(settings, db):
    settings.SESSION_ENGINE = "accounts.sessions.db"
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


@pytest.mark.parametrize("engine", ENGINES)
def test_a_session_reads_until_it_expires_then_signs_no_one_in(
    settings, db, engine, monkeypatch
):
    settings.SESSION_ENGINE = engine
    person = UserFactory()
    client = Client()
    client.force_login(person)
    assert client.get("/progress/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    BrowserSession.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    caches["default"].delete(KEY_PREFIX + key)
    # A process that remembered the session (with Redis) keeps it at most
    # SESSION_MEMORY_SECONDS past its cache entry's end.
    later = time.monotonic() + SESSION_MEMORY_SECONDS
    monkeypatch.setattr(time, "monotonic", lambda: later)

    assert client.get("/progress/").status_code == 302  # to log in


def test_a_live_row_is_an_unexpired_sessions_data_with_its_persons_row(db):
    person = UserFactory(username="noor_haddad")
    now = timezone.now()
    BrowserSession.objects.create(
        session_key="live", session_data="data", expire_date=now + timedelta(1)
    )
    BrowserSession.objects.create(
        session_key="mine",
        session_data="signed in",
        expire_date=now + timedelta(1),
        user_id=person.pk,
    )
    BrowserSession.objects.create(
        session_key="gone", session_data="old", expire_date=now - timedelta(1)
    )

    assert BrowserSession.objects.live_row("live") == ("data", None)
    data, (pk, values) = BrowserSession.objects.live_row("mine")
    assert (data, pk) == ("signed in", person.pk)
    assert values == row_values(User.objects, "id", person.pk)
    assert BrowserSession.objects.live_row("gone") is None
    assert BrowserSession.objects.live_row("none") is None
    assert BrowserSession.objects.live_row(None) is None


def test_a_signed_in_request_reads_its_session_and_person_in_one_query(settings, db):
    settings.SESSION_ENGINE = "accounts.sessions.db"
    person = UserFactory(username="noor_haddad")
    client = Client()
    client.force_login(person)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/about/")
    assert "noor_haddad" in response.content.decode()  # the menu names them
    who = [
        query["sql"]
        for query in queries
        if '"session_data"' in query["sql"] or '"password"' in query["sql"]
    ]
    assert len(who) == 1, who


def test_a_session_row_is_decoded_once_and_each_read_gets_its_own_copy(db, monkeypatch):
    from accounts.sessions.db import SessionStore

    written = SessionStore()
    written["marks"] = {"beginner": [1, 2]}
    written.create()
    decoded = []
    decode = SessionStore.decode
    monkeypatch.setattr(
        SessionStore,
        "decode",
        lambda self, text: decoded.append(text) or decode(self, text),
    )

    first = SessionStore(written.session_key)
    first["marks"]["beginner"].append(3)  # this request's copy only
    second = SessionStore(written.session_key)

    assert second["marks"] == {"beginner": [1, 2]}
    assert len(decoded) == 1  # the second read was the same text

    first.save()  # new text: read and decoded afresh
    assert SessionStore(written.session_key)["marks"] == {"beginner": [1, 2, 3]}
    assert len(decoded) == 2


def test_a_session_row_failing_its_signature_reads_as_empty_each_time(db):
    from accounts.sessions.db import SessionStore

    BrowserSession.objects.create(
        session_key="forged1234567890",
        session_data="not-signed-by-this-site",
        expire_date=timezone.now() + timedelta(1),
    )

    for _ in range(2):
        assert SessionStore("forged1234567890").load() == {}


def test_the_person_comes_with_the_session_only_when_get_user_loads_it(settings, db):
    from accounts.models import reading_who_is_signed_in
    from accounts.sessions.db import SessionStore

    settings.SESSION_ENGINE = "accounts.sessions.db"
    person = UserFactory(username="noor_haddad")
    client = Client()
    client.force_login(person)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    loaded_first = SessionStore(key)
    loaded_first.load()  # as a view reading the session before request.user
    assert loaded_first.person_read_with_it is None  # a save may come between

    loaded_for_get_user = SessionStore(key)
    with reading_who_is_signed_in(loaded_for_get_user):
        loaded_for_get_user.load()
    assert loaded_for_get_user.person_read_with_it[0] == person.pk
