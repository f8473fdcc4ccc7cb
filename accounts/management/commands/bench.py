"""
`make bench`: serve BackCare with gunicorn (debug off) and load it from
127.0.0.1, printing requests/s and latency per page and each page's ratio to a
trivial view measured in the same run.

It works on a database of its own (a temporary SQLite file, or
``<name>_bench`` next to DATABASE_URL's PostgreSQL database), with the
catalogue and one person with 2,000 sessions.
"""

import http.cookiejar
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from http.client import HTTPConnection
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

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


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_database_url(tmp):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp / 'bench.sqlite3'}"
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") or "backcare"
    bench = f"{name}_bench"
    import psycopg2

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


class Client:
    """A cookie-keeping client to sign in and acknowledge a routine."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar)
        )

    def get(self, path):
        with self.opener.open(self.base + path) as response:
            return response.read().decode()

    def post(self, path, data):
        page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        with self.opener.open(request) as response:
            return response.read().decode()

    @property
    def cookie_header(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


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


class Command(BaseCommand):
    help = "Benchmark pages through gunicorn; prints requests/s, p50/p99 and ratios."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seconds", type=int, default=10, help="Load time per page."
        )
        parser.add_argument("--sessions", type=int, default=2000)
        parser.add_argument("--seed-only", action="store_true", help=argparse_hidden())

    def handle(self, *args, seconds, sessions, seed_only, **options):
        if seed_only:
            return self.seed(sessions)
        tmp = Path(tempfile.mkdtemp(prefix="backcare-bench-"))
        env = {
            **os.environ,
            "DATABASE_URL": bench_database_url(tmp),
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "DJANGO_STATIC_ROOT": str(tmp / "static"),
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        server = None
        try:
            for step in (
                ["migrate", "--noinput", "-v0"],
                ["load_catalogue"],
                ["collectstatic", "--noinput", "-v0"],
                ["bench", "--seed-only", f"--sessions={sessions}"],
            ):
                subprocess.run(
                    manage + step, env=env, check=True, stdout=subprocess.DEVNULL
                )
            port = free_port()
            # Production's gunicorn.conf.py (threads, timeouts, limits), with
            # its access log formatted as in production but kept out of the
            # report, and no worker restarts after max_requests: a restart in
            # the middle of a page's few seconds would measure the restart.
            server = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("gunicorn")),
                    "backcare_site.wsgi",
                    f"--config={Path(settings.BASE_DIR) / 'gunicorn.conf.py'}",
                    "--workers=2",
                    f"--bind=127.0.0.1:{port}",
                    "--log-level=warning",
                    "--access-logfile=/dev/null",
                    "--max-requests=0",
                ],
                env=env,
                cwd=settings.BASE_DIR,
            )
            base = f"http://127.0.0.1:{port}"
            self.wait_for(base)
            self.report(base, seconds)
        finally:
            if server:
                server.terminate()
                server.wait(10)
            shutil.rmtree(tmp, ignore_errors=True)

    def wait_for(self, base):
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/livez", timeout=1).read()
                return
            except OSError:
                time.sleep(0.2)
        raise CommandError("gunicorn did not start")

    def report(self, base, seconds):
        guide = Client(base)
        guide.post("/routines/beginner/guide/", {"acknowledged": "on"})
        person = Client(base)
        person.post(
            "/accounts/login/", {"username": BENCH_USER, "password": BENCH_PASSWORD}
        )
        cookies = {
            None: "",
            "guide": guide.cookie_header,
            "person": person.cookie_header,
        }
        loader = run_wrk if shutil.which("wrk") else run_python_load
        self.stdout.write(
            f"load: {'wrk -t2 -c16' if loader is run_wrk else 'Python, 8 threads'}, "
            f"{seconds} s per page, gunicorn 2 workers, database "
            f"{os.environ.get('DATABASE_URL', 'SQLite').split('@')[-1]}, "
            f"cache {'Redis' if os.environ.get('REDIS_URL') else 'local memory'}"
        )
        self.stdout.write(
            f"| {'page':<24} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | "
            f"{'ratio':>5} | {'errors':>6} |"
        )
        self.stdout.write(
            f"|{'-' * 26}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 7}|{'-' * 8}|"
        )
        ceiling = None
        below = []
        for label, path, who in PAGES:
            loader(base + path, 1, cookies[who])  # warm the workers and caches
            rps, p50, p99, errors = loader(base + path, seconds, cookies[who])
            ceiling = ceiling or rps
            ratio = rps / ceiling
            if who is None and ratio < PUBLIC_BUDGET:
                below.append(label)
            self.stdout.write(
                f"| {label:<24} | {rps:>8.0f} | {p50:>7.2f} | {p99:>7.2f} | "
                f"{ratio:>5.2f} | {errors:>6} |"
            )
        if below:
            self.stdout.write(
                f"public pages below {PUBLIC_BUDGET} of the ceiling: {below}"
            )
        else:
            self.stdout.write(
                f"public pages within budget (>= {PUBLIC_BUDGET} of the ceiling)"
            )

    def seed(self, count):
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


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS
