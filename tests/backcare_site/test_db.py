"""The database's deadlines (backcare_site/db.py): a watchdog thread cuts a
query, commit or health check past its deadline, and /healthz runs one check
at a time. The watchdog's tests open PostgreSQL connections of their own."""

import threading
import time
import timeit
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from unittest import mock

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

from tests.servers import ON_POSTGRESQL, SLACK, database_proxy, timed

needs_a_socket = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="the watchdog cuts sockets: SQLite is a file"
)


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


@pytest.mark.servers
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


@pytest.mark.servers
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


@pytest.mark.servers
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


# Coverage traces every line, the deadline's too: it would measure the tracer.
@pytest.mark.no_cover
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
