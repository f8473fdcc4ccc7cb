"""
Reliability through real servers: concurrent writers through gunicorn, an
editor's change seen by every worker, a real database outage.

gunicorn needs a database that a second process can open while the tests run,
so these run on PostgreSQL (CI sets DATABASE_URL); on SQLite the test database
lives in pytest's own memory and they are skipped.
"""

import io
import random
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import CompletedSession, StepResult, User
from exercises.cache import catalogue_version, entry_key
from exercises.models import (
    Contraindication,
    Exercise,
    Routine,
    RoutineStep,
    StepOutcome,
)
from tests.factories import (
    PASSWORD,
    CompletedSessionFactory,
    StepResultFactory,
    UserFactory,
)
from tests.helpers import csrf_token
from tests.servers import (
    HELD_10,
    HELD_12,
    assert_styled_503,
    catalogue_editor,
    database_proxy,
    gunicorn,
    gunicorn_database_url,
    needs_postgresql,
    needs_shared_cache,
    set_repetitions,
    step_dose,
)

pytestmark = pytest.mark.servers

THREADS = 8
SESSIONS_PER_THREAD = 250
REPEATS_PER_THREAD = 50
RACE_ROUNDS = 15

# --- Concurrency -----------------------------------------------------------


@needs_postgresql
def test_eight_people_at_once_log_exactly_one_row_per_token(
    transactional_db, catalogue
):
    """8 threads × (250 new tokens + 50 repeats) through 2 gunicorn workers."""
    user = UserFactory(username="concurrent_writer")
    run = uuid.uuid4().hex[:8]
    used, lock = [], threading.Lock()

    def writer(number):
        rng = random.Random(number)
        results = []
        client = server.signed_in(user.username, PASSWORD)
        form = client.get("/progress/log/")
        assert form.status == 200
        csrf = csrf_token(form.text)
        routines = re.findall(r'<option value="(\d+)"', form.text)
        assert len(routines) == 4
        today = timezone.localdate()

        def post(token, n):
            response = client.post(
                "/progress/log/",
                {
                    "date": (today - timedelta(days=1 + n % 90)).isoformat(),
                    "routine": routines[n % len(routines)],
                    "minutes": 5 + n % 40,
                    "pain_before": n % 11,
                    "pain_after": (n + 4) % 11,
                    "notes": f"thread {number}, session {n}",
                    "client_token": token,
                    "csrfmiddlewaretoken": csrf,
                },
            )
            return response.status, response.location

        own = []
        for n in range(SESSIONS_PER_THREAD):
            token = f"{run}-{number}-{n}"
            results.append((token, False, *post(token, n)))
            own.append(token)
            with lock:
                used.append(token)
            if n % 5 == 4:
                # Every other repeat re-sends a token another thread already used.
                with lock:
                    pool = used if (n // 5) % 2 else own
                    again = rng.choice(pool)
                results.append((again, True, *post(again, n)))
        client.close()
        return results

    racer = UserFactory(username="double_submitter")
    barrier = threading.Barrier(THREADS)

    def double_submitter(number):
        """All threads post the same fresh token at once, round after round."""
        client = server.signed_in(racer.username, PASSWORD)
        form = client.get("/progress/log/").text
        csrf, routine = csrf_token(form), re.search(r'<option value="(\d+)"', form)[1]
        results = []
        for round_ in range(RACE_ROUNDS):
            barrier.wait(timeout=30)
            response = client.post(
                "/progress/log/",
                {
                    "date": timezone.localdate().isoformat(),
                    "routine": routine,
                    "minutes": 20,
                    "client_token": f"{run}-race-{round_}",
                    "csrfmiddlewaretoken": csrf,
                },
            )
            results.append((round_, response.status, response.location))
        client.close()
        return results

    with gunicorn(workers=2) as server:
        with ThreadPoolExecutor(THREADS) as pool:
            results = [row for rows in pool.map(writer, range(THREADS)) for row in rows]
        with ThreadPoolExecutor(THREADS) as pool:
            races = [
                row
                for rows in pool.map(double_submitter, range(THREADS))
                for row in rows
            ]
        server_errors = server.errors()

    statuses = {}
    for _, _, status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    assert len(results) == THREADS * (SESSIONS_PER_THREAD + REPEATS_PER_THREAD)
    assert not [row for row in results if row[2] >= 500], server_errors[-3000:]
    assert statuses == {302: len(results)}
    first = {token: location for token, repeat, _, location in results if not repeat}
    assert len(first) == THREADS * SESSIONS_PER_THREAD
    assert all(re.fullmatch(r"/progress/sessions/\d+/", loc) for loc in first.values())
    assert len(set(first.values())) == len(first)
    # A repeated token leads to the session its first post recorded.
    for token, repeat, _, location in results:
        if repeat:
            assert location == first[token], token
    sessions = CompletedSession.objects.filter(user=user)
    assert sessions.count() == THREADS * SESSIONS_PER_THREAD == 2000
    assert set(sessions.values_list("client_token", flat=True)) == set(first)
    assert {
        f"/progress/sessions/{pk}/" for pk in sessions.values_list("pk", flat=True)
    } == (set(first.values()))

    # Simultaneous posts of one token: one row, and every post leads to it.
    assert not [row for row in races if row[1] >= 500], server_errors[-3000:]
    assert {status for _, status, _ in races} == {302}
    by_round = {}
    for round_, _, location in races:
        by_round.setdefault(round_, set()).add(location)
    assert all(len(locations) == 1 for locations in by_round.values()), by_round
    assert CompletedSession.objects.filter(user=racer).count() == RACE_ROUNDS


# --- An editor's change on every worker -------------------------------------


def read_routine_page(server, count=40, threads=8):
    """`count` anonymous GETs of the beginner page, `threads` at a time."""

    def fetch(_):
        client = server.client()
        response = client.get("/routines/beginner/")
        client.close()
        return response

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fetch, range(count)))


def workers_that_served(server, path, since):
    return {
        pid
        for pid, method, url, status in server.access_lines()[since:]
        if method == "GET" and url == path and status == "200"
    }


def read_routine_page_on_both_workers(server, most=400, seconds=20):
    """(responses, pids of the workers that served them): the beginner page,
    40 anonymous GETs at a time, until both workers have answered it or
    ``most`` requests or ``seconds`` have gone by."""
    mark = len(server.access_lines())
    started = time.monotonic()
    responses = []
    while True:
        responses += read_routine_page(server)
        served = workers_that_served(server, "/routines/beginner/", mark)
        if (
            len(served) == 2
            or len(responses) >= most
            or time.monotonic() - started > seconds
        ):
            return responses, served


@needs_postgresql
@needs_shared_cache
def test_an_editors_change_shows_on_every_worker_and_nothing_personal_is_shared(
    transactional_db, catalogue
):
    beginner = Routine.objects.get(slug="beginner")
    staff = catalogue_editor()
    wren = UserFactory(username="wren_fairley")
    UserFactory(username="otto_brandt")
    nerve_pain = Contraindication.objects.get(slug="nerve-pain-legs")
    wren.conditions.set([nerve_pain])
    wren.screening_answered_at = timezone.now()
    wren.save()

    with gunicorn(workers=2) as server:
        # Before: every worker shows (and caches) the seed dose.
        before, served_before = read_routine_page_on_both_workers(server)
        assert len(before) >= 40
        assert [r.status for r in before] == [200] * len(before)
        assert [step_dose(r.text, 3) for r in before] == [HELD_10] * len(before)
        assert len(served_before) == 2, server.access_lines()

        # The shared cache holds the visitor's page, and nothing of anyone.
        cached = cache.get(entry_key("page", "/routines/beginner/", "visitor"))
        assert cached is not None, "the routine page is not in the shared cache"
        version, (content, _) = cached
        assert version == catalogue_version()
        cached_html = content.decode()
        for personal in [
            "csrfmiddlewaretoken",
            "Log out",
            "wren_fairley",
            "otto_brandt",
            "Not recommended for you",
        ]:
            assert personal not in cached_html

        # People signed in get their own page, never another person's.
        people = {
            username: server.signed_in(username, PASSWORD)
            for username in ["wren_fairley", "otto_brandt"]
        }
        for _ in range(5):
            for username, client in people.items():
                other = next(name for name in people if name != username)
                page = client.get("/routines/beginner/")
                assert page.status == 200
                assert username in page.text
                assert other not in page.text
                # Wren said yes to nerve pain: step 6 is marked for her only.
                marked = "Not recommended for you" in page.text
                assert marked == (username == "wren_fairley")
            visitor = server.client().get("/routines/beginner/").text
            assert "Not recommended for you" not in visitor
            assert "csrfmiddlewaretoken" not in visitor
            assert not {"wren_fairley", "otto_brandt"} & set(
                re.findall(r"\w+", visitor)
            )

        # An editor changes step 3's repetitions through the admin's inline.
        admin = server.signed_in(staff.username, PASSWORD)
        steps, before, saved = set_repetitions(admin, beginner, 3, 12)
        assert (steps, before) == ("6", "10")
        assert saved.status == 302, saved.text[:3000]
        assert saved.location == "/admin/exercises/routine/"
        assert RoutineStep.objects.get(routine=beginner, order=3).repetitions == 12

        # After: every worker shows the new dose at once.
        after, served_after = read_routine_page_on_both_workers(server)
        assert len(after) >= 40
        assert [r.status for r in after] == [200] * len(after)
        assert [step_dose(r.text, 3) for r in after] == [HELD_12] * len(after)
        assert [r.text.count(HELD_10) for r in after] == [2] * len(after)
        assert len(served_after) == 2, server.access_lines()
        assert served_after == served_before
        for client in [*people.values(), admin]:
            assert step_dose(client.get("/routines/beginner/").text, 3) == HELD_12


def until_both_workers_served(server, client, path, most=200):
    """The texts of GETs of ``path`` by ``client``, at least 20, until both
    workers have served it."""
    mark = len(server.access_lines())
    texts = []
    for _ in range(most):
        response = client.get(path)
        assert response.status == 200
        texts.append(response.text)
        if len(texts) >= 20 and len(workers_that_served(server, path, mark)) == 2:
            return texts
    raise AssertionError(f"one worker served all {most} requests")


@needs_postgresql
@needs_shared_cache
def test_a_persons_change_on_one_worker_shows_on_every_worker_at_once(
    transactional_db, catalogue
):
    # Each worker keeps the person's pages in the shared cache: a change made
    # through the other worker must show on the very next request, whichever
    # worker answers it.
    person = UserFactory(username="ines_moreau")
    CompletedSessionFactory(user=person)
    nerve_pain = Contraindication.objects.get(slug="nerve-pain-legs")
    screening = {
        f"condition_{warning.pk}": "yes" if warning == nerve_pain else "no"
        for warning in Contraindication.objects.screened()
    }
    with gunicorn(workers=2) as server:
        phone = server.signed_in(person.username, PASSWORD)
        laptop = server.signed_in(person.username, PASSWORD)
        for path in ("/routines/beginner/", "/progress/"):
            until_both_workers_served(server, laptop, path)

        answered = phone.submit("/accounts/screening/", screening)
        assert answered.status == 302, answered.text[:2000]
        pages = until_both_workers_served(server, laptop, "/routines/beginner/")
        assert all("Not recommended for you" in text for text in pages)

        logged = phone.submit(
            "/progress/log/",
            {
                "date": (timezone.localdate() - timedelta(days=1)).isoformat(),
                "routine": Routine.objects.get(slug="beginner").pk,
                "minutes": "20",
                "pain_before": "4",
                "pain_after": "2",
                "notes": "",
                "client_token": uuid.uuid4().hex,
            },
        )
        assert logged.status == 302, logged.text[:2000]
        dashboards = [laptop.get("/progress/").text for _ in range(20)]
        assert ["in 2 sessions." in text for text in dashboards] == [True] * 20

        # A guided run on the laptop: each mark shows on the very next page,
        # whichever worker reads the browser's session.
        guide = "/routines/beginner/guide/"
        assert laptop.submit(guide, {"acknowledged": "on"}).status == 302
        for action, label in [("done", "Done"), ("skip", "Skipped"), ("done", "Done")]:
            assert laptop.submit(f"{guide}1/", {"action": action}).status == 302
            steps = [laptop.get(f"{guide}1/").text for _ in range(10)]
            assert [f"Marked: {label}</p>" in step for step in steps] == [True] * 10

        # The laptop logs out; the same cookie, kept elsewhere, signs no one in.
        stolen = server.client()
        stolen.cookies = dict(laptop.cookies)
        token = csrf_token(laptop.get("/progress/").text)
        logged_out = laptop.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
        assert logged_out.status == 302
        answers = [stolen.get("/progress/").status for _ in range(20)]
        assert answers == [302] * 20

        laptop = server.signed_in(person.username, PASSWORD)
        until_both_workers_served(server, laptop, "/progress/")
        changed = phone.submit(
            "/accounts/password_change/",
            {
                "old_password": PASSWORD,
                "new_password1": "a-new-password-for-ines-93",
                "new_password2": "a-new-password-for-ines-93",
            },
        )
        assert changed.status == 302, changed.text[:2000]
        answers = [laptop.get("/progress/") for _ in range(20)]
        assert [(r.status, r.location.split("?")[0]) for r in answers] == [
            (302, "/accounts/login/")
        ] * 20
        assert phone.get("/progress/").status == 200


# --- The database goes away -------------------------------------------------


@needs_postgresql
def test_a_real_database_outage_answers_503_and_heals_by_itself(
    transactional_db, catalogue
):
    person = UserFactory(username="outage_survivor")
    CompletedSessionFactory(user=person)
    with (
        database_proxy() as proxy,
        gunicorn(
            workers=2, database_url=gunicorn_database_url(port=proxy.port)
        ) as server,
    ):
        client = server.signed_in(person.username, PASSWORD)
        for _ in range(4):  # both workers hold a connection through the proxy
            assert client.get("/healthz").status == 200
            assert client.get("/progress/").status == 200

        proxy.close()
        for _ in range(4):
            health = client.get("/healthz")
            assert health.status == 503
            # A page the worker keeps whole (with the person's row and
            # figures) may still be served; one that reads the database not.
            assert client.get("/progress/").status in (200, 503)
            assert_styled_503(client.get("/progress/log/"))

        proxy.open()
        reopened = time.monotonic()
        while client.get("/healthz").status != 200:
            assert time.monotonic() - reopened < 5, "no recovery in 5 s"
            time.sleep(0.05)
        healed = time.monotonic() - reopened
        for _ in range(6):
            assert client.get("/healthz").status == 200
            assert client.get("/progress/").status == 200
    assert healed < 5, f"200 again only {healed:.2f} s after the database came back"


# --- Backup and restore ----------------------------------------------------


def catalogue_snapshot():
    return {
        "warnings": sorted(
            Contraindication.objects.values_list(
                "slug", "title", "description", "severity", "screening_question"
            )
        ),
        "exercises": sorted(
            (
                e.slug,
                e.name,
                e.position,
                e.instructions,
                e.cues,
                sorted(c.slug for c in e.contraindications.all()),
            )
            for e in Exercise.objects.prefetch_related("contraindications")
        ),
        "routines": sorted(
            (
                r.slug,
                r.title,
                r.summary,
                r.kind,
                r.level,
                r.cues,
                sorted(c.slug for c in r.contraindications.all()),
            )
            for r in Routine.objects.prefetch_related("contraindications")
        ),
        "steps": sorted(
            RoutineStep.objects.values_list(
                "routine__slug",
                "order",
                "exercise__slug",
                "repetitions",
                "hold_seconds",
                "each_side",
                "duration_min_minutes",
                "duration_max_minutes",
            )
        ),
    }


def to_ms(moment):
    """JSON fixtures keep datetimes to the millisecond (Django's DjangoJSONEncoder)."""
    if moment is None:
        return None
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def person_snapshot(username):
    user = User.objects.get(username=username)
    sessions = CompletedSession.objects.filter(user=user).order_by("pk")
    return {
        "user": (
            user.username,
            user.email,
            user.password,
            user.weekly_target,
            to_ms(user.screening_answered_at),
            sorted(c.slug for c in user.conditions.all()),
        ),
        "sessions": [
            (
                s.pk,
                s.routine.slug if s.routine else None,
                s.routine_title,
                to_ms(s.started_at),
                to_ms(s.finished_at),
                s.pain_before,
                s.pain_after,
                s.notes,
                s.client_token,
                to_ms(s.created_at),
                [
                    (
                        r.order,
                        r.exercise.slug if r.exercise else None,
                        r.exercise_name,
                        r.outcome,
                        r.cleared_by_clinician,
                    )
                    for r in s.steps.order_by("order")
                ],
            )
            for s in sessions
        ],
    }


def test_dumpdata_and_loaddata_restore_the_catalogue_and_peoples_sessions(
    transactional_db, catalogue, tmp_path
):
    beginner = Routine.objects.get(slug="beginner")
    aerobic = Routine.objects.get(slug="aerobic")
    person = UserFactory(username="backed_up", weekly_target=4)
    person.conditions.set(Contraindication.objects.filter(slug="nerve-pain-legs"))
    other = UserFactory(username="also_backed_up")
    for n, routine in enumerate([beginner, aerobic, beginner, None]):
        session = CompletedSessionFactory(
            user=person,
            routine=routine,
            routine_title=routine.title if routine else "A removed routine",
            notes=f'session {n}: <b>ünïcode</b> & commas, "quotes"',
            pain_before=n,
            pain_after=None if n == 3 else n + 1,
        )
        for step in routine.steps.all() if routine else []:
            StepResultFactory(
                session=session,
                order=step.order,
                exercise=step.exercise,
                exercise_name=step.exercise.name,
                outcome=StepOutcome.SKIPPED_FOR_SAFETY
                if step.order == 6
                else StepOutcome.DONE,
            )
    CompletedSessionFactory(user=other)
    before = catalogue_snapshot(), person_snapshot("backed_up")
    assert (Routine.objects.count(), Exercise.objects.count()) == (4, 11)
    assert StepResult.objects.count() == 6 + 2 + 6

    catalogue_file = tmp_path / "catalogue-backup.json"
    people_file = tmp_path / "people-backup.json"
    natural = ["--natural-foreign", "--natural-primary", "--indent=2"]
    call_command("dumpdata", "exercises", *natural, output=str(catalogue_file))
    call_command(
        "dumpdata", "accounts", "auth.group", *natural, output=str(people_file)
    )

    call_command("flush", "--noinput", verbosity=0)
    assert not Routine.objects.exists()
    assert not User.objects.exists()
    assert not CompletedSession.objects.exists()

    out = io.StringIO()
    call_command("loaddata", str(catalogue_file), str(people_file), stdout=out)

    assert (Routine.objects.count(), Exercise.objects.count()) == (4, 11)
    assert RoutineStep.objects.filter(routine__slug="beginner").count() == 6
    assert RoutineStep.objects.get(routine__slug="beginner", order=3).dose_text == (
        HELD_10
    )
    after = catalogue_snapshot(), person_snapshot("backed_up")
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert CompletedSession.objects.count() == 5
    assert StepResult.objects.count() == 14
    assert "Installed" in out.getvalue(), out.getvalue()
    # The restored person can sign in and sees their history.
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "backed_up", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert (
        client.get("/progress/history/").content.decode().count("/progress/sessions/")
        >= 4
    )
