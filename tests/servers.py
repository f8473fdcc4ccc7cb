"""
Real servers for the real-server tests and `make bench` (tests/bench.py):
gunicorn in the production environment on a free port, a small HTTP client
that keeps its own cookies and signs in, and a TCP proxy that can play a
database or cache outage.

gunicorn runs as production runs it (debug off, a random secret key, static
files collected by WhiteNoise's manifest storage, gunicorn.conf.py). A test
points it at pytest's *test* database, so it must commit its data
(``transactional_db``) for the server to see it; the bench gives it a database
of its own.
"""

import atexit
import functools
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager, suppress
from html import unescape
from html.parser import HTMLParser
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers import csrf_token

BASE_DIR = Path(settings.BASE_DIR)
MANAGE = [sys.executable, str(BASE_DIR / "manage.py")]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
# Scheduling and the round trip from the test to a server, on a busy machine.
SLACK = 0.5


def timed(call, *args):
    """(what ``call(*args)`` answers, the seconds it took)."""
    started = time.monotonic()
    result = call(*args)
    return result, time.monotonic() - started


needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="gunicorn must open the test database from another process: "
    "PostgreSQL only (SQLite's test database is in pytest's memory)",
)
ON_SHARED_CACHE = settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
needs_shared_cache = pytest.mark.skipif(
    not ON_SHARED_CACHE,
    reason="REDIS_URL is unset: a local-memory cache is one process's own, so "
    "there is nothing to share between workers",
)


HELD_10 = "10 repetitions, hold 5 seconds each"
HELD_12 = "12 repetitions, hold 5 seconds each"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_database_url(*, host=None, port=None):
    """DATABASE_URL of the database the tests run on (PostgreSQL only)."""
    db = settings.DATABASES["default"]
    user = urllib.parse.quote(db.get("USER") or "postgres", safe="")
    password = db.get("PASSWORD") or ""
    credentials = user + (
        f":{urllib.parse.quote(password, safe='')}" if password else ""
    )
    host = host or db.get("HOST") or "127.0.0.1"
    port = port or db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


def production_env(**overrides):
    """The environment a deploy gives manage.py or gunicorn: debug off, a new
    secret key, the site's settings, and no DJANGO_* variable of the calling
    shell. An override of None leaves that variable out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="backcare_site.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


# A server of this machine's own, spoken to over plain HTTP on 127.0.0.1.
PLAIN_HTTP = {
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_SECURE_COOKIES": "false",
    "DJANGO_LOG_LEVEL": "WARNING",
}


@functools.cache
def collected_static():
    """A STATIC_ROOT filled once per test run by `collectstatic` (manifest, .gz)."""
    root = Path(tempfile.mkdtemp(prefix="backcare-test-static-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    subprocess.run(
        [*MANAGE, "collectstatic", "--noinput", "-v0"],
        env=production_env(DJANGO_STATIC_ROOT=root),
        cwd=BASE_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return root


class Server:
    def __init__(self, port, process, log_dir):
        self.host = "127.0.0.1"
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.process = process
        self.log_dir = log_dir
        self.access_log = log_dir / "access.log"

    def client(self):
        return HttpClient(self.host, self.port)

    def signed_in(self, username, password):
        client = self.client()
        client.login(username, password)
        return client

    def access_lines(self):
        """(worker pid, method, path, status) of every request served so far."""
        if not self.access_log.exists():
            return []
        return [
            tuple(line.split(" ", 3))
            for line in self.access_log.read_text().splitlines()
            if line.count(" ") >= 3
        ]

    def errors(self):
        return (self.log_dir / "gunicorn.log").read_text(errors="replace")


@contextmanager
def gunicorn(
    *,
    workers=2,
    database_url=None,
    config="gunicorn.conf.py",
    settings_module="tests.server_settings",
    access_log=True,
    options=(),
    application="backcare_site.wsgi",
    **env,
):
    """gunicorn serving BackCare with debug off on a free port of 127.0.0.1,
    up and answering /livez when the block starts.

    It runs with the repository's gunicorn.conf.py, as production does; the
    flags below override its bind, workers and logs, and ``options`` adds
    more. ``config=None`` runs gunicorn's own defaults (one sync worker per
    connection) instead. The database is the tests' unless ``database_url``
    names another; ``access_log=False`` formats the log and throws it away;
    ``application`` is the WSGI module gunicorn serves.
    """
    log_dir = Path(tempfile.mkdtemp(prefix="backcare-test-gunicorn-"))
    if config is None:
        config = log_dir / "defaults.conf.py"
        config.write_text("")
    port = free_port()
    environment = production_env(
        **{
            **PLAIN_HTTP,
            "DATABASE_URL": database_url or gunicorn_database_url(),
            "DJANGO_STATIC_ROOT": collected_static(),
            "DJANGO_SETTINGS_MODULE": settings_module,
            **env,
        }
    )
    access = (
        [
            f"--access-logfile={log_dir / 'access.log'}",
            "--access-logformat=%(p)s %(m)s %(U)s %(s)s",
        ]
        if access_log
        else ["--access-logfile=/dev/null"]
    )
    with open(log_dir / "gunicorn.log", "wb") as errors:
        process = subprocess.Popen(
            [
                GUNICORN,
                application,
                f"--config={config}",
                f"--workers={workers}",
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
                *access,
                *options,
            ],
            env=environment,
            cwd=BASE_DIR,
            stdout=errors,
            stderr=subprocess.STDOUT,
        )
    server = Server(port, process, log_dir)
    try:
        wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        shutil.rmtree(log_dir, ignore_errors=True)


def wait_until_up(server, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.errors()}")
        try:
            if server.client().get("/livez").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer in {seconds} s:\n{server.errors()}")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode()

    @property
    def location(self):
        return self.headers.get("Location", "")


class HttpClient:
    """One person's browser, reduced: a keep-alive connection and a cookie jar.

    The ``messages`` cookie is dropped, as if the person never followed the
    redirect that would have shown it.
    """

    def __init__(self, host, port, timeout=30):
        self.connection = HTTPConnection(host, port, timeout=timeout)
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (ConnectionError, OSError):
            # gunicorn's sync workers close after each response; reconnect once.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if name == "messages":
                    continue
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Response(response.status, response.headers, content)

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data):
        return self.request(
            "POST",
            path,
            body=urllib.parse.urlencode(data, doseq=True),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def submit(self, path, data):
        """Open the form at ``path`` and post ``data`` with its CSRF token."""
        token = csrf_token(self.get(path).text)
        return self.post(path, {**data, "csrfmiddlewaretoken": token})

    def login(self, username, password):
        response = self.submit(
            "/accounts/login/", {"username": username, "password": password}
        )
        assert response.status == 302, (response.status, response.text[:2000])
        assert "sessionid" in self.cookies
        return response

    @property
    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def close(self):
        self.connection.close()


class FormParser(HTMLParser):
    """The fields of one <form> as a browser would submit it, unchanged."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields = []
        self.select = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside or "__prefix__" in (attrs.get("name") or ""):
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            value = attrs.get("value") or ("on" if kind == "checkbox" else "")
            self.fields.append((name, value))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append((self.select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, value = self.textarea
            self.fields.append((name, value.removeprefix("\n")))
            self.textarea = None


def form_fields(html, form_id):
    parser = FormParser(form_id)
    parser.feed(html)
    return [(name, unescape(value)) for name, value in parser.fields]


class TcpProxy:
    """127.0.0.1:<port> → upstream; ``close()`` cuts every connection, ``open()`` resumes.

    ``pause()`` plays a server that hangs (stopped, swapping, a network that
    drops everything): connections stay open and new ones are accepted, but no
    byte goes either way until ``resume()``.
    """

    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.listener = None
        self.sockets = set()
        self.lock = threading.Lock()
        self.flowing = threading.Event()
        self.flowing.set()

    def pause(self):
        self.flowing.clear()

    def resume(self):
        self.flowing.set()

    def open(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self):
        listener, self.listener = self.listener, None
        if listener:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self.lock:
            sockets, self.sockets = self.sockets, set()
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener):
        while listener is self.listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                if listener is not self.listener:
                    client.close()
                    upstream.close()
                    return
                self.sockets.update((client, upstream))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(source, target), daemon=True
                ).start()

    def _pump(self, source, target):
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def database_proxy():
    """A TcpProxy in front of the tests' PostgreSQL, open, and closed after."""
    db = settings.DATABASES["default"]
    proxy = TcpProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))
    proxy.open()
    try:
        yield proxy
    finally:
        proxy.resume()
        proxy.close()


@contextmanager
def redis_server(port=None, directory=None, debug=False):
    """A Redis of the test's own on a free port, keeping nothing on disk.

    Given a ``directory``, SAVE writes its snapshot there and a Redis started
    again with it (on the same ``port``) starts from that snapshot; ``debug``
    allows DEBUG (``DEBUG SLEEP`` pauses it) from this machine (Redis 7+).
    """
    port = port or free_port()
    process = subprocess.Popen(
        [
            shutil.which("redis-server") or "/usr/bin/redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            *(["--dir", str(directory)] if directory else []),
            *(["--enable-debug-command", "local"] if debug else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(10)


# What the real-server tests read and write through a server


def step_dose(html, number):
    """The dose badge of step `number` on a routine page."""
    article = re.search(
        rf'<article class="step[^"]*" id="step-{number}".*?</article>', html, re.S
    )
    assert article, f"no step {number} on the page"
    dose = re.search(r'class="badge[^"]*dose-badge">([^<]*)<', article.group(0))
    assert dose, f"no dose on step {number}"
    return dose.group(1).strip()


def assert_styled_503(response):
    """The site's own 503 page, from the test client or a server."""
    body = response.content.decode() if hasattr(response, "content") else response.text
    status = getattr(response, "status_code", None) or response.status
    assert status == 503, body[:2000]
    assert "Back in a moment" in body
    assert "<title>Back in a moment · BackCare</title>" in body
    assert '<nav class="navbar' in body
    assert 'href="/about/"' in body
    for leak in ["Traceback", "OperationalError", "Connection refused", 'File "']:
        assert leak not in body


def catalogue_editor():
    """Staff who may change routines and their steps (permissions survive the
    flush of ``transactional_db``; the editors' group would not)."""
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(username="catalogue_editor", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="exercises",
            codename__in=[
                "view_routine",
                "change_routine",
                "view_routinestep",
                "change_routinestep",
                "view_exercise",
                "view_contraindication",
            ],
        )
    )
    return user


def set_repetitions(admin, routine, order, repetitions):
    """An editor changes one step's repetitions through the routine's admin
    page: (the steps in the form, the repetitions before, the answer)."""
    change_url = f"/admin/exercises/routine/{routine.pk}/change/"
    page = admin.get(change_url)
    assert page.status == 200, page.text[:1000]
    fields = form_fields(page.text, "routine_form")
    step = next(
        name.removesuffix("-order")
        for name, value in fields
        if re.fullmatch(r"steps-\d+-order", name) and value == str(order)
    )
    data = [
        (name, str(repetitions) if name == f"{step}-repetitions" else value)
        for name, value in fields
    ] + [("_save", "Save")]
    values = dict(fields)
    return (
        values["steps-TOTAL_FORMS"],
        values[f"{step}-repetitions"],
        admin.post(change_url, data),
    )
