"""The WSGI application gunicorn serves: each request freed once it is answered."""

import gc

import pytest
from django.conf import settings
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings

from backcare_site.handlers import (
    ALLOWED_HOSTS_SEEN,
    ALLOWED_HOSTS_SEEN_AT_MOST,
    Handler,
)
from backcare_site.wsgi import application
from tests.helpers import wsgi_environ


@pytest.fixture
def serve(db):
    """GET through the handler gunicorn serves; (status, body). The test's
    transaction stays open: Django's closing of old connections between
    requests is held off, as its test client does."""
    handler = Handler()
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)

    def get(path, cookie="", host="127.0.0.1"):
        statuses = []
        environ = wsgi_environ(path, cookie) | {"HTTP_HOST": host}
        response = handler(environ, lambda status, headers: statuses.append(status))
        body = b"".join(response)
        response.close()  # as gunicorn does once the last byte is sent
        return statuses[0], body

    yield get
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def cyclic_garbage(serve_page, times=20):
    """The objects ``times`` requests left for Python's cycle collector."""
    serve_page()  # imports, templates and caches filled once
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(times):
            serve_page()
        gc.collect()
        return [type(garbage).__name__ for garbage in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_gunicorn_serves_the_handler_that_frees_requests():
    assert isinstance(application, Handler)


def test_a_probe_leaves_nothing_for_the_cycle_collector(serve):
    assert serve("/livez") == ("200 OK", b"ok\n")

    assert cyclic_garbage(lambda: serve("/livez")) == []


def test_a_visitors_pages_leave_nothing_for_the_cycle_collector(serve, practice):
    for path, shows in (("/", b"Practice"), (f"/routines/{practice.slug}/", b"Bridge")):
        status, body = serve(path)
        assert status == "200 OK"
        assert shows in body

        assert cyclic_garbage(lambda path=path: serve(path)) == [], path


def test_a_persons_pages_leave_nothing_for_the_cycle_collector(
    serve, client, user, practice
):
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}"
    for _ in range(2):  # the first dashboard makes the person's totals
        serve("/progress/", cookie)
    for path in ("/progress/", "/progress/history/", f"/routines/{practice.slug}/"):
        status, body = serve(path, cookie)
        assert status == "200 OK"
        assert b"Log out" in body  # signed in

        assert cyclic_garbage(lambda path=path: serve(path, cookie)) == [], path


def test_a_host_not_allowed_is_refused_every_time_and_a_host_let_go_is_refused_next(
    serve,
):
    assert serve("/livez", host="127.0.0.1")[0] == "200 OK"
    for _ in range(2):
        assert serve("/livez", host="evil.example")[0] == "400 Bad Request"

    with override_settings(ALLOWED_HOSTS=["backcare.example"]):
        assert serve("/livez", host="backcare.example")[0] == "200 OK"
        assert serve("/livez", host="127.0.0.1")[0] == "400 Bad Request"
    assert serve("/livez", host="backcare.example")[0] == "400 Bad Request"


def test_the_hosts_remembered_are_few_whatever_a_wildcard_lets_in(serve):
    with override_settings(ALLOWED_HOSTS=["*"]):
        for number in range(100):
            assert serve("/livez", host=f"host-{number}.example")[0] == "200 OK"
        assert len(ALLOWED_HOSTS_SEEN) == ALLOWED_HOSTS_SEEN_AT_MOST
