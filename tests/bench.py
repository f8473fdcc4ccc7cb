"""
`make bench`: serve BackCare with gunicorn (debug off), load it from
127.0.0.1 with wrk, and print each page's requests/s and latency as a ratio
to BackCare's own trivial view (/livez) measured in the same run, against
the budgets of DESIGN.md §7; /livez itself against a bare Django project
answering "ok" (tests/bare/), served the same way; then each signed-in
page's render time in one process for people with 1, 2,000 and 10,000
sessions (flatness).

    .venv/bin/python -m tests.bench --seconds 10            # the budgets
    .venv/bin/python -m tests.bench --seconds 10 --strict   # exit 1 if one fails
    .venv/bin/python -m tests.bench --middleware            # what each middleware costs

It works on a database of its own (a temporary SQLite file, or
``<name>_bench`` next to DATABASE_URL's PostgreSQL database), with the
catalogue and three people who answered the screening, with 1, 2,000 and
10,000 sessions, and serves it through the real-server tests' gunicorn
harness (tests/servers.py). With REDIS_URL set the cache is that Redis,
under a key prefix of this run's own.
"""

import argparse
import io
import json
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path

import django

BENCH_PASSWORD = "bench-password-not-secret"
# The person the server is loaded as; the flatness table's 2,000.
PERSON = "bench"
FEW, MANY = 1, 10_000
# The warning the bench people said applies to them: an "avoid" one, so the
# routine and exercise pages mark a step for them, and no doctor's clearance
# stops their guided run.
CONDITION = "nerve-pain-legs"
FLAGGED_EXERCISE = "straight-leg-raises"
ROUTINE = "/routines/beginner/"
EXERCISE = f"/exercises/{FLAGGED_EXERCISE}/"
GUIDE = "/routines/beginner/guide/"
GUIDED_STEP = f"{GUIDE}3/"
DASHBOARD = "/progress/"
HISTORY = "/progress/history/"

CEILING_BUDGET = 0.8  # /livez to the bare Django view
PUBLIC_BUDGET = 0.8
GUIDE_BUDGET = 0.5
PERSONAL_BUDGET = 0.5  # routine and exercise pages with the person's marks
HISTORY_BUDGET = 0.3  # dashboard, history, a session page
FLAT_BUDGET = 1.2  # render time at 10,000 sessions to that at 1
WARM_UP_RENDERS = 5
WRK = ["-t2", "-c16"]
WORKERS = 2
BARE_APPLICATION = "tests.bare.wsgi"  # Django's own handler, as a new project has

VISITOR, GUIDED, SIGNED_IN = "visitor", "visitor, run under way", "signed in"


def sessions_text(count):
    return f"{count:,} session" + ("s" if count != 1 else "")


def session_path(pk):
    return f"/progress/sessions/{pk}/"


def server_pages(session_pk):
    """(page, who, path, budget as a ratio to /livez) of the requests/s table."""
    return [
        ("home", VISITOR, "/", PUBLIC_BUDGET),
        ("routine page", VISITOR, ROUTINE, PUBLIC_BUDGET),
        ("exercise page", VISITOR, EXERCISE, PUBLIC_BUDGET),
        ("about", VISITOR, "/about/", PUBLIC_BUDGET),
        ("guided step", GUIDED, GUIDED_STEP, GUIDE_BUDGET),
        ("guided step", SIGNED_IN, GUIDED_STEP, GUIDE_BUDGET),
        ("routine page", SIGNED_IN, ROUTINE, PERSONAL_BUDGET),
        ("exercise page", SIGNED_IN, EXERCISE, PERSONAL_BUDGET),
        ("dashboard", SIGNED_IN, DASHBOARD, HISTORY_BUDGET),
        ("history", SIGNED_IN, HISTORY, HISTORY_BUDGET),
        ("session page", SIGNED_IN, session_path(session_pk), HISTORY_BUDGET),
    ]


# (page, its path for a person whose newest session has this pk)
FLAT_PAGES = [
    ("dashboard", lambda pk: DASHBOARD),
    ("history", lambda pk: HISTORY),
    ("session page", session_path),
    ("routine page", lambda pk: ROUTINE),
    ("exercise page", lambda pk: EXERCISE),
    ("guided step", lambda pk: GUIDED_STEP),
]


@dataclass
class Load:
    rps: float
    p50: float
    p99: float
    errors: int  # non-2xx/3xx answers and socket errors


# The database and the people


def bench_database_url(tmp):
    """A new, empty database for this run, and a description of its server."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        import sqlite3

        return f"sqlite:///{tmp / 'bench.sqlite3'}", f"SQLite {sqlite3.sqlite_version}"
    import psycopg2

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") or "backcare"
    bench = f"{name}_bench"
    admin = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password or ""),
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{bench}"')
        cursor.execute(f'CREATE DATABASE "{bench}"')
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    admin.close()
    return urllib.parse.urlunsplit(parts._replace(path=f"/{bench}")), (
        f"PostgreSQL {version}"
    )


def seed_person(username, count, routines, conditions, now):
    """A person who answered the screening, with ``count`` sessions, every
    other one a guided run with its steps; the pk of their newest session."""
    from accounts import services
    from accounts.models import CompletedSession, StepResult, User
    from exercises.models import StepOutcome

    user = User.objects.create_user(username, password=BENCH_PASSWORD)
    services.screening_update(user=user, conditions=conditions)
    sessions = CompletedSession.objects.bulk_create(
        (
            CompletedSession(
                user=user,
                routine=routines[n % len(routines)],
                routine_title=routines[n % len(routines)].title,
                started_at=now - timedelta(hours=9 * n + 1),
                finished_at=now - timedelta(hours=9 * n + 1, minutes=-15),
                pain_before=n % 11,
                pain_after=max(0, n % 11 - 2),
                client_token=f"bench-{n}",
            )
            for n in range(count)
        ),
        batch_size=2000,
    )

    def outcome(n, step):
        if step.exercise.slug == FLAGGED_EXERCISE:
            return StepOutcome.SKIPPED_FOR_SAFETY
        return StepOutcome.SKIPPED if (n + step.order) % 7 == 0 else StepOutcome.DONE

    StepResult.objects.bulk_create(
        (
            StepResult(
                session=session,
                order=step.order,
                exercise=step.exercise,
                exercise_name=step.exercise.name,
                outcome=outcome(n, step),
                seconds=60 + n % 120,
            )
            for n, session in enumerate(sessions)
            if n % 2 == 0
            for step in routines[n % len(routines)].steps.all()
        ),
        batch_size=2000,
    )
    return sessions[0].pk


def seed(people):
    """The bench people (``{username: sessions}``) in the database of this
    process, and the progress figures the accounts app keeps, rebuilt from
    their sessions where it keeps any (bulk_create goes around its services).
    Prints {username: pk of their newest session} as JSON."""
    from django.core.management import call_command, get_commands
    from django.utils import timezone

    from exercises.models import Contraindication, Routine

    routines = list(Routine.objects.ladder().prefetch_related("steps__exercise"))
    conditions = list(Contraindication.objects.filter(slug=CONDITION))
    assert conditions, f"the catalogue has no warning {CONDITION!r}"
    now = timezone.now()
    newest = {
        username: seed_person(username, count, routines, conditions, now)
        for username, count in people.items()
    }
    if "rebuild_totals" in get_commands():
        call_command("rebuild_totals", stdout=io.StringIO())
    print(json.dumps(newest))


def bench_env(database_url, cache_prefix, **overrides):
    from tests.servers import PLAIN_HTTP, production_env

    return production_env(
        **PLAIN_HTTP,
        DATABASE_URL=database_url,
        DJANGO_CACHE_PREFIX=cache_prefix,
        **overrides,
    )


def prepare(database_url, cache_prefix, people):
    """Migrate, load the catalogue and seed the bench people, as a deploy
    would; {username: pk of their newest session}."""
    from tests.servers import BASE_DIR, MANAGE

    env = bench_env(database_url, cache_prefix)
    for command in (
        [*MANAGE, "migrate", "--noinput", "-v0"],
        [*MANAGE, "load_catalogue"],
    ):
        subprocess.run(
            command, env=env, cwd=BASE_DIR, check=True, stdout=subprocess.DEVNULL
        )
    seeded = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--seed-only", json.dumps(people)],
        env=env,
        cwd=BASE_DIR,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(seeded.stdout.strip().splitlines()[-1])


# Load


def run_wrk(url, seconds, cookie):
    command = ["wrk", *WRK, f"-d{seconds}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(label):
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Load(
        rps,
        latency(50),
        latency(99),
        (int(errors.group(1)) if errors else 0)
        + (sum(map(int, sockets.groups())) if sockets else 0),
    )


def run_python_load(url, seconds, cookie, threads=8):
    """A small keep-alive load generator for machines without wrk."""
    parts = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + seconds
    latencies, errors, lock = [], [0], threading.Lock()
    headers = {"Cookie": cookie} if cookie else {}

    def worker():
        connection = HTTPConnection(parts.hostname, parts.port)
        mine, bad = [], 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                connection.request("GET", parts.path, headers=headers)
                response = connection.getresponse()
                response.read()
            except OSError:  # gunicorn closes each connection (keepalive = 0)
                connection.close()
                continue
            mine.append((time.perf_counter() - start) * 1000)
            bad += response.status >= 400
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    quantiles = statistics.quantiles(latencies, n=100)
    return Load(len(latencies) / seconds, quantiles[49], quantiles[98], errors[0])


LOADER = run_wrk if shutil.which("wrk") else run_python_load


def status_of(server, path, cookie):
    """The status of one GET, so a page answering errors or redirects is not
    counted as fast (wrk counts a redirect as a success)."""
    client = server.client()
    try:
        return client.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    finally:
        client.close()


def measure(server, path, seconds, cookie=""):
    status = status_of(server, path, cookie).status
    LOADER(server.base + path, 1, cookie)  # warm the workers and caches
    load = LOADER(server.base + path, seconds, cookie)
    if status != 200:
        load.errors = max(load.errors, 1)
    return status, load


@dataclass
class Verdict:
    name: str
    ratio: float
    budget: float
    at_least: bool = True  # the ratio must reach the budget, else stay under it
    error: str = ""

    @property
    def met(self):
        if self.error:
            return False
        if self.at_least:
            return self.ratio >= self.budget
        return self.ratio <= self.budget

    @property
    def text(self):
        return "met" if self.met else "NOT MET"


def gunicorn_server(
    database_url, cache_prefix, settings_module, application="backcare_site.wsgi", **env
):
    """gunicorn as `make bench` runs it: production's settings (or those
    named), gunicorn.conf.py's threads, timeouts and limits, 2 workers, the
    access log formatted as in production but kept out of the report, and no
    worker restarts after max_requests (one in a page's few seconds would be
    measured)."""
    from tests.servers import gunicorn

    return gunicorn(
        workers=WORKERS,
        database_url=database_url,
        settings_module=settings_module,
        access_log=False,
        options=["--max-requests=0"],
        application=application,
        DJANGO_CACHE_PREFIX=cache_prefix,
        **env,
    )


TABLE_HEADER = (
    f"| {'page':<21} | {'who':<22} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} | "
    f"{'ratio':>5} | {'budget':>8} | {'result':<16} |\n"
    f"|{'-' * 23}|{'-' * 24}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 7}|{'-' * 10}|"
    f"{'-' * 18}|"
)


def table_row(page, who, load, ratio="", budget="", result=""):
    ratio = f"{ratio:.2f}" if ratio != "" else ""
    return (
        f"| {page:<21} | {who:<22} | {load.rps:>7.0f} | {load.p50:>7.2f} | "
        f"{load.p99:>7.2f} | {ratio:>5} | {budget:>8} | {result:<16} |"
    )


def typical(loads):
    """The median round of each figure; every error of every round."""
    return Load(
        statistics.median(load.rps for load in loads),
        statistics.median(load.p50 for load in loads),
        statistics.median(load.p99 for load in loads),
        sum(load.errors for load in loads),
    )


def serve_and_load(database_url, cache_prefix, newest, seconds):
    """The requests/s table; a Verdict per budget.

    Both servers run at once (only one is loaded at a time) and the load
    comes in rounds of 1 s: every page, the bare view and /livez once a
    round, in a new order each round. A page's figures are its median round.
    On a shared machine the speed drifts from minute to minute; measured one
    after the other, a page measured in a slow minute read up to 25 % below
    /livez measured in a fast one, and the same page read anywhere from 0.6
    to 1.2 of /livez in consecutive runs of 3 s."""
    verdicts = []
    print(TABLE_HEADER)
    with (
        gunicorn_server(
            database_url, cache_prefix, "tests.bare.settings", BARE_APPLICATION
        ) as bare,
        gunicorn_server(database_url, cache_prefix, "backcare_site.settings") as server,
    ):
        guide = server.client()
        response = guide.submit(GUIDE, {"acknowledged": "on"})
        assert response.status == 302, f"the guide's gate answered {response.status}"
        person = server.signed_in(PERSON, BENCH_PASSWORD)
        response = person.submit(GUIDE, {"acknowledged": "on"})
        assert response.status == 302, f"the guide's gate answered {response.status}"
        for client in (guide, person):
            for number in (1, 2):
                response = client.submit(f"{GUIDE}{number}/", {"action": "done"})
                assert response.status == 302, f"step {number}: {response.status}"
        cookies = {
            VISITOR: "",
            GUIDED: guide.cookie_header,
            SIGNED_IN: person.cookie_header,
        }
        # (page, who, server, path, budget)
        cells = [
            ("bare Django (ceiling)", VISITOR, bare, "/livez", None),
            ("/livez", VISITOR, server, "/livez", CEILING_BUDGET),
        ] + [
            (page, who, server, path, budget)
            for page, who, path, budget in server_pages(newest[PERSON])
        ]
        statuses, loads = {}, {}
        for cell in cells:
            _, who, cell_server, path, _ = cell
            statuses[cell] = status_of(cell_server, path, cookies[who]).status
            LOADER(cell_server.base + path, 1, cookies[who])  # warm the workers
            loads[cell] = []
        shuffle = random.Random(0).shuffle
        for _ in range(max(seconds, 1)):
            order = list(cells)
            shuffle(order)
            for cell in order:
                _, who, cell_server, path, _ = cell
                loads[cell].append(LOADER(cell_server.base + path, 1, cookies[who]))

    ceiling, livez = typical(loads[cells[0]]), typical(loads[cells[1]])
    assert statuses[cells[0]] == 200, (
        f"the bare Django view answered {statuses[cells[0]]}"
    )
    print(table_row(cells[0][0], "", ceiling), flush=True)
    for cell in cells[1:]:
        page, who, _, _, budget = cell
        load = typical(loads[cell])
        error = ""
        if statuses[cell] != 200:
            error = f"answered {statuses[cell]}"
        elif load.errors:
            error = f"{load.errors} errors"
        if page == "/livez":
            verdict = Verdict(
                "/livez to the bare Django view",
                load.rps / ceiling.rps,
                budget,
                error=error,
            )
            shown_budget = f">= {budget} *"
        else:
            verdict = Verdict(
                f"{page} ({who})", load.rps / livez.rps, budget, error=error
            )
            shown_budget = f">= {budget}"
        verdicts.append(verdict)
        print(
            table_row(
                page,
                who,
                load,
                verdict.ratio,
                shown_budget,
                f"NOT MET: {error}" if error else verdict.text,
            )
        )
    print(
        "ratio: to /livez in this run; * /livez's to the bare Django view. "
        f"Load: {'wrk ' + ' '.join(WRK) if LOADER is run_wrk else 'Python, 8 threads'}"
        f", the median of {max(seconds, 1)} rounds of 1 s a page (every page once a "
        "round, in a new order each round) after 1 s of warm-up, gunicorn "
        f"{WORKERS} workers with gunicorn.conf.py's threads and no keep-alive.",
        flush=True,
    )
    return verdicts


# Flatness, in one process


def flatness(people, newest, renders):
    """Median render time (ms) of each signed-in page through django.test.Client
    for each person, their guided run under way. Prints the figures as JSON:
    {page: {sessions: ms or "answered <status>"}}. The renders take turns
    (every person's every page, in a new order each round, then again), so
    a burst of load from elsewhere on the machine, or a garbage collection,
    falls on all of them alike."""
    from django.test import Client

    from accounts.models import User

    figures = {page: {} for page, _ in FLAT_PAGES}
    timed = []  # (page, sessions, client, path, times)
    for username, count in people.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        answers = [client.post(GUIDE, {"acknowledged": "on"}).status_code]
        for number in (1, 2):
            answers.append(
                client.post(f"{GUIDE}{number}/", {"action": "done"}).status_code
            )
        assert answers == [302] * 3, f"starting the guided run: {answers}"
        for page, path_for in FLAT_PAGES:
            path = path_for(newest[username])
            try:
                status = client.get(path).status_code
            except Exception as error:  # a 500 whose own page failed to render
                status = type(error).__name__
            if status != 200:
                figures[page][count] = f"answered {status}"
                continue
            for _ in range(WARM_UP_RENDERS):
                client.get(path)
            timed.append((page, count, client, path, []))
    shuffle = random.Random(0).shuffle
    for _ in range(renders):
        # In a new order each round: a garbage collection falls every so
        # many allocations, so in a fixed order it fell on the same page
        # each round and added 0.1 ms to its median (1.38 "not flat").
        shuffle(timed)
        for _, _, client, path, times in timed:
            started = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - started)
    for page, count, _, _, times in timed:
        figures[page][count] = statistics.median(times) * 1000
    print(json.dumps(figures))


def render_times(database_url, cache_prefix, people, newest, renders):
    """The flatness table, measured in a process on the bench database; a
    Verdict per page."""
    from tests.servers import BASE_DIR, collected_static

    measured = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench",
            "--flatness-only",
            json.dumps({"people": people, "newest": newest}),
            f"--renders={renders}",
        ],
        env=bench_env(
            database_url,
            cache_prefix,
            DJANGO_ALLOWED_HOSTS="testserver",
            DJANGO_STATIC_ROOT=collected_static(),
        ),
        cwd=BASE_DIR,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    figures = json.loads(measured.stdout.strip().splitlines()[-1])
    counts = sorted(people.values())
    columns = "".join(f" {sessions_text(n):>16} |" for n in counts)
    print(
        f"| {'page, signed in':<21} |{columns} {'ratio':>5} | {'budget':>8} | "
        f"{'result':<16} |\n"
        f"|{'-' * 23}|{('-' * 18 + '|') * len(counts)}{'-' * 7}|{'-' * 10}|"
        f"{'-' * 18}|"
    )
    verdicts = []
    for page, _ in FLAT_PAGES:
        times = [figures[page][str(n)] for n in counts]
        error = next((t for t in times if isinstance(t, str)), "")
        ratio = 0.0 if error else times[-1] / times[0]
        verdict = Verdict(
            f"{page} flat", ratio, FLAT_BUDGET, at_least=False, error=error
        )
        verdicts.append(verdict)
        cells = "".join(
            f" {t:>16} |" if isinstance(t, str) else f" {t:>13.2f} ms |" for t in times
        )
        print(
            f"| {page:<21} |{cells} {ratio:>5.2f} | {f'<= {FLAT_BUDGET}':>8} | "
            f"{f'NOT MET: {error}' if error else verdict.text:<16} |",
            flush=True,
        )
    print(
        f"median of {renders} renders (taking turns, shuffled) after "
        f"{WARM_UP_RENDERS} through django.test.Client (every middleware, no "
        "server); ratio: "
        f"{counts[-1]:,} sessions to {counts[0]:,}."
    )
    return verdicts


def machine(database):
    from django.conf import settings

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count()
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in lines
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    cache = (
        f"Redis ({os.environ['REDIS_URL']})"
        if os.environ.get("REDIS_URL")
        else settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    )
    return (
        f"machine: {cores} CPUs ({model}), Python {platform.python_version()}, "
        f"Django {django.get_version()}, {database}, cache {cache}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def bench(seconds, sessions, renders, strict):
    from tests.servers import collected_static

    tmp = Path(tempfile.mkdtemp(prefix="backcare-bench-"))
    # Keys of this run's own in a Redis that may keep an earlier run's.
    cache_prefix = f"bench-{secrets.token_hex(4)}"
    people = {"flat-few": FEW, PERSON: sessions, "flat-many": MANY}
    try:
        started = time.monotonic()
        database_url, database = bench_database_url(tmp)
        print(machine(database), flush=True)
        collected_static()
        newest = prepare(database_url, cache_prefix, people)
        print(
            f"people: {', '.join(map(sessions_text, people.values()))}, "
            f"ready in {time.monotonic() - started:.0f} s\n",
            flush=True,
        )
        verdicts = serve_and_load(database_url, cache_prefix, newest, seconds)
        print()
        verdicts += render_times(database_url, cache_prefix, people, newest, renders)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    missed = [verdict.name for verdict in verdicts if not verdict.met]
    print(
        f"\nbudgets met: {len(verdicts) - len(missed)} of {len(verdicts)}"
        + (f"; not met: {', '.join(missed)}" if missed else "")
        + f" ({time.monotonic() - started:.0f} s)"
    )
    return 1 if strict and missed else 0


def middleware_labels(middleware):
    return ["no middleware"] + [f"+ {path.rsplit('.', 1)[-1]}" for path in middleware]


def middleware_in_process(requests, rounds):
    """CPU time per /livez in this process, through Django's WSGI handler for
    the bare project's URLs without middleware, then through BackCare's
    (backcare_site.wsgi) with its middleware added one at a time; prints
    {label: µs} as JSON. CPU time of this process only, so other work on the
    machine hardly counts."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    from tests.helpers import wsgi_environ

    full = list(settings.MIDDLEWARE)
    configurations = [
        ("bare Django's URLs", {"ROOT_URLCONF": "tests.bare.urls", "MIDDLEWARE": []})
    ] + [
        (label, {"MIDDLEWARE": full[:count]})
        for count, label in enumerate(middleware_labels(full))
    ]
    statuses = []

    def start_response(status, headers):
        statuses.append(status)

    def serve(handler):
        response = handler(wsgi_environ("/livez"), start_response)
        b"".join(response)
        response.close()  # as a server does: request_finished and its handlers

    times = {label: [] for label, _ in configurations}
    for _ in range(rounds):
        for label, changes in configurations:
            with override_settings(**changes):
                handler = WSGIHandler()
                for _ in range(50):
                    serve(handler)
                started = time.process_time()
                for _ in range(requests):
                    serve(handler)
                times[label].append((time.process_time() - started) / requests)
    assert set(statuses) == {"200 OK"}, set(statuses)
    print(json.dumps({label: statistics.median(t) * 1e6 for label, t in times.items()}))


def middleware_costs(seconds, rounds):
    """/livez with BackCare's middleware added one at a time
    (tests/bench_settings.py), beside the bare Django view: in one process
    (CPU time a request), then through gunicorn (requests/s)."""
    from backcare_site.settings import MIDDLEWARE
    from tests.servers import BASE_DIR, collected_static

    tmp = Path(tempfile.mkdtemp(prefix="backcare-bench-"))
    cache_prefix = f"bench-{secrets.token_hex(4)}"
    labels = middleware_labels(MIDDLEWARE)
    try:
        # No tables needed: /livez reads nothing.
        database_url, database = bench_database_url(tmp)
        print(machine(database), flush=True)
        measured = subprocess.run(
            [sys.executable, "-m", "tests.bench", "--middleware-only"],
            env=bench_env(
                database_url, cache_prefix, DJANGO_STATIC_ROOT=collected_static()
            ),
            cwd=BASE_DIR,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        cpu = json.loads(measured.stdout.strip().splitlines()[-1])
        configurations = [
            (
                "bare Django (ceiling)",
                "tests.bare.settings",
                {"application": BARE_APPLICATION},
            )
        ] + [
            (label, "tests.bench_settings", {"BENCH_MIDDLEWARE_COUNT": count})
            for count, label in enumerate(labels)
        ]
        loads = {label: [] for label, _, _ in configurations}
        for _ in range(rounds):
            for label, settings_module, env in configurations:
                with gunicorn_server(
                    database_url, cache_prefix, settings_module, **env
                ) as server:
                    status, load = measure(server, "/livez", seconds)
                assert status == 200 and not load.errors, f"{label}: {status}"
                loads[label].append(load)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"| {'/livez with':<28} | {'CPU µs':>6} | {'added':>6} | {'req/s':>7} | "
        f"{'p50 ms':>7} | {'p99 ms':>7} | {'of bare':>7} |\n"
        f"|{'-' * 30}|{'-' * 8}|{'-' * 8}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|"
    )
    cpu_rows = [cpu["bare Django's URLs"], *(cpu[label] for label in labels)]
    ceiling = statistics.median(load.rps for load in loads[configurations[0][0]])
    for index, (label, _, _) in enumerate(configurations):
        rps = statistics.median(load.rps for load in loads[label])
        p50 = statistics.median(load.p50 for load in loads[label])
        p99 = statistics.median(load.p99 for load in loads[label])
        added = f"{cpu_rows[index] - cpu_rows[index - 1]:+.0f}" if index else ""
        print(
            f"| {label:<28} | {cpu_rows[index]:>6.0f} | {added:>6} | {rps:>7.0f} | "
            f"{p50:>7.2f} | {p99:>7.2f} | {rps / ceiling:>7.2f} |"
        )
    print(
        "CPU µs: median CPU time a request through Django's WSGI handler in one "
        "process (the first row: the bare project's URLs, no middleware); added: "
        "to the row above. req/s: through gunicorn as `make bench` serves, wrk "
        f"{' '.join(WRK)}, median of {rounds} round(s) of {seconds} s."
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description="Benchmark pages through gunicorn against DESIGN.md's budgets.",
    )
    parser.add_argument(
        "--seconds", type=int, default=10, help="Load time per page: rounds of 1 s."
    )
    parser.add_argument(
        "--sessions", type=int, default=2000, help="Sessions of the person loaded."
    )
    parser.add_argument(
        "--renders", type=int, default=30, help="Timed renders per page (flatness)."
    )
    parser.add_argument(
        "--strict", action="store_true", help="Exit 1 when a budget is not met."
    )
    parser.add_argument(
        "--middleware",
        action="store_true",
        help="Instead: /livez with the middleware added one at a time.",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="Rounds of --middleware (median)."
    )
    parser.add_argument("--seed-only", help=argparse.SUPPRESS)
    parser.add_argument("--flatness-only", help=argparse.SUPPRESS)
    parser.add_argument(
        "--middleware-only", action="store_true", help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backcare_site.settings")
    django.setup()
    if args.seed_only:
        seed(json.loads(args.seed_only))
    elif args.flatness_only:
        given = json.loads(args.flatness_only)
        flatness(given["people"], given["newest"], args.renders)
    elif args.middleware_only:
        middleware_in_process(requests=2000, rounds=5)
    elif args.middleware:
        middleware_costs(args.seconds, args.rounds)
    else:
        return bench(args.seconds, args.sessions, args.renders, args.strict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
