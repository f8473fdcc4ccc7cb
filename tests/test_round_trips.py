"""
Round trips a warm page makes to Redis and to the database (issue 17): with
the shared cache, each process remembers the catalogue's version, the
browser's session, a signed-in person's row and figures, and the pages it
kept, until word of a change (backcare_site/changes.py). Once warm, none of
these pages reads anything.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services
from tests.factories import UserFactory
from tests.helpers import html
from tests.servers import needs_shared_cache

pytestmark = needs_shared_cache

GUIDE = "/routines/practice/guide/"


def round_trips(client, url, redis_commands):
    """(Redis round trips, queries) of a GET of ``url``, its third."""
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    del redis_commands[:]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        html(response)
    assert response.status_code == 200, url
    return len(redis_commands), len(queries)


def run_under_way(client):
    assert client.post(GUIDE, {"acknowledged": "on"}).status_code == 302
    assert client.post(f"{GUIDE}1/", {"action": "done"}).status_code == 302


@pytest.mark.parametrize(
    "url", ["/", "/about/", "/routines/practice/", "/exercises/knee-rocks/"]
)
def test_a_visitors_warm_catalogue_page_reads_nothing(
    client, practice, redis_commands, url
):
    assert round_trips(client, url, redis_commands) == (0, 0)


def test_a_visitors_warm_guided_step_reads_nothing(client, practice, redis_commands):
    run_under_way(client)

    assert round_trips(client, f"{GUIDE}2/", redis_commands) == (0, 0)


@pytest.mark.parametrize(
    "url",
    [
        f"{GUIDE}2/",
        "/routines/practice/",
        "/exercises/knee-rocks/",
        "/progress/",
        "/progress/history/",
        "session",
    ],
)
def test_a_signed_in_persons_warm_page_reads_nothing(
    practice, avoid_warning, redis_commands, url
):
    person = UserFactory(username="ruth_okafor")
    services.screening_update(user=person, conditions=[avoid_warning])
    session = services.session_record(
        user=person,
        routine=practice,
        routine_title=practice.title,
        started_at=timezone.now() - timedelta(hours=2),
        finished_at=timezone.now() - timedelta(hours=1, minutes=40),
        client_token="ruth-1",
    )[0]
    client = Client()
    client.force_login(person)
    run_under_way(client)
    if url == "session":
        url = f"/progress/sessions/{session.pk}/"

    assert round_trips(client, url, redis_commands) == (0, 0)
