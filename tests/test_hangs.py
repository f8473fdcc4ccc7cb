"""
A slow client or a hung database does not stop the site.

Real servers, started and stopped here: gunicorn with the repository's
gunicorn.conf.py (2 workers, debug off), and PostgreSQL behind the test's TCP
proxy, whose ``pause()`` plays a server that hangs (connections stay open,
nothing comes back), as a stopped process or a dead network would. A server
serving pages needs a database a second process can open: PostgreSQL only, as
in test_reliability.py.
The deadline's parts and the health check are in tests/backcare_site/test_db.py.
"""

import http.client
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing, suppress

import pytest
from django.core.cache import cache

from tests.factories import PASSWORD, CompletedSessionFactory, UserFactory
from tests.servers import (
    ON_POSTGRESQL,
    SLACK,
    assert_styled_503,
    database_proxy,
    gunicorn,
    gunicorn_database_url,
    needs_postgresql,
    timed,
)

pytestmark = pytest.mark.servers

STATEMENT_TIMEOUT_MS = 2000
GRACE_SECONDS = 1.0
DEADLINE = STATEMENT_TIMEOUT_MS / 1000 + GRACE_SECONDS

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
