"""
A slow client or a hung database does not stop the site.

Real servers, started and stopped here: gunicorn with the repository's
gunicorn.conf.py (2 workers, debug off), and PostgreSQL behind the test's TCP
proxy, whose ``pause()`` plays a server that hangs (connections stay open,
nothing comes back), as a stopped process or a dead network would. A server
serving pages needs a database a second process can open: PostgreSQL only, as
in test_reliability.py. The watchdog's tests open connections of their own.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import timeit
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing, suppress
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

from tests.factories import PASSWORD, CompletedSessionFactory, UserFactory
from tests.servers import (
    BASE_DIR,
    ON_POSTGRESQL,
    assert_styled_503,
    database_proxy,
    gunicorn,
    gunicorn_database_url,
    needs_postgresql,
)

pytestmark = pytest.mark.servers

STATEMENT_TIMEOUT_MS = 2000
GRACE_SECONDS = 1.0
DEADLINE = STATEMENT_TIMEOUT_MS / 1000 + GRACE_SECONDS
# Scheduling and the round trip from the test to gunicorn, on a busy machine.
SLACK = 0.5

needs_a_socket = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="the watchdog cuts sockets: SQLite is a file"
)


# --- Slow clients -------------------------------------------------------------


def slow_client(port, stop):
    """A client sending its request's headers one byte a second (slowloris)."""
    sock = socket.create_connection(("127.0.0.1", port))

    def trickle():
        request = b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 100
        for byte in request:
            with suppress(OSError):
                sock.send(bytes([byte]))
            if stop.wait(1):
                return

    threading.Thread(target=trickle, daemon=True).start()
    return sock


def livez_probes(port, seconds, every=0.25):
    """(seconds into the run, seconds taken, status or error) of /livez, each
    on a new connection with a 1 s timeout, as a load balancer would ask."""
    results = []
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        sent = time.monotonic()
        try:
            with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=1)) as c:
                c.request("GET", "/livez")
                response = c.getresponse()
                response.read()
                outcome = response.status
        except OSError as error:
            outcome = type(error).__name__
        results.append(
            (round(sent - started, 2), round(time.monotonic() - sent, 3), outcome)
        )
        time.sleep(every)
    return results


def livez_with_slow_clients(server, *, clients=2, seconds):
    stop = threading.Event()
    with ExitStack() as stack:
        for _ in range(clients):
            stack.enter_context(closing(slow_client(server.port, stop)))
        stack.callback(stop.set)
        time.sleep(0.5)  # every slow client is taken by a worker
        return livez_probes(server.port, seconds)


@pytest.fixture
def gunicorn_database(db, tmp_path):
    """A database URL the server can open (/livez never touches it)."""
    if ON_POSTGRESQL:
        return gunicorn_database_url()
    return f"sqlite:///{tmp_path / 'unused.sqlite3'}"


def test_two_slow_clients_cannot_hold_every_worker(gunicorn_database):
    # gunicorn's defaults (sync workers, as the site ran before
    # gunicorn.conf.py): each slow client holds a whole process.
    with gunicorn(workers=2, config=None, database_url=gunicorn_database) as server:
        before = livez_with_slow_clients(server, seconds=3)
    unanswered = [probe for probe in before if probe[2] != 200]
    assert len(unanswered) >= len(before) - 1, (
        "without gunicorn.conf.py two slow clients were expected to hold both "
        f"sync workers; /livez answered {len(before) - len(unanswered)} of "
        f"{len(before)} probes: {before}"
    )

    # The repository's configuration: the same 2 workers, and threads.
    with gunicorn(workers=2, database_url=gunicorn_database) as server:
        probes = livez_with_slow_clients(server, seconds=10)
    failed = [probe for probe in probes if probe[2] != 200 or probe[1] >= 1]
    slowest = max(taken for _, taken, _ in probes)
    assert not failed, (
        f"with gunicorn.conf.py and 2 slow clients, {len(failed)} of "
        f"{len(probes)} /livez probes in 10 s took 1 s or more or failed "
        f"(slowest {slowest:.3f} s): {failed}"
    )
    assert len(probes) >= 30, f"only {len(probes)} probes in 10 s: {probes}"


# --- A database that hangs ----------------------------------------------------


def timed(call, *args):
    started = time.monotonic()
    result = call(*args)
    return result, time.monotonic() - started


@pytest.fixture
def database_behind_proxy():
    with database_proxy() as proxy:
        yield proxy


@needs_postgresql
def test_a_database_that_hangs_answers_503_in_time_and_heals_by_itself(
    transactional_db, catalogue, database_behind_proxy
):
    proxy = database_behind_proxy
    person = UserFactory(username="hung_database_survivor")
    CompletedSessionFactory(user=person)
    with gunicorn(
        workers=2,
        database_url=gunicorn_database_url(port=proxy.port),
        DJANGO_DB_STATEMENT_TIMEOUT_MS=STATEMENT_TIMEOUT_MS,
        DJANGO_DB_CONNECT_TIMEOUT=2,
    ) as server:
        signed_in = server.signed_in(person.username, PASSWORD)
        for path in ("/progress/", "/routines/beginner/"):
            assert signed_in.get(path).status == 200, path
        assert server.client().get("/healthz").status == 200

        proxy.pause()
        # Nothing warm: the catalogue page needs the database.
        cache.clear()
        health, took = timed(server.client().get, "/healthz")
        assert health.status == 503, health.text
        assert health.text.startswith("database unavailable\ndatabase: down\n")
        assert took < 2, f"/healthz took {took:.2f} s with the database hung"

        pages = [
            (server.client(), "/routines/advanced/"),
            (signed_in, "/progress/"),
            (signed_in, "/progress/history/"),
        ]
        for client, path in pages:
            response, took = timed(client.get, path)
            assert_styled_503(response)
            assert response.headers["Retry-After"] == "30", path
            assert took < DEADLINE + SLACK, (
                f"{path} answered {response.status} after {took:.2f} s; the "
                f"deadline is {DEADLINE:.1f} s"
            )

        # Three at once: each holds a thread until its deadline, and even if
        # one worker took all three, its fourth thread still answers /livez.
        def visit(path):
            client = server.client()
            response, took = timed(client.get, path)
            client.close()
            return path, response.status, round(took, 2)

        paths = ["/healthz", "/exercises/heel-raises/", "/"]
        with ThreadPoolExecutor(len(paths)) as pool:
            visits = pool.map(visit, paths)
            time.sleep(0.3)
            livez, livez_took = timed(server.client().get, "/livez")
            visits = list(visits)
        assert livez.status == 200
        assert livez_took < 1, f"/livez took {livez_took:.2f} s; {visits}"
        assert [status for _, status, _ in visits] == [503] * 3, visits
        slowest = max(took for _, _, took in visits)
        assert slowest < DEADLINE + SLACK, f"answers with the database hung: {visits}"

        proxy.resume()
        resumed = time.monotonic()
        while server.client().get("/healthz").status != 200:
            assert time.monotonic() - resumed < 5, "/healthz not 200 within 5 s"
            time.sleep(0.1)
        healed = time.monotonic() - resumed
        for client, path in pages:
            response = client.get(path)
            assert response.status == 200, (path, response.status, healed)
        assert server.process.poll() is None
        errors = server.errors()
    assert "WORKER TIMEOUT" not in errors, errors[-3000:]
    assert healed < 5, f"healed {healed:.2f} s after the database came back"


# --- The watchdog -------------------------------------------------------------


@pytest.fixture
def own_connection(transactional_db):
    """A connection of this test's own, so a deadline on it leaks nowhere."""
    wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
    yield wrapper
    with suppress(Exception):
        wrapper.close()


def query(wrapper, sql):
    with wrapper.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


@needs_a_socket
def test_a_query_past_its_deadline_is_cut_and_one_in_time_is_not(own_connection):
    from backcare_site.db import guard, watchdog

    guard(own_connection, 0.5)
    cuts = watchdog.cuts

    # In time: answered, and the deadline it had is forgotten.
    assert query(own_connection, "SELECT pg_sleep(0.2), 1")[1] == 1
    time.sleep(0.6)
    assert query(own_connection, "SELECT 2") == (2,)
    assert watchdog.cuts == cuts

    # Past it: cut at the deadline, though the server's timeout is 10 s.
    started = time.monotonic()
    with pytest.raises(OperationalError):
        query(own_connection, "SELECT pg_sleep(5)")
    took = time.monotonic() - started
    assert 0.5 <= took < 1, (
        f"a 5 s query with a 0.5 s deadline ended after {took:.2f} s"
    )
    assert watchdog.cuts == cuts + 1
    assert not own_connection.is_usable()

    # Django drops the broken connection; the next query connects afresh.
    own_connection.close_if_unusable_or_obsolete()
    assert own_connection.connection is None
    assert query(own_connection, "SELECT 3") == (3,)


@needs_a_socket
def test_a_commit_or_health_check_that_hangs_is_cut(own_connection):
    from backcare_site.db import guard

    with database_proxy() as proxy:
        own_connection.settings_dict = {
            **own_connection.settings_dict,
            "HOST": "127.0.0.1",
            "PORT": proxy.port,
        }
        guard(own_connection, 0.5)
        assert query(own_connection, "SELECT 1") == (1,)

        # COMMIT of a transaction, with the server hung.
        own_connection.set_autocommit(False)
        query(own_connection, "SELECT 4")
        proxy.pause()
        started = time.monotonic()
        with pytest.raises(OperationalError):
            own_connection.commit()
        took = time.monotonic() - started
        assert took < 1, f"COMMIT to a hung server ended after {took:.2f} s"
        own_connection.close()
        proxy.resume()

        # The health check of a kept connection (before its first query in a
        # request): cut, and the request ends there, without connecting again.
        assert query(own_connection, "SELECT 5") == (5,)
        own_connection.close_if_unusable_or_obsolete()  # a new request
        proxy.pause()
        started = time.monotonic()
        with pytest.raises(OperationalError, match="did not answer within 0.5 s"):
            query(own_connection, "SELECT 6")
        took = time.monotonic() - started
        assert took < 1, f"the health check ended after {took:.2f} s"
        assert own_connection.connection is None


@needs_a_socket
def test_one_watchdog_thread_serves_every_connection(transactional_db):
    from backcare_site.db import guard

    def queries(_):
        wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
        guard(wrapper, 5)
        try:
            return [query(wrapper, f"SELECT {n}")[0] for n in range(50)]
        finally:
            wrapper.close()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(queries, range(8)))
    assert results == [list(range(50))] * 8
    watchdogs = [t for t in threading.enumerate() if t.name == "database-watchdog"]
    assert len(watchdogs) == 1, f"{len(watchdogs)} watchdog threads"


def test_a_deadline_costs_microseconds_per_query():
    from backcare_site.db import guard

    class Wrapper:
        alias = "default"

        def __init__(self):
            self.execute_wrappers = []

        def close_if_health_check_failed(self):
            pass

        is_usable = commit = rollback = close_if_health_check_failed

    wrapper = Wrapper()
    guard(wrapper, 10)
    deadline = wrapper.execute_wrappers[0]

    def execute(sql, params, many, context):
        return None

    rounds = 20000
    bare = min(timeit.repeat(lambda: execute("", (), False, {}), number=rounds))
    guarded = min(
        timeit.repeat(lambda: deadline(execute, "", (), False, {}), number=rounds)
    )
    cost = (guarded - bare) / rounds * 1e6
    assert cost < 5, f"a deadline costs {cost:.2f} µs per query"


# --- /healthz -----------------------------------------------------------------


def test_one_health_check_at_a_time_and_callers_share_it():
    from backcare_site import db

    release = threading.Event()
    calls = []

    def hung_check():
        calls.append(threading.current_thread().name)
        release.wait(10)
        return True

    with mock.patch.object(db, "answers_on_a_new_connection", hung_check):
        with ThreadPoolExecutor(6) as pool:
            answers = list(
                pool.map(lambda _: timed(db.database_answers, 0.3), range(6))
            )
        assert [answer for answer, _ in answers] == [False] * 6
        slowest = max(took for _, took in answers)
        assert slowest < 0.3 + SLACK, f"/healthz's check waited {slowest:.2f} s"
        assert len(calls) == 1, f"{len(calls)} checks ran at once"
        # A caller while the check runs answers from it.
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(db.database_answers, 2)
            time.sleep(0.1)
            release.set()
            assert waiting.result() is True
        assert len(calls) == 1
        # The next one starts a new check.
        assert db.database_answers(1) is True
        assert len(calls) == 2


# --- Settings -----------------------------------------------------------------


def database_settings(**env):
    script = (
        "import json; from backcare_site import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_DEBUG": "true",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_postgresql_connections_have_timeouts_and_sqlite_ones_none():
    postgres = "postgres://postgres@127.0.0.1:5432/backcare"
    assert database_settings(DATABASE_URL=postgres) == {
        "connect_timeout": 5,
        "options": "-c statement_timeout=10000",
    }
    assert database_settings(
        DATABASE_URL=postgres + "?sslmode=disable",
        DJANGO_DB_CONNECT_TIMEOUT="3",
        DJANGO_DB_STATEMENT_TIMEOUT_MS="2500",
    ) == {
        "sslmode": "disable",
        "connect_timeout": 3,
        "options": "-c statement_timeout=2500",
    }
    assert database_settings(DATABASE_URL="sqlite:////tmp/backcare.sqlite3") == {}
