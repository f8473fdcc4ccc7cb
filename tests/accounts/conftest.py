from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import CompletedSession
from exercises.models import Contraindication, Routine

# What the guided walk below answers on each beginner step: step 3 is skipped.
BEGINNER_ACTIONS = ["done", "done", "skip", "done", "done", "done"]


@pytest.fixture
def beginner(catalogue):
    return Routine.objects.get(slug="beginner")


@pytest.fixture
def walk_beginner(catalogue):
    """Acknowledge the beginner gate, answer all six steps, open the finish page."""

    def walk(client, actions=BEGINNER_ACTIONS):
        assert (
            client.post("/routines/beginner/guide/", {"acknowledged": "on"}).status_code
            == 302
        )
        for number, action in enumerate(actions, start=1):
            response = client.post(
                f"/routines/beginner/guide/{number}/", {"action": action}
            )
            assert response.status_code == 302
        response = client.get("/routines/beginner/guide/finish/")
        assert response.status_code == 200
        return response

    return walk


@pytest.fixture
def bulk_sessions():
    """Make `count` sessions of `user` quickly, one every six hours back from now."""

    def make(user, count, *, routine=None, title="Beginner"):
        now = timezone.now()
        CompletedSession.objects.bulk_create(
            CompletedSession(
                user=user,
                routine=routine,
                routine_title=routine.title if routine else title,
                started_at=now - timedelta(hours=6 * n + 1),
                finished_at=now - timedelta(hours=6 * n + 1) + timedelta(minutes=15),
                pain_before=n % 11,
                pain_after=(n + 3) % 11,
                notes=f"bulk {n}",
                client_token=f"bulk-{n}",
            )
            for n in range(count)
        )

    return make


@pytest.fixture
def nerve_pain(catalogue):
    return Contraindication.objects.get(slug="nerve-pain-legs")


@pytest.fixture
def disc(catalogue):
    return Contraindication.objects.get(slug="disc-damage")
