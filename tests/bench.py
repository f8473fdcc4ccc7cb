"""
`make bench`: serve BackCare with gunicorn (debug off) and load it from
127.0.0.1, printing requests/s and latency per page and each page's ratio to a
trivial view measured in the same run.

    .venv/bin/python -m tests.bench --seconds 10

It works on a database of its own (a temporary SQLite file, or
``<name>_bench`` next to DATABASE_URL's PostgreSQL database), with the
catalogue and one person with 2,000 sessions, and serves it through the
real-server tests' gunicorn harness (tests/servers.py).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from http.client import HTTPConnection
from pathlib import Path

import django

BENCH_USER = "bench"
BENCH_PASSWORD = "bench-password-not-secret"
PAGES = [
    ("trivial view (/livez)", "/livez", None),
    ("home", "/", None),
    ("routine page", "/routines/beginner/", None),
    ("guided step", "/routines/beginner/guide/3/", "guide"),
    ("dashboard", "/progress/", "person"),
    ("history", "/progress/history/", "person"),
]
PUBLIC_BUDGET = 0.5


def bench_database_url(tmp):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp / 'bench.sqlite3'}"
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
    admin.close()
    return urllib.parse.urlunsplit(parts._replace(path=f"/{bench}"))


def run_wrk(url, seconds, cookie):
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(label):
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rps, latency(50), latency(99), int(errors.group(1)) if errors else 0


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
            connection.request("GET", parts.path, headers=headers)
            response = connection.getresponse()
            response.read()
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
    return len(latencies) / seconds, quantiles[49], quantiles[98], errors[0]


def seed(count):
    """The bench person and their sessions, in the database of this process."""
    from django.utils import timezone

    from accounts.models import CompletedSession, User
    from exercises.models import Routine

    user = User.objects.create_user(BENCH_USER, password=BENCH_PASSWORD)
    routines = list(Routine.objects.ladder())
    now = timezone.now()
    CompletedSession.objects.bulk_create(
        CompletedSession(
            user=user,
            routine=routines[n % len(routines)],
            routine_title=routines[n % len(routines)].title,
            started_at=now - timedelta(hours=9 * n + 1),
            finished_at=now - timedelta(hours=9 * n + 1) + timedelta(minutes=15),
            pain_before=n % 11,
            pain_after=max(0, n % 11 - 2),
            client_token=f"bench-{n}",
        )
        for n in range(count)
    )


def prepare(database_url, sessions):
    """Migrate, load the catalogue and seed the bench person, as a deploy would."""
    from tests.servers import BASE_DIR, MANAGE, production_env

    env = production_env(DATABASE_URL=database_url)
    for command in (
        [*MANAGE, "migrate", "--noinput", "-v0"],
        [*MANAGE, "load_catalogue"],
        [sys.executable, "-m", "tests.bench", "--seed-only", f"--sessions={sessions}"],
    ):
        subprocess.run(
            command, env=env, cwd=BASE_DIR, check=True, stdout=subprocess.DEVNULL
        )


def report(server, seconds):
    guide = server.client()
    response = guide.submit("/routines/beginner/guide/", {"acknowledged": "on"})
    assert response.status == 302, f"the guide's gate answered {response.status}"
    person = server.signed_in(BENCH_USER, BENCH_PASSWORD)
    cookies = {None: "", "guide": guide.cookie_header, "person": person.cookie_header}
    loader = run_wrk if shutil.which("wrk") else run_python_load
    print(
        f"load: {'wrk -t2 -c16' if loader is run_wrk else 'Python, 8 threads'}, "
        f"{seconds} s per page, gunicorn 2 workers, database "
        f"{os.environ.get('DATABASE_URL', 'SQLite').split('@')[-1]}, "
        f"cache {'Redis' if os.environ.get('REDIS_URL') else 'local memory'}"
    )
    print(
        f"| {'page':<24} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | "
        f"{'ratio':>5} | {'errors':>6} |"
    )
    print(f"|{'-' * 26}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 7}|{'-' * 8}|")
    ceiling = None
    below = []
    for label, path, who in PAGES:
        loader(server.base + path, 1, cookies[who])  # warm the workers and caches
        rps, p50, p99, errors = loader(server.base + path, seconds, cookies[who])
        ceiling = ceiling or rps
        ratio = rps / ceiling
        if who is None and ratio < PUBLIC_BUDGET:
            below.append(label)
        print(
            f"| {label:<24} | {rps:>8.0f} | {p50:>7.2f} | {p99:>7.2f} | "
            f"{ratio:>5.2f} | {errors:>6} |",
            flush=True,
        )
    if below:
        print(f"public pages below {PUBLIC_BUDGET} of the ceiling: {below}")
    else:
        print(f"public pages within budget (>= {PUBLIC_BUDGET} of the ceiling)")


def bench(seconds, sessions):
    from tests.servers import gunicorn

    tmp = Path(tempfile.mkdtemp(prefix="backcare-bench-"))
    try:
        database_url = bench_database_url(tmp)
        prepare(database_url, sessions)
        # Production's settings and gunicorn.conf.py (threads, timeouts,
        # limits), with the access log formatted as in production but kept
        # out of the report, and no worker restarts after max_requests: a
        # restart in the middle of a page's few seconds would measure it.
        with gunicorn(
            workers=2,
            database_url=database_url,
            settings_module="backcare_site.settings",
            access_log=False,
            options=["--max-requests=0"],
        ) as server:
            report(server, seconds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description="Benchmark pages through gunicorn; "
        "prints requests/s, p50/p99 and ratios.",
    )
    parser.add_argument("--seconds", type=int, default=10, help="Load time per page.")
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backcare_site.settings")
    django.setup()
    if args.seed_only:
        seed(args.sessions)
    else:
        bench(args.seconds, args.sessions)


if __name__ == "__main__":
    main()
