"""
Redis down is slower, never broken: real servers started and stopped here.

gunicorn (2 workers, debug off) serves BackCare with the test's own Redis
behind a TCP proxy; closing the proxy makes Redis unreachable while it keeps
its data, as a network fault would, and opening it brings Redis back.
"""

import re
import time
from collections import Counter
from datetime import date

import pytest

from accounts.models import CompletedSession
from exercises.models import Routine, RoutineStep
from tests.factories import PASSWORD, UserFactory
from tests.helpers import csrf_token
from tests.servers import (
    HELD_10,
    HELD_12,
    TcpProxy,
    catalogue_editor,
    gunicorn,
    needs_postgresql,
    redis_server,
    set_repetitions,
    step_dose,
)

pytestmark = pytest.mark.servers
ROUNDS = 15


@pytest.fixture
def redis_behind_proxy():
    with redis_server() as port:
        proxy = TcpProxy("127.0.0.1", port)
        proxy.open()
        try:
            yield proxy
        finally:
            proxy.close()


def every_page(server, person, rounds=ROUNDS):
    """Visitors, a guided run, a signed-in person's pages, a log and log-ins."""
    statuses = Counter()
    for n in range(rounds):
        visitor = server.client()
        for path in ("/", "/routines/beginner/", "/exercises/wall-squats/", "/about/"):
            statuses[path, visitor.get(path).status] += 1
        gate = visitor.get("/routines/beginner/guide/")
        statuses["gate", gate.status] += 1
        started = visitor.post(
            "/routines/beginner/guide/",
            {"acknowledged": "on", "csrfmiddlewaretoken": csrf_token(gate.text)},
        )
        statuses["start", started.status] += 1
        step = visitor.get("/routines/beginner/guide/1/")
        statuses["step", step.status] += 1
        visitor.close()
        for path in ("/progress/", "/progress/history/", "/accounts/profile/"):
            statuses[path, person.get(path).status] += 1
        form = person.get("/progress/log/")
        routine = re.search(r'<option value="(\d+)"', form.text)
        logged = person.post(
            "/progress/log/",
            {
                "date": date.today().isoformat(),
                "routine": routine[1] if routine else "",
                "minutes": 10,
                "client_token": f"outage-{n}",
                "csrfmiddlewaretoken": csrf_token(form.text),
            },
        )
        statuses["log", logged.status] += 1
        newcomer = server.client()
        login = newcomer.get("/accounts/login/")
        posted = newcomer.post(
            "/accounts/login/",
            {
                "username": "outage_person",
                "password": PASSWORD,
                "csrfmiddlewaretoken": csrf_token(login.text),
            },
        )
        statuses["log-in", posted.status] += 1
        newcomer.close()
    return statuses


def cache_lines(server, text):
    return [line for line in server.errors().splitlines() if text in line]


@needs_postgresql
def test_with_redis_unreachable_every_page_and_form_works_and_heals(
    transactional_db, catalogue, redis_behind_proxy
):
    proxy = redis_behind_proxy
    beginner = Routine.objects.get(slug="beginner")
    UserFactory(username="outage_person")
    staff = catalogue_editor()
    with gunicorn(
        workers=2,
        REDIS_URL=f"redis://127.0.0.1:{proxy.port}/0",
        DJANGO_CACHE_RETRY_SECONDS=1,
        DJANGO_LOG_LEVEL="WARNING",
    ) as server:
        person = server.signed_in("outage_person", PASSWORD)
        admin = server.signed_in(staff.username, PASSWORD)
        # Both workers cache the routine page as it is.
        for _ in range(20):
            assert step_dose(server.client().get("/routines/beginner/").text, 3) == (
                HELD_10
            )
        assert "cache: ok" in server.client().get("/healthz").text

        proxy.close()
        started = time.monotonic()
        statuses = every_page(server, person)
        elapsed = time.monotonic() - started

        failures = {key: n for key, n in statuses.items() if key[1] >= 500}
        assert failures == {}, statuses
        assert sum(statuses.values()) == ROUNDS * 12
        assert {status for _, status in statuses} <= {200, 302}
        assert statuses["log", 302] == ROUNDS
        assert statuses["log-in", 302] == ROUNDS
        assert (
            CompletedSession.objects.filter(user__username="outage_person").count()
            == ROUNDS
        )
        # Twelve requests a round; unreachable Redis must not cost seconds each.
        assert elapsed < ROUNDS * 3, f"{elapsed:.1f} s for {ROUNDS} rounds"
        health = server.client().get("/healthz")
        assert health.status == 200
        assert "database: ok" in health.text
        assert "cache: down" in health.text
        # Said once per worker, not once per request.
        assert 1 <= len(cache_lines(server, "Exception ignored")) <= 2

        # An editor changes step 3 while Redis is down: visitors see it at once.
        assert set_repetitions(admin, beginner, 3, 12)[2].status == 302
        assert RoutineStep.objects.get(routine=beginner, order=3).repetitions == 12
        assert step_dose(server.client().get("/routines/beginner/").text, 3) == (
            HELD_12
        )

        # Redis comes back with its old pages: no worker serves them.
        proxy.open()
        time.sleep(1.2)  # the retry interval
        mark = len(server.access_lines())
        doses = [
            step_dose(server.client().get("/routines/beginner/").text, 3)
            for _ in range(40)
        ]
        assert doses == [HELD_12] * 40
        workers = {
            pid
            for pid, method, url, status in server.access_lines()[mark:]
            if url == "/routines/beginner/"
        }
        assert len(workers) == 2
        assert "cache: ok" in server.client().get("/healthz").text
        assert person.get("/progress/").status == 200
