from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import CompletedSession

# What the guided walk below answers on each practice step: step 3, the
# each-side step an avoid-warning guards, is skipped.
PRACTICE_ACTIONS = ["done", "done", "skip", "done"]


@pytest.fixture
def walk(practice):
    """Acknowledge the practice routine's safety check, answer its steps, open the finish page."""

    def walk(client, actions=PRACTICE_ACTIONS):
        guide = "/routines/practice/guide/"
        assert client.post(guide, {"acknowledged": "on"}).status_code == 302
        for number, action in enumerate(actions, start=1):
            response = client.post(f"{guide}{number}/", {"action": action})
            assert response.status_code == 302
        response = client.get(f"{guide}finish/")
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
def now_is(monkeypatch):
    """Fix the moment Django takes for now (sessions, forms, "today")."""

    def freeze(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(ZoneInfo("UTC")))

    return freeze
