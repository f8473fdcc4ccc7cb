"""
Query budgets (DESIGN.md §7): one table for every page of the site.

A public page makes at most 4 queries and a signed-in page at most 8, some
fewer (the budgets below pin what each page costs today). A catalogue page
also reads the catalogue's version (exercises.cache): the one query of a
warm visitor's page, and one over the 4 for a routine's page or a guided
step made on a cold cache. Each page is
measured on a cold cache (after a cache restart: the worst case) and warm (the
same request again), at small data and at large: the practice routine and one
session, then thirty more routines, twenty more warnings on the practice
routine and its exercises, thirty more steps on a routine, and 2,000 sessions
with their steps. The count must not grow with the data.
"""

import json
from collections import namedtuple
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import resolve
from django.utils import timezone, translation

from accounts import services
from accounts.models import CompletedSession, StepResult
from exercises.models import Contraindication, Severity, StepOutcome
from tests.factories import (
    ContraindicationFactory,
    ExerciseFactory,
    RoutineFactory,
    RoutineStepFactory,
    UserFactory,
)
from tests.helpers import count_queries, text, url_patterns

PUBLIC = 4
# A catalogue page made on a cold cache: its parts, and the version read.
PUBLIC_COLD = PUBLIC + 1
SIGNED_IN = 8
SESSIONS = 2000
GATE = "/routines/practice/guide/"
# A page's budget with the cache cold, and warm.
Budget = namedtuple("Budget", "url cold warm")

VISITOR_PAGES = {
    # Warm, whole from the page cache: the catalogue's version only.
    "home": Budget("/", PUBLIC, 1),
    "about": Budget("/about/", PUBLIC, 1),
    "routine page": Budget("/routines/practice/", PUBLIC_COLD, 1),
    "routine page, many steps": Budget("/routines/long/", PUBLIC_COLD, 1),
    # The same in Chinese: kept per language, at the same cost.
    "routine page, Chinese": Budget("/zh-hans/routines/practice/", PUBLIC_COLD, 1),
    "exercise page": Budget("/exercises/knee-rocks/", PUBLIC, 1),
    "held exercise page": Budget("/exercises/bridge/", PUBLIC, 1),
    "each-side exercise page": Budget("/exercises/leg-stretch/", PUBLIC, 1),
    "timed exercise page": Budget("/exercises/walk/", PUBLIC, 1),
    "privacy": Budget("/privacy/", 0, 0),
    "health check": Budget("/healthz", PUBLIC, PUBLIC),
    "liveness": Budget("/livez", 0, 0),
    "manifest": Budget("/manifest.webmanifest", 0, 0),
    "service worker": Budget("/sw.js", 0, 0),
    "offline page": Budget("/offline/", 0, 0),
    # Kept for visitors, as the catalogue's pages are: its version only.
    "player's words": Budget("/jsi18n/", 1, 1),
    "routine plan, for offline": Budget("/routines/practice/plan.json", PUBLIC, 1),
    "offline save's token": Budget("/progress/save-offline/", 0, 0),
    "gate": Budget(GATE, PUBLIC, PUBLIC),
    "log-in": Budget("/accounts/login/", PUBLIC, PUBLIC),
    "sign-up": Budget("/accounts/signup/", PUBLIC, PUBLIC),
    "password reset": Budget("/accounts/password_reset/", PUBLIC, PUBLIC),
    "reset mailed": Budget("/accounts/password_reset/done/", PUBLIC, PUBLIC),
    "reset link": Budget("/accounts/reset/x/x/", PUBLIC, PUBLIC),
    "reset done": Budget("/accounts/reset/done/", PUBLIC, PUBLIC),
}
# A visitor who acknowledged the safety check: the run is under way. Warm:
# the session and the catalogue's version.
GUIDED_PAGES = {
    "gate": Budget(GATE, PUBLIC_COLD, 2),
    **{f"step {n}": Budget(f"{GATE}{n}/", PUBLIC_COLD, 2) for n in range(1, 5)},
    "finish": Budget(f"{GATE}finish/", PUBLIC_COLD, 2),
}
# A visitor who answered every step: the finish page and its reloads.
FINISHED_PAGES = {
    "finish": Budget(f"{GATE}finish/", PUBLIC_COLD, 2),
    "finish, reloaded": Budget(f"{GATE}finish/", PUBLIC_COLD, 2),
}
# A person who answered yes to every screening question and has their
# doctor's clearance; "{session}" is their first session's page.
PERSON_PAGES = {
    # Warm, from the person's page cache: the session, the user, the version
    # of their figures and the catalogue's.
    "dashboard": Budget("/progress/", SIGNED_IN, 4),
    "dashboard, Chinese": Budget("/zh-hans/progress/", SIGNED_IN, 4),
    "history": Budget("/progress/history/", SIGNED_IN, 4),
    "session page": Budget("{session}", SIGNED_IN, 4),
    "session delete page": Budget("{session}delete/", SIGNED_IN, SIGNED_IN),
    "log a session": Budget("/progress/log/", SIGNED_IN, SIGNED_IN),
    "CSV export": Budget("/progress/export.csv", SIGNED_IN, SIGNED_IN),
    "JSON export": Budget("/progress/export.json", SIGNED_IN, SIGNED_IN),
    "profile": Budget("/accounts/profile/", SIGNED_IN, 4),
    "plan": Budget("/progress/plan/", SIGNED_IN, SIGNED_IN),
    "screening": Budget("/accounts/screening/", SIGNED_IN, 4),
    "password change": Budget("/accounts/password_change/", SIGNED_IN, SIGNED_IN),
    "password changed": Budget("/accounts/password_change/done/", SIGNED_IN, SIGNED_IN),
    "home": Budget("/", SIGNED_IN, SIGNED_IN),
    "about": Budget("/about/", SIGNED_IN, SIGNED_IN),
    "exercise page": Budget("/exercises/leg-stretch/", 6, 3),
    # Answers add one query, however many there are, and red flags one more.
    "routine page": Budget("/routines/practice/", SIGNED_IN, 4),
    "privacy": Budget("/privacy/", 2, 2),
    # A page that never asks who is signed in reads no user.
    "liveness": Budget("/livez", 0, 0),
}
# The same person with a run under way.
GUIDED_PERSON_PAGES = {
    "gate": Budget(GATE, SIGNED_IN, 4),
    **{f"step {n}": Budget(f"{GATE}{n}/", SIGNED_IN, 4) for n in range(1, 5)},
    "finish": Budget(f"{GATE}finish/", SIGNED_IN, 4),
}
# Pages that exist only with many sessions, held to the count of the first.
LATER_PAGES = {
    "history page 2": ("/progress/history/?page=2", "history"),
    "history page 100": ("/progress/history/?page=100", "history"),
}


# The data, small then large


@pytest.fixture
def long_routine(db):
    routine = RoutineFactory(slug="long", title="Long", level=60)
    RoutineStepFactory(routine=routine, exercise=ExerciseFactory(), order=1)
    return routine


@pytest.fixture
def person(practice, long_routine):
    """Screened: yes to every question, ten more advising against every
    practice exercise, and the doctor's clearance; a time zone of their own;
    one session."""
    person = UserFactory(
        username="alex", weekly_target=4, time_zone="America/Los_Angeles"
    )
    extra = [
        ContraindicationFactory(
            severity=Severity.AVOID, screening_question=f"Question {n}?"
        )
        for n in range(10)
    ]
    for step in practice.steps.select_related("exercise"):
        step.exercise.contraindications.add(*extra)
    person.conditions.set([*Contraindication.objects.screened(), *extra])
    person.screening_answered_at = timezone.now()
    person.doctor_cleared_on = timezone.localdate()
    person.save()
    grow_sessions(person, practice, 1)
    return person


def nothing_done(n):
    """Every other session of the routine had every step skipped."""
    return n % 17 != 0 and n % 2 == 1


def grow_sessions(person, routine, count, *, start=0):
    """Sessions start … count-1 of `person`, each with its routine's steps."""
    steps = list(routine.steps.select_related("exercise"))
    now = timezone.now()
    sessions = CompletedSession.objects.bulk_create(
        [
            CompletedSession(
                user=person,
                routine=routine if n % 17 else None,
                routine_title=routine.title if n % 17 else "A routine since removed",
                started_at=now - timedelta(hours=9 * n + 1),
                finished_at=now - timedelta(hours=9 * n + 1, minutes=-10 - n % 25),
                pain_before=None if n % 13 == 0 else n % 11,
                pain_after=None if n % 13 == 0 else (n + 7) % 11,
                notes=(f"Session {n}. " + "Felt steady, a little stiff. " * 8)
                if n % 3 == 0
                else "",
                client_token=f"grow-{n}",
            )
            for n in range(start, count)
        ],
        batch_size=500,
    )
    StepResult.objects.bulk_create(
        [
            StepResult(
                session=session,
                order=step.order,
                exercise=step.exercise,
                exercise_name=step.exercise.name,
                outcome=StepOutcome.SKIPPED
                if nothing_done(n) or (step.order + n) % 5 == 0
                else StepOutcome.SKIPPED_FOR_SAFETY
                if step.order == 3
                else StepOutcome.DONE,
            )
            for n, session in enumerate(sessions, start=start)
            if session.routine_id
            for step in steps
        ],
        batch_size=1000,
    )
    # Written past the services: the person's kept figures are counted anew.
    services.totals_rebuild(user=person)


def grow_catalogue(practice, long_routine):
    """Twenty more warnings on the practice routine and its exercises, thirty
    more routines (each reusing a practice exercise) and thirty more steps."""
    warnings = [
        ContraindicationFactory(
            title=f"Extra warning {n:02}",
            description=f"Extra warning number {n:02}.",
            severity=list(Severity.values)[n % len(Severity.values)],
        )
        for n in range(20)
    ]
    practice.contraindications.add(*warnings)
    knee_rocks = None
    for step in practice.steps.select_related("exercise"):
        step.exercise.contraindications.add(*warnings)
        knee_rocks = knee_rocks or step.exercise
    for n in range(30):
        warning = ContraindicationFactory()
        routine = RoutineFactory(title=f"Extra routine {n:02}", level=100 + n)
        routine.contraindications.add(warning)
        exercise = ExerciseFactory(contraindications=[warning])
        RoutineStepFactory(routine=routine, exercise=exercise, order=1)
        RoutineStepFactory(
            routine=routine, exercise=ExerciseFactory(), order=2, hold_seconds=5
        )
        RoutineStepFactory(routine=routine, exercise=knee_rocks, order=3)
        RoutineStepFactory(
            routine=long_routine,
            exercise=ExerciseFactory(contraindications=[ContraindicationFactory()]),
            order=2 + n,
        )


@pytest.fixture
def grow(practice, long_routine, person):
    def grow():
        grow_catalogue(practice, long_routine)
        grow_sessions(person, practice, SESSIONS, start=1)

    return grow


# Who reads the pages


def acknowledged(client):
    assert client.post(GATE, {"acknowledged": "on"}).status_code == 302
    return client


def finished(client):
    acknowledged(client)
    for number in range(1, 5):
        response = client.post(f"{GATE}{number}/", {"action": "done"})
        assert response.status_code == 302, number
    assert response.url == f"{GATE}finish/"
    return client


def signed_in_as(person):
    client = Client()
    client.force_login(person)
    return client


Measured = namedtuple("Measured", "cold warm body cold_body")


def measure(client, pages, **fill):
    """{page: Measured}: its queries cold and warm, and its bodies."""
    counts = {}
    for name, budget in pages.items():
        url = budget.url.format(**fill)
        cache.clear()
        cold = count_queries(client, url)
        warm = count_queries(client, url)
        counts[name] = Measured(len(cold), len(warm), warm.body, cold.body)
    return counts


def assert_within_budget_and_flat(pages, small, large):
    def counts(measured):
        return measured.cold, measured.warm

    grew = {
        name: (counts(small[name]), counts(large[name]))
        for name in pages
        if counts(small[name]) != counts(large[name])
    }
    over = {
        name: (counts(large[name]), (budget.cold, budget.warm))
        for name, budget in pages.items()
        if large[name].cold > budget.cold or large[name].warm > budget.warm
    }
    assert grew == {}, f"(cold, warm) at small and at large data: {grew}"
    assert over == {}, f"(cold, warm) over their budgets: {over}"


# The table, page by page


TABLES = [
    (VISITOR_PAGES, PUBLIC_COLD),
    (GUIDED_PAGES, PUBLIC_COLD),
    (FINISHED_PAGES, PUBLIC_COLD),
    (PERSON_PAGES, SIGNED_IN),
    (GUIDED_PERSON_PAGES, SIGNED_IN),
]
# Views that answer a POST only: no page of their own to budget.
POST_ONLY = {
    "set_language",
    "logout",
    "accounts:delete",
    "accounts:doctor_clearance",
    "accounts:guided_save",
    "accounts:level",
}
# Bytes, not text: tests/backcare_site/test_pwa.py counts its queries (none).
NOT_TEXT = {"favicon"}
# Redirects to the guide, where the service worker does not answer them
# (tests/accounts/views/test_offline_save.py): no page of their own.
REDIRECTS = {
    "exercises:guide_offline",
    "exercises:guide_offline_step",
    "exercises:guide_offline_finish",
}


def view_name(url):
    """The view of ``url``, resolved in the language of its address."""
    path = urlsplit(url.format(session="/progress/sessions/1/")).path
    language = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
    with translation.override(language):
        return resolve(path).view_name


def test_the_table_budgets_every_page_of_the_urlconf():
    budgeted = {
        view_name(budget.url) for pages, _ in TABLES for budget in pages.values()
    }

    every = {name for _, name, _ in url_patterns()}
    assert sorted(every - POST_ONLY - NOT_TEXT - REDIRECTS - budgeted) == []


def test_every_budget_is_within_the_designs():
    for pages, ceiling in TABLES:
        for name, budget in pages.items():
            assert max(budget.cold, budget.warm) <= ceiling, name


def test_a_visitors_pages_stay_within_budget_as_the_catalogue_grows(grow):
    small = measure(Client(), VISITOR_PAGES)
    grow()
    large = measure(Client(), VISITOR_PAGES)

    assert_within_budget_and_flat(VISITOR_PAGES, small, large)
    assert "Extra routine 29" in text(large["home"].body)
    assert "Extra routine 29" in text(large["exercise page"].body)
    assert 'id="step-31"' in large["routine page, many steps"].body
    assert "Extra warning number 19." in text(large["routine page"].body)
    assert '<html lang="zh-hans"' in large["routine page, Chinese"].body
    assert '<html lang="en-gb"' in large["routine page"].body
    # A page with one query warm (the version) came whole from the page cache.
    for name, budget in VISITOR_PAGES.items():
        if budget.warm == 1 and budget.cold > 1:
            assert large[name].body == large[name].cold_body, name


def test_a_guided_visitors_pages_stay_within_budget_as_the_catalogue_grows(grow):
    small = measure(acknowledged(Client()), GUIDED_PAGES)
    grow()
    large = measure(acknowledged(Client()), GUIDED_PAGES)

    assert_within_budget_and_flat(GUIDED_PAGES, small, large)
    for name in GUIDED_PAGES.keys() - {"finish"}:
        assert "Extra warning number 19." in text(large[name].body), name


def test_the_finish_page_stays_within_budget_after_the_last_step_and_on_reload(
    grow,
):
    # Measured straight after the last step: the first visit, then a reload.
    small = measure(finished(Client()), FINISHED_PAGES)
    grow()
    large = measure(finished(Client()), FINISHED_PAGES)

    assert_within_budget_and_flat(FINISHED_PAGES, small, large)
    for name in FINISHED_PAGES:
        assert large[name].body.count("outcome-done") == 4, name


def test_a_persons_pages_stay_within_budget_from_1_to_2000_sessions(person, grow):
    client = signed_in_as(person)
    first = CompletedSession.objects.earliest("started_at")
    assert first == CompletedSession.objects.get()
    session = first.get_absolute_url()
    small = measure(client, PERSON_PAGES, session=session)
    grow()
    large = measure(client, PERSON_PAGES, session=session)
    pages = dict(PERSON_PAGES)
    for name, (url, like) in LATER_PAGES.items():
        pages[name] = PERSON_PAGES[like]._replace(url=url)
        large[name] = measure(client, {name: pages[name]})[name]
        small[name] = small[like]

    assert_within_budget_and_flat(pages, small, large)
    assert CompletedSession.objects.filter(user=person).count() == SESSIONS
    not_counted = sum(map(nothing_done, range(SESSIONS)))
    dashboard = text(large["dashboard"].body)
    assert '<html lang="zh-hans"' in large["dashboard, Chinese"].body
    assert '<html lang="en-gb"' in large["dashboard"].body
    assert "Streak" in dashboard
    assert "Who can see it" in text(large["privacy"].body)
    assert f"in {SESSIONS - not_counted} sessions." in dashboard
    assert f"Not counted: {not_counted} sessions with no exercise done." in dashboard
    assert small["CSV export"].body.count("\n") == 2
    assert large["CSV export"].body.count("\n") == SESSIONS + 1
    sessions = json.loads(large["JSON export"].body)["sessions"]
    assert len(sessions) == SESSIONS
    with_steps = [session for session in sessions if session["steps"]]
    assert len(with_steps) == SESSIONS - len(range(0, SESSIONS, 17))
    assert all(len(session["steps"]) == 4 for session in with_steps)


def test_a_persons_run_stays_within_budget_from_1_to_2000_sessions(person, grow):
    client = acknowledged(signed_in_as(person))
    small = measure(client, GUIDED_PERSON_PAGES)
    grow()
    large = measure(client, GUIDED_PERSON_PAGES)

    assert_within_budget_and_flat(GUIDED_PERSON_PAGES, small, large)


# The page cache


def test_a_query_string_keeps_the_public_budget(client, practice):
    client.get("/routines/practice/?utm=1")

    again = count_queries(client, "/routines/practice/?utm=1")
    plain = count_queries(client, "/routines/practice/")

    # Neither is served whole from the page's entry under its path (the
    # query string's page is kept by what it shows, not by its URL:
    # tests/exercises/test_cache.py); both keep the budget.
    assert len(again) <= PUBLIC and len(plain) <= PUBLIC
    assert again.body == plain.body
