"""The database's deadlines (backcare_site/db.py): psycopg2's waits end at the
request's deadline, whatever Django waits for (a query, COMMIT, the health
check of a kept connection, connecting), and /healthz runs one check at a
time. The deadline's tests open PostgreSQL connections of their own."""

import contextvars
import socket
import threading
import time
import timeit
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager, suppress
from unittest import mock

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

from tests.servers import ON_POSTGRESQL, SLACK, database_proxy, timed

needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="a deadline on a server: SQLite is a file"
)


@pytest.fixture
def own_connection(transactional_db):
    """A connection of this test's own, with psycopg2 waiting through
    backcare_site.db (as the site's middleware sets it up)."""
    from backcare_site import db

    db.install()
    wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
    yield wrapper
    with suppress(Exception):
        wrapper.close()


@contextmanager
def request_deadline(seconds):
    """What DeadlineMiddleware gives each request."""
    from backcare_site import db

    token = db.deadline.set(db.Deadline(seconds))
    try:
        yield
    finally:
        db.deadline.reset(token)


def query(wrapper, sql):
    with wrapper.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def behind(wrapper, proxy, **options):
    wrapper.settings_dict = {
        **wrapper.settings_dict,
        "HOST": "127.0.0.1",
        "PORT": proxy.port,
        "OPTIONS": {**wrapper.settings_dict["OPTIONS"], **options},
    }


@pytest.mark.servers
@needs_postgresql
def test_a_query_past_its_deadline_is_cut_and_one_in_time_is_not(
    own_connection, caplog
):
    with request_deadline(0.5):
        # In time: answered.
        assert query(own_connection, "SELECT pg_sleep(0.2), 1")[1] == 1
        assert query(own_connection, "SELECT 2") == (2,)

        # Past it: cut at the deadline, though the server's timeout is 10 s.
        started = time.monotonic()
        with pytest.raises(OperationalError, match="did not answer within 0.5 s"):
            query(own_connection, "SELECT pg_sleep(5)")
        took = time.monotonic() - started
    assert 0.5 <= took < 1, (
        f"a 5 s query with a 0.5 s deadline ended after {took:.2f} s"
    )
    assert "did not answer within 0.5 s: closed the connection" in caplog.text
    assert not own_connection.is_usable()

    # Django drops the broken connection; the next request connects afresh.
    own_connection.close_if_unusable_or_obsolete()
    assert own_connection.connection is None
    with request_deadline(0.5):
        assert query(own_connection, "SELECT 3") == (3,)


@pytest.mark.servers
@needs_postgresql
def test_a_commit_or_health_check_that_hangs_is_cut(own_connection):
    with database_proxy() as proxy:
        behind(own_connection, proxy)
        with request_deadline(0.5):
            assert query(own_connection, "SELECT 1") == (1,)

        # COMMIT of a transaction, with the server hung.
        with request_deadline(0.5):
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
        with request_deadline(0.5):
            assert query(own_connection, "SELECT 5") == (5,)
        own_connection.close_if_unusable_or_obsolete()  # a new request
        proxy.pause()
        with request_deadline(0.5):
            started = time.monotonic()
            with pytest.raises(OperationalError, match="did not answer within 0.5 s"):
                query(own_connection, "SELECT 6")
            took = time.monotonic() - started
        assert took < 1, f"the health check ended after {took:.2f} s"
        assert own_connection.connection is None

        # The next request, once the server is back, is served.
        proxy.resume()
        with request_deadline(0.5):
            assert query(own_connection, "SELECT 7") == (7,)


@pytest.mark.servers
@needs_postgresql
def test_outside_a_request_only_connecting_is_bounded(own_connection):
    # A command or a migration, in a thread that serves no request: a wait
    # lasts until the server answers, and connecting gives up after libpq's
    # connect_timeout, as when psycopg2 blocks.
    outside = contextvars.Context()
    with database_proxy() as proxy:
        behind(own_connection, proxy, connect_timeout=2)
        assert outside.run(query, own_connection, "SELECT 8") == (8,)
        proxy.pause()
        back = threading.Timer(2, proxy.resume)
        back.start()
        answer, took = timed(outside.run, query, own_connection, "SELECT 9")
        back.join()
        assert answer == (9,)
        assert took >= 2, f"answered after {took:.2f} s, with the server hung 2 s"

        own_connection.close()
        proxy.pause()
        connecting, took = timed(
            outside.run,
            pytest.raises,
            OperationalError,
            query,
            own_connection,
            "SELECT 10",
        )
    assert "did not answer within 2.0 s" in str(connecting.value)
    assert 2 <= took < 2 + SLACK, f"connecting gave up after {took:.2f} s"


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


# Coverage traces every line, the callback's too: it would measure the tracer.
@pytest.mark.no_cover
def test_a_deadline_costs_microseconds_per_wait():
    from psycopg2.extensions import POLL_OK, POLL_READ, STATUS_READY

    from backcare_site.db import wait_for_database

    answer, server = socket.socketpair()
    server.send(b"1")  # always readable

    class Connection:
        """What psycopg2 hands the callback: the answer comes on the 2nd poll."""

        status = STATUS_READY
        polls = 0

        def fileno(self):
            return answer.fileno()

        def poll(self):
            self.polls += 1
            return POLL_OK if self.polls % 2 == 0 else POLL_READ

    connection = Connection()

    def bare():
        connection.poll()
        connection.poll()

    rounds = 20000
    with closing(answer), closing(server), request_deadline(10):
        bare_time = min(timeit.repeat(bare, number=rounds, repeat=5))
        waited = min(
            timeit.repeat(
                lambda: wait_for_database(connection), number=rounds, repeat=5
            )
        )
    cost = (waited - bare_time) / rounds * 1e6
    assert cost < 5, f"a deadline costs {cost:.2f} µs per wait"


@pytest.mark.servers
@needs_postgresql
def test_a_streamed_body_keeps_the_deadline_of_its_request(own_connection, settings):
    # The body of a streamed response (a person's export) is read after the
    # middleware returned, by the server's thread that ran the request.
    from django.http import StreamingHttpResponse

    from backcare_site.db import DeadlineMiddleware

    settings.DATABASE_STATEMENT_TIMEOUT_MS = 500  # a 1.5 s deadline

    def rows():
        for n in (1, 2):
            yield str(query(own_connection, f"SELECT {n}")[0])

    # The server's thread, whose deadline stays with it after the response.
    thread = contextvars.copy_context()
    with database_proxy() as proxy:
        behind(own_connection, proxy)
        middleware = DeadlineMiddleware(lambda request: StreamingHttpResponse(rows()))
        body = iter(thread.run(middleware, None).streaming_content)
        assert thread.run(next, body) == b"1"
        proxy.pause()
        # Without a deadline the read would wait for the server to come back.
        back = threading.Timer(5, proxy.resume)
        back.start()
        try:
            started = time.monotonic()
            with pytest.raises(OperationalError, match="did not answer within 1.5 s"):
                thread.run(next, body)
            took = time.monotonic() - started
        finally:
            back.cancel()
    assert took < 1.5 + SLACK, f"the streamed body's query ended after {took:.2f} s"


@pytest.mark.servers
@needs_postgresql
def test_the_deadline_ends_with_its_request(own_connection, settings):
    # What the server's thread does after a request whose database hung (a
    # test after the test client's request, say) waits as usual again.
    from django.http import HttpResponse

    from backcare_site.db import DeadlineMiddleware

    settings.DATABASE_STATEMENT_TIMEOUT_MS = 500

    def view(request):
        with pytest.raises(OperationalError, match="did not answer within 1.5 s"):
            query(own_connection, "SELECT 1")
        return HttpResponse()

    thread = contextvars.copy_context()
    with database_proxy() as proxy:
        behind(own_connection, proxy)
        proxy.pause()
        response = thread.run(DeadlineMiddleware(view), None)
        thread.run(response.close)  # the server is done with it
        proxy.resume()
        assert thread.run(query, own_connection, "SELECT 2") == (2,)
