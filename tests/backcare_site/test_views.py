"""The site's own views (backcare_site/views.py): /healthz, and the 503 page
when the database cannot be reached."""

from unittest import mock

from django.core.cache import cache
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from tests.factories import CompletedSessionFactory, UserFactory
from tests.servers import assert_styled_503


def test_livez_is_plain_text_never_cached_and_reads_nothing(
    client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/livez")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain"
    assert response["Cache-Control"] == (
        "max-age=0, no-cache, no-store, must-revalidate, private"
    )
    assert client.post("/livez").status_code == 405


def test_healthz_is_plain_text_and_never_cached(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content.startswith(b"ok\ndatabase: ok\ncache: ")
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_healthz_answers_head_but_not_post(client, db):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_healthz_answers_503_when_the_database_fails(client, db):
    failure = OperationalError("could not connect to server")

    with mock.patch.object(
        BaseDatabaseWrapper, "ensure_connection", side_effect=failure
    ):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert b"database unavailable\ndatabase: down\n" in response.content


# The database goes away (mocked)


def refuse_connection(*args, **kwargs):
    raise OperationalError("could not connect to server: Connection refused")


def database_down():
    """Every attempt to reach the database fails, as with the server stopped."""
    return mock.patch.object(
        BaseDatabaseWrapper, "ensure_connection", side_effect=refuse_connection
    )


def test_with_the_database_down_pages_answer_a_styled_503_and_recover(catalogue):
    person = UserFactory(username="patient_person")
    CompletedSessionFactory(user=person)
    visitor = Client(raise_request_exception=False)
    assert (
        visitor.post("/routines/beginner/guide/", {"acknowledged": "on"}).status_code
        == 302
    )
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(person)
    # Without a cookie a public page takes the page cache's path.
    pages = [
        (Client(raise_request_exception=False), "/"),
        (Client(raise_request_exception=False), "/routines/beginner/"),
        (visitor, "/routines/beginner/guide/"),
        (visitor, "/routines/beginner/guide/3/"),
        (signed_in, "/progress/"),
        (signed_in, "/progress/history/"),
        (signed_in, "/accounts/profile/"),
    ]
    cache.clear()  # nothing warm: every page above needs the database

    with database_down():
        health = visitor.get("/healthz")
        assert health.status_code == 503
        assert health.content.startswith(b"database unavailable\ndatabase: down\n")
        assert "no-cache" in health["Cache-Control"]
        for client, url in pages:
            response = client.get(url)
            assert_styled_503(response)
            assert response["Retry-After"] == "30", url

    # The database is back: the same pages answer, nothing to restart.
    assert visitor.get("/healthz").status_code == 200
    for client, url in pages:
        assert client.get(url).status_code == 200, url

    # A public page already in the shared cache is not served either: whether
    # it is still the catalogue's is known from the database alone.
    with database_down():
        assert_styled_503(Client(raise_request_exception=False).get("/"))
        assert_styled_503(signed_in.get("/progress/"))
