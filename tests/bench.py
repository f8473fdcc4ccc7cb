"""
`make bench`: serve BackCare and a bare Django view (tests/bare/: no apps, no
middleware) with the same gunicorn, load each page from 127.0.0.1 with wrk,
and print one table: each page's requests/s as a ratio to the bare view's in
the same run, against the budgets of DESIGN.md §7, and each signed-in page's
render time for people with 1 and 10,000 sessions (flatness). A public page
and a signed-in page are measured in Chinese too (issue 29), under the
budgets of their English twins.

    .venv/bin/python -m tests.bench --seconds 10            # print the table
    .venv/bin/python -m tests.bench --seconds 10 --strict   # exit 1 if a budget is missed

It works on a database of its own (a temporary SQLite file, or
``<name>_bench`` next to DATABASE_URL's PostgreSQL database) with the
catalogue and three people who answered the screening, with 1, 2,000 and
10,000 sessions, set up through the ORM; it talks to the servers over HTTP
only. With REDIS_URL set the cache is that Redis, under a key prefix of this
run's own.
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
import textwrap
import threading
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path

import django

BENCH_PASSWORD = "bench-password-not-secret"
# The person the server is loaded as; the others are the flatness check's.
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
# Chinese twins (issue 29), under the budgets of their English pages.
CHINESE = "/zh-hans"

# DESIGN.md §7: requests/s as a ratio to the bare Django view's, and render
# time at 10,000 sessions to that at 1.
PUBLIC_BUDGET = 0.7
SIGNED_IN_BUDGET = 0.3
FLAT_BUDGET = 1.2
WARM_UP_RENDERS = 5
WRK = ["-t2", "-c16"]
WORKERS = 2
BARE_APPLICATION = "tests.bare.wsgi"  # Django's own handler, as a new project has

BARE, VISITOR, GUIDED, SIGNED_IN = "", "visitor", "visitor, run under way", "signed in"


def sessions_text(count):
    return f"{count:,} session" + ("s" if count != 1 else "")


def session_path(pk):
    return f"/progress/sessions/{pk}/"


# The signed-in pages: (page, its path for a person whose newest session has this pk)
SIGNED_IN_PAGES = [
    ("guided step", lambda pk: GUIDED_STEP),
    ("routine page", lambda pk: ROUTINE),
    ("exercise page", lambda pk: EXERCISE),
    ("dashboard", lambda pk: DASHBOARD),
    ("dashboard, Chinese", lambda pk: CHINESE + DASHBOARD),
    ("history", lambda pk: HISTORY),
    ("session page", session_path),
]


def table_pages(session_pk):
    """(page, who, path, budget) of each row of the table; who is BARE for the
    bare Django view."""
    return [
        ("bare Django view", BARE, "/livez", None),
        ("/livez", VISITOR, "/livez", None),
        ("home", VISITOR, "/", PUBLIC_BUDGET),
        ("routine page", VISITOR, ROUTINE, PUBLIC_BUDGET),
        ("routine page, Chinese", VISITOR, CHINESE + ROUTINE, PUBLIC_BUDGET),
        ("exercise page", VISITOR, EXERCISE, PUBLIC_BUDGET),
        ("about", VISITOR, "/about/", PUBLIC_BUDGET),
        ("guided step", GUIDED, GUIDED_STEP, SIGNED_IN_BUDGET),
    ] + [
        (page, SIGNED_IN, path_for(session_pk), SIGNED_IN_BUDGET)
        for page, path_for in SIGNED_IN_PAGES
    ]


@dataclass
class Load:
    rps: float
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
    command = ["wrk", *WRK, f"-d{seconds}s", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Load(
        rps,
        (int(errors.group(1)) if errors else 0)
        + (sum(map(int, sockets.groups())) if sockets else 0),
    )


def run_python_load(url, seconds, cookie, threads=8):
    """A small keep-alive load generator for machines without wrk."""
    parts = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + seconds
    counts, lock = [0, 0], threading.Lock()  # answers, errors
    headers = {"Cookie": cookie} if cookie else {}

    def worker():
        connection = HTTPConnection(parts.hostname, parts.port)
        answers = bad = 0
        while time.monotonic() < deadline:
            try:
                connection.request("GET", parts.path, headers=headers)
                response = connection.getresponse()
                response.read()
            except OSError:  # gunicorn closes each connection (keepalive = 0)
                connection.close()
                continue
            answers += 1
            bad += response.status >= 400
        with lock:
            counts[0] += answers
            counts[1] += bad

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return Load(counts[0] / seconds, counts[1])


LOADER = run_wrk if shutil.which("wrk") else run_python_load


def status_of(server, path, cookie):
    """The status of one GET, so a page answering errors or redirects is not
    counted as fast (wrk counts a redirect as a success)."""
    client = server.client()
    try:
        return client.request(
            "GET", path, headers={"Cookie": cookie} if cookie else {}
        ).status
    finally:
        client.close()


def gunicorn_server(database_url, cache_prefix, settings_module, application):
    """gunicorn as `make bench` runs it: the settings named, gunicorn.conf.py's
    threads, timeouts and limits, 2 workers, the access log formatted as in
    production but kept out of the report, and no worker restarts after
    max_requests (one in a page's few seconds would be measured)."""
    from tests.servers import gunicorn

    return gunicorn(
        workers=WORKERS,
        database_url=database_url,
        settings_module=settings_module,
        access_log=False,
        options=["--max-requests=0"],
        application=application,
        DJANGO_CACHE_PREFIX=cache_prefix,
    )


def start_guided_run(client):
    """Acknowledge the guide's gate and do its first two steps, as the person
    of ``client`` would."""
    response = client.submit(GUIDE, {"acknowledged": "on"})
    assert response.status == 302, f"the guide's gate answered {response.status}"
    for number in (1, 2):
        response = client.submit(f"{GUIDE}{number}/", {"action": "done"})
        assert response.status == 302, f"step {number}: {response.status}"


def serve_and_load(database_url, cache_prefix, pages, seconds):
    """{(page, who): (status, Load)} of each of ``pages`` (table_pages).

    Both servers run at once (only one is loaded at a time) and the load
    comes in rounds of 1 s: every page once a round, in a new order each
    round. A page's figure is its median round. On a shared machine the
    speed drifts from minute to minute; measured one after the other, a page
    measured in a slow minute read up to 25 % below one measured in a fast
    minute."""
    with (
        gunicorn_server(
            database_url, cache_prefix, "tests.bare.settings", BARE_APPLICATION
        ) as bare,
        gunicorn_server(
            database_url, cache_prefix, "backcare_site.settings", "backcare_site.wsgi"
        ) as server,
    ):
        guide = server.client()
        person = server.signed_in(PERSON, BENCH_PASSWORD)
        for client in (guide, person):
            start_guided_run(client)
        cookies = {
            BARE: "",
            VISITOR: "",
            GUIDED: guide.cookie_header,
            SIGNED_IN: person.cookie_header,
        }
        # ((page, who), server, path, cookie) of each page
        targets = [
            ((page, who), bare if who == BARE else server, path, cookies[who])
            for page, who, path, _ in pages
        ]
        statuses, loads = {}, {}
        for key, target, path, cookie in targets:
            statuses[key] = status_of(target, path, cookie)
            LOADER(target.base + path, 1, cookie)  # warm-up
            loads[key] = []
        shuffle = random.Random(0).shuffle
        for _ in range(max(seconds, 1)):
            shuffle(targets)
            for key, target, path, cookie in targets:
                loads[key].append(LOADER(target.base + path, 1, cookie))
    return {
        key: (
            statuses[key],
            Load(
                statistics.median(load.rps for load in loads[key]),
                sum(load.errors for load in loads[key]),
            ),
        )
        for key in loads
    }


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

    figures = {page: {} for page, _ in SIGNED_IN_PAGES}
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
        for page, path_for in SIGNED_IN_PAGES:
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
    """{page: {sessions: ms or "answered <status>"}}, measured by `flatness`
    in a process of its own on the bench database."""
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
    return {
        page: {int(count): ms for count, ms in times.items()}
        for page, times in figures.items()
    }


# The table


def print_table(header, rows):
    """A Markdown table: the first two columns and the last to the left, the
    figures between them to the right."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return (
            "| "
            + " | ".join(
                cell.ljust(width) if i < 2 or i == len(cells) - 1 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    print(line(header))
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in rows:
        print(line(row))


def report(pages, served, rendered):
    """Print the table; the budgets missed, and how many there were."""
    bare_status, bare = served[pages[0][:2]]
    assert bare_status == 200, f"the bare Django view answered {bare_status}"
    rows, missed, budgets = [], [], 0
    for page, who, _, budget in pages:
        status, load = served[page, who]
        ratio = load.rps / bare.rps
        row = [page, who, f"{load.rps:.0f}", f"{ratio:.2f}"]
        problems = []
        if budget is None:
            row.append("" if who == BARE else "none")
        else:
            budgets += 1
            row.append(f">= {budget}")
            if status != 200:
                problems.append(f"answered {status}")
            elif load.errors:
                problems.append(f"{load.errors} errors")
            elif ratio < budget:
                problems.append("of bare")
        if who == SIGNED_IN:
            budgets += 1
            times = [rendered[page][FEW], rendered[page][MANY]]
            error = next((t for t in times if isinstance(t, str)), "")
            row += [t if isinstance(t, str) else f"{t:.2f}" for t in times]
            row += ["" if error else f"{times[1] / times[0]:.2f}", f"<= {FLAT_BUDGET}"]
            if error:
                problems.append(f"render {error}")
            elif times[1] / times[0] > FLAT_BUDGET:
                problems.append("flat")
        else:
            row += ["", "", "", ""]
        if problems:
            row.append("MISSED: " + ", ".join(problems))
            missed.append(f"{page} ({who}): {', '.join(problems)}")
        else:
            row.append("" if budget is None else "met")
        rows.append(row)
    print_table(
        [
            "page",
            "who",
            "req/s",
            "of bare",
            "budget",
            f"ms at {FEW:,}",
            f"ms at {MANY:,}",
            "flat",
            "budget",
            "result",
        ],
        rows,
    )
    return missed, budgets


def machine():
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
    return (
        f"{cores} CPUs ({model}), Python {platform.python_version()}, "
        f"Django {django.get_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def cache_name():
    from django.conf import settings

    if os.environ.get("REDIS_URL"):
        return f"Redis ({os.environ['REDIS_URL']})"
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def bench(seconds, sessions, renders, strict):
    from tests.servers import collected_static

    tmp = Path(tempfile.mkdtemp(prefix="backcare-bench-"))
    # Keys of this run's own in a Redis that may keep an earlier run's.
    cache_prefix = f"bench-{secrets.token_hex(4)}"
    people = {"flat-few": FEW, PERSON: sessions, "flat-many": MANY}
    flat_people = {name: count for name, count in people.items() if name != PERSON}
    try:
        started = time.monotonic()
        database_url, database = bench_database_url(tmp)
        print(f"make bench on {database}, cache {cache_name()}")
        print(machine(), flush=True)
        collected_static()
        newest = prepare(database_url, cache_prefix, people)
        print(
            f"people: {', '.join(map(sessions_text, people.values()))}, "
            f"ready in {time.monotonic() - started:.0f} s\n",
            flush=True,
        )
        pages = table_pages(newest[PERSON])
        served = serve_and_load(database_url, cache_prefix, pages, seconds)
        rendered = render_times(
            database_url, cache_prefix, flat_people, newest, renders
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    missed, budgets = report(pages, served, rendered)
    loader = f"wrk {' '.join(WRK)}" if LOADER is run_wrk else "Python, 8 threads"
    notes = [
        f"req/s: the median of {max(seconds, 1)} rounds of 1 s a page (every page once "
        "a round, in a new order each round, after 1 s of warm-up), "
        f"{loader}, gunicorn {WORKERS} workers with gunicorn.conf.py; signed in as "
        f"the person with {sessions_text(sessions)}.",
        "of bare: to the bare Django view (no apps, no middleware) served by the "
        "same gunicorn in this run; /livez has no budget of its own.",
        f"ms at: median render of {renders} (taking turns, shuffled, after "
        f"{WARM_UP_RENDERS}) through django.test.Client in one process, for people "
        f"with {sessions_text(FEW)} and {sessions_text(MANY)}; flat: the second to "
        "the first.",
    ]
    print("\n" + "\n".join(textwrap.fill(note, 88) for note in notes))
    print(
        f"\nbudgets met: {budgets - len(missed)} of {budgets}"
        + (f"; missed: {'; '.join(missed)}" if missed else "")
        + f" ({time.monotonic() - started:.0f} s)"
    )
    return 1 if strict and missed else 0


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
        "--strict", action="store_true", help="Exit 1 when a budget is missed."
    )
    parser.add_argument("--seed-only", help=argparse.SUPPRESS)
    parser.add_argument("--flatness-only", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backcare_site.settings")
    django.setup()
    if args.seed_only:
        seed(json.loads(args.seed_only))
    elif args.flatness_only:
        given = json.loads(args.flatness_only)
        flatness(given["people"], given["newest"], args.renders)
    else:
        return bench(args.seconds, args.sessions, args.renders, args.strict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
