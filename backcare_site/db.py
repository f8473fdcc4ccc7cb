"""
A deadline on every wait for PostgreSQL, so a server that hangs answers 503.

libpq bounds what it can, from DATABASES' OPTIONS (settings.py): connecting
(connect_timeout), a peer gone from the network (TCP keepalives,
tcp_user_timeout) and a slow statement (the server's statement_timeout). A
server that hangs while its machine still acknowledges every packet (stopped,
swapping, a proxy in between that hangs) trips none of them, and the thread
waiting on it would wait for ever: a few such requests take every thread of
the site.

So psycopg2 waits through ``wait_for_database``, registered with its
documented ``set_wait_callback``: libpq then runs non-blocking and every wait
on the socket is ours, whatever Django is doing: connecting, a query, COMMIT,
ROLLBACK, or the health check of a kept connection (Django's
``execute_wrapper()`` sees the queries only). In a request
(``DeadlineMiddleware``) each wait ends after the statement timeout and a
grace (until request_finished, so a streamed body too); past it the
callback raises OperationalError, psycopg2 closes that connection, and the
page answers the styled 503 (``views.server_error``).
Once one wait of a request has missed its deadline the request's later ones
fail at once: after a failed health check Django would connect again, and a
hung server would take the connect timeout more. Outside a request (commands,
migrations) only connecting is bounded, by the connection's connect_timeout
as libpq itself bounds it when blocking.

``/healthz`` asks ``database_answers()``: a fresh connection in a thread of
its own, waited for at most HEALTH_WAIT_SECONDS, so the answer comes in time
whether the database hangs on connect or on the query.
"""

import logging
import os
import select
import threading
import time
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass

import psycopg2
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.db.utils import load_backend
from psycopg2 import OperationalError
from psycopg2.extensions import (
    POLL_OK,
    POLL_READ,
    STATUS_SETUP,
    get_wait_callback,
    set_wait_callback,
)

logger = logging.getLogger("backcare.db")

# Past the statement timeout, the server's own cancellation gets this long to
# arrive before the connection is closed.
GRACE_SECONDS = 1.0
# /healthz answers within this; libpq cannot give up connecting sooner than
# 2 s, so the check runs in a thread and the view stops waiting first.
HEALTH_WAIT_SECONDS = 1.5
HEALTH_CONNECT_TIMEOUT = 2
# Every wait of a check ends within this: the check ends, and the next
# /healthz starts a new one.
HEALTH_DEADLINE_SECONDS = 2.0


@dataclass(slots=True)
class Deadline:
    """The waits of one request (or health check) on the database."""

    seconds: float
    missed: bool = False


deadline = ContextVar("database_deadline", default=None)


def wait_for_database(conn):
    """
    psycopg2's wait callback: psycopg2.extras.wait_select, with the deadline
    of the request if there is one, and the connection's connect_timeout
    while connecting (libpq leaves that to its caller when non-blocking).
    """
    current = deadline.get()
    seconds = None if current is None else current.seconds
    if current is not None and current.missed:
        raise OperationalError(f"The database did not answer within {seconds:.1f} s.")
    if conn.status == STATUS_SETUP:
        # libpq's least is 2 s; 0 or none is no timeout.
        connect = int(conn.info.dsn_parameters.get("connect_timeout") or 0)
        if connect > 0:
            seconds = min(seconds or float("inf"), max(connect, 2))
    ends = None if seconds is None else time.monotonic() + seconds
    while (state := conn.poll()) != POLL_OK:
        poller = select.poll()
        poller.register(
            conn.fileno(), select.POLLIN if state == POLL_READ else select.POLLOUT
        )
        if ends is None:
            poller.poll()
        elif not poller.poll(max(0.0, ends - time.monotonic()) * 1000):
            if current is not None:
                current.missed = True
            logger.warning(
                "The database did not answer within %.1f s: closed the connection.",
                seconds,
            )
            raise OperationalError(
                f"The database did not answer within {seconds:.1f} s."
            )


def install():
    """Make psycopg2 wait through ``wait_for_database`` (idempotent)."""
    if get_wait_callback() is not wait_for_database:
        set_wait_callback(wait_for_database)


class DeadlineMiddleware:
    """Puts every wait on PostgreSQL of a request under a deadline."""

    def __init__(self, get_response):
        self.get_response = get_response
        statement_timeout_ms = settings.DATABASE_STATEMENT_TIMEOUT_MS
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor != "postgresql":
            raise MiddlewareNotUsed("SQLite is a file: there is no server to hang.")
        if connection.Database is not psycopg2:
            # Django prefers psycopg 3 when both are installed.
            raise ImproperlyConfigured("The database's deadline needs psycopg2.")
        install()
        if statement_timeout_ms <= 0:
            raise MiddlewareNotUsed("No statement timeout: no deadline either.")
        self.seconds = statement_timeout_ms / 1000 + GRACE_SECONDS

    def __call__(self, request):
        # Kept after this returns: the server's thread still reads a streamed
        # body, and Django closes a broken connection at request_finished.
        deadline.set(Deadline(self.seconds))
        return self.get_response(request)


def request_ended(**kwargs):
    """
    The request's deadline ends with it: what the thread does next (a test
    after the test client's request) waits as usual. Called after Django's own
    receiver, connected when django.db was imported.
    """
    deadline.set(None)


request_finished.connect(request_ended, dispatch_uid="backcare_site.db")


class HealthCheck:
    """One check of the database at a time per process; callers share it."""

    def __init__(self):
        self._reset()
        # A thread does not survive fork(): a worker forked from a process
        # that was checking starts afresh.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        self.lock = threading.Lock()
        self.running = None

    def __call__(self, seconds):
        with self.lock:
            check = self.running
            if check is None:
                check = self.running = {"done": threading.Event(), "ok": False}
                threading.Thread(
                    target=self._run,
                    args=(check,),
                    name="database-health-check",
                    daemon=True,
                ).start()
        return check["done"].wait(seconds) and check["ok"]

    def _run(self, check):
        try:
            check["ok"] = answers_on_a_new_connection()
        finally:
            with self.lock:
                self.running = None
            check["done"].set()


def answers_on_a_new_connection(alias=DEFAULT_DB_ALIAS):
    db = connections.settings[alias]
    backend = load_backend(db["ENGINE"])
    wrapper = backend.DatabaseWrapper({**db, "OPTIONS": dict(db["OPTIONS"])}, alias)
    if wrapper.vendor == "postgresql":
        install()
        wrapper.settings_dict["OPTIONS"]["connect_timeout"] = HEALTH_CONNECT_TIMEOUT
    token = deadline.set(Deadline(HEALTH_DEADLINE_SECONDS))
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Error:
        return False
    finally:
        with suppress(Error):
            wrapper.close()
        deadline.reset(token)


_health_check = HealthCheck()


def database_answers(seconds=HEALTH_WAIT_SECONDS):
    """Whether the database answers a query within ``seconds``."""
    return _health_check(seconds)
