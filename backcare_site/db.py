"""
A deadline for every round trip a request makes to PostgreSQL.

PostgreSQL cancels a statement that runs past its statement_timeout, but a
server that hangs (stopped, swapping, behind a network that drops every
packet) cancels nothing and never answers: the thread waiting on it would
wait for ever, and a few such requests take every thread of the site. So each
round trip of a request also has a deadline on this side, the statement
timeout and a grace: past it, the socket of that connection is shut down,
psycopg2 raises OperationalError, the page answers the styled 503
(``views.server_error``) and Django discards the connection.

One watchdog thread per process keeps the deadlines of the round trips in
flight (at most one per thread) and sleeps until the earliest; a round trip
arms and disarms it with a dictionary entry under a lock, about a microsecond
(tests/backcare_site/test_db.py measures it).

The round trips with a deadline: every query (an execute wrapper), and the
three Django makes on the driver's connection directly, which no execute
wrapper sees: the health check of a kept connection before its first query in
a request (``is_usable``), COMMIT and ROLLBACK. Connecting is bounded by
libpq's connect_timeout (settings.DATABASE_CONNECT_TIMEOUT).

``/healthz`` asks ``database_answers()``: a fresh connection in a thread of
its own, waited for at most HEALTH_WAIT_SECONDS, so the answer comes in time
whether the database hangs on connect or on the query.
"""

import logging
import os
import socket
import threading
import time
from contextlib import suppress
from functools import wraps

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, Error, OperationalError, connections
from django.db.utils import load_backend

logger = logging.getLogger("backcare.db")

# Past the statement timeout, the server's own cancellation gets this long to
# arrive before the connection is cut.
GRACE_SECONDS = 1.0
# /healthz answers within this; libpq cannot give up connecting sooner than
# 2 s, so the check runs in a thread and the view stops waiting first.
HEALTH_WAIT_SECONDS = 1.5
HEALTH_CONNECT_TIMEOUT = 2
# A check still running after this long is cut: it ends, and the next
# /healthz starts a new one.
HEALTH_DEADLINE_SECONDS = 2.0


class Watchdog:
    """One thread per process that cuts the round trips outliving their deadline."""

    # While nothing is in flight the thread looks once a second, so a round
    # trip armed for longer never has to wake it.
    IDLE_SECONDS = 1.0
    # A round trip past its deadline while libpq is still connecting has no
    # socket to cut yet (connect_timeout ends it); look again this soon.
    RETRY_SECONDS = 0.05

    def __init__(self):
        self._reset()
        # A thread does not survive fork(): a worker forked from a process that
        # had one starts afresh.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        self.lock = threading.Lock()
        self.inflight = {}  # DatabaseWrapper -> (deadline, seconds)
        self.wake = threading.Event()
        self.wake_at = float("inf")
        self.thread = None
        self.cuts = 0

    def arm(self, wrapper, seconds):
        """
        Give the round trip ``wrapper`` is starting a deadline. False when one
        it is part of already has one (which then holds), True otherwise.
        """
        deadline = time.monotonic() + seconds
        with self.lock:
            if wrapper in self.inflight:
                return False
            self.inflight[wrapper] = (deadline, seconds)
            if deadline < self.wake_at:
                self.wake_at = deadline
                if self.thread is None:
                    self.thread = threading.Thread(
                        target=self._run, name="database-watchdog", daemon=True
                    )
                    self.thread.start()
                self.wake.set()
        return True

    def disarm(self, wrapper):
        """The round trip is over: True if in time, False if it was cut."""
        with self.lock:
            return self.inflight.pop(wrapper, None) is not None

    def _run(self):
        while True:
            self.wake.wait(max(0.0, self.wake_at - time.monotonic()))
            cut = []
            with self.lock:
                self.wake.clear()
                now = time.monotonic()
                for wrapper, (deadline, seconds) in list(self.inflight.items()):
                    # Under the lock: the round trip cannot end and its thread
                    # start another on the same connection meanwhile.
                    if deadline <= now and self._cut(wrapper):
                        del self.inflight[wrapper]
                        cut.append((wrapper.alias, seconds))
                self.cuts += len(cut)
                self.wake_at = min(
                    (
                        deadline if deadline > now else now + self.RETRY_SECONDS
                        for deadline, _ in self.inflight.values()
                    ),
                    default=now + self.IDLE_SECONDS,
                )
            for alias, seconds in cut:
                logger.warning(
                    "Database %r did not answer within %.1f s: closed the connection.",
                    alias,
                    seconds,
                )

    @staticmethod
    def _cut(wrapper):
        """Shut the connection's socket down; False while it has none yet."""
        raw = wrapper.connection
        if raw is None:
            return False
        try:
            fileno = raw.fileno()
        except (AttributeError, wrapper.Database.Error):
            return True  # closed meanwhile, or not a socket: nothing to cut
        # A duplicate of the descriptor shares the socket: shutting it down
        # wakes libpq wherever it waits, with an error, and leaves the
        # descriptor itself to psycopg2 to close.
        with suppress(OSError), socket.socket(fileno=os.dup(fileno)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
        return True


watchdog = Watchdog()


def guard(wrapper, seconds):
    """
    Give every round trip on ``wrapper`` (one thread's connection object) a
    deadline of ``seconds``, for as long as the object lives.
    """

    def deadline(execute, sql, params, many, context):
        if not watchdog.arm(wrapper, seconds):
            return execute(sql, params, many, context)
        try:
            return execute(sql, params, many, context)
        finally:
            watchdog.disarm(wrapper)

    def bounded(method, *, hung=None):
        @wraps(method)
        def call(*args, **kwargs):
            if not watchdog.arm(wrapper, seconds):
                return method(*args, **kwargs)
            try:
                result = method(*args, **kwargs)
            finally:
                in_time = watchdog.disarm(wrapper)
            if not in_time and hung:
                raise OperationalError(hung)
            return result

        return call

    # First in the list, the outermost: execute_wrapper() blocks push and pop
    # their own at the end.
    wrapper.execute_wrappers.insert(0, deadline)
    # A kept connection whose check hangs reads as unusable, and Django would
    # connect again (up to connect_timeout more, on a server that hangs): the
    # request ends at the deadline instead, with the broken connection closed.
    wrapper.close_if_health_check_failed = bounded(
        wrapper.close_if_health_check_failed,
        hung=f"The database did not answer within {seconds:.1f} s.",
    )
    wrapper.is_usable = bounded(wrapper.is_usable)
    wrapper.commit = bounded(wrapper.commit)
    wrapper.rollback = bounded(wrapper.rollback)
    wrapper.round_trip_seconds = seconds


class DeadlineMiddleware:
    """Puts the database round trips of every request under a deadline."""

    def __init__(self, get_response):
        self.get_response = get_response
        statement_timeout_ms = settings.DATABASE_STATEMENT_TIMEOUT_MS
        if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            raise MiddlewareNotUsed("SQLite is a file: there is no server to hang.")
        if statement_timeout_ms <= 0:
            raise MiddlewareNotUsed("No statement timeout: no deadline either.")
        self.seconds = statement_timeout_ms / 1000 + GRACE_SECONDS

    def __call__(self, request):
        # Once per connection object (one per thread, kept across requests).
        wrapper = connections[DEFAULT_DB_ALIAS]
        if "round_trip_seconds" not in wrapper.__dict__:
            guard(wrapper, self.seconds)
        return self.get_response(request)


class HealthCheck:
    """One check of the database at a time per process; callers share it."""

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        self.lock = threading.Lock()
        self.running = None

    def __call__(self, wait):
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
        return check["done"].wait(wait) and check["ok"]

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
    armed = False
    if wrapper.vendor == "postgresql":
        wrapper.settings_dict["OPTIONS"]["connect_timeout"] = HEALTH_CONNECT_TIMEOUT
        armed = watchdog.arm(wrapper, HEALTH_DEADLINE_SECONDS)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Error:
        return False
    finally:
        if armed:
            watchdog.disarm(wrapper)
        with suppress(Error):
            wrapper.close()


_health_check = HealthCheck()


def database_answers(wait=HEALTH_WAIT_SECONDS):
    """Whether the database answers a query within ``wait`` seconds."""
    return _health_check(wait)
