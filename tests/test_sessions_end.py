"""
The attacks of issue 28 on real servers: what ends a session ends it on
every worker at the next request, whatever Redis is doing, and nobody's save
writes back an old copy of their row.

One gunicorn (3 workers, debug off) serves the whole module, with a Redis of
the module's own that the tests pause (``DEBUG SLEEP``), stop, and restore
from a snapshot. What the tests write is committed to the test database, so
the servers see it (PostgreSQL only).
"""

import itertools
import re
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, nullcontext
from shutil import which

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import User
from exercises.models import Contraindication
from tests.factories import PASSWORD, CompletedSessionFactory, UserFactory
from tests.helpers import csrf_token
from tests.servers import (
    HttpClient,
    form_fields,
    gunicorn,
    needs_postgresql,
    redis_server,
)
from tests.test_outages import every_page

pytestmark = [
    pytest.mark.servers,
    needs_postgresql,
    # Committed for the servers to see, and the catalogue's ids the same in
    # every test (each test loads it again).
    pytest.mark.django_db(transaction=True, reset_sequences=True),
]

WORKERS = 3
CHECKS = 30  # a browser's requests after the end of its session
PAUSE_SECONDS = 6
# After Redis comes back, what a worker keeps may take a few seconds to go.
AFTER_SECONDS = 5
# A worker that found Redis down tries it again within 5 s (production's
# DJANGO_CACHE_RETRY_SECONDS): a test that wants Redis answering waits so long.
SETTLE_SECONDS = 5.5
NEW_PASSWORD = "a-brand-new-passphrase-71"
REDIS_CLI = which("redis-cli") or "/usr/bin/redis-cli"


class OwnRedis:
    """The module's Redis: paused, stopped, or restarted from its snapshot."""

    def __init__(self, directory):
        self.directory = directory
        self.servers = ExitStack()
        self.port = None
        self.disturbed = float("-inf")

    def start(self):
        self.port = self.servers.enter_context(
            redis_server(port=self.port, directory=self.directory, debug=True)
        )

    def cli(self, *command, timeout=30):
        return subprocess.run(
            [REDIS_CLI, "-p", str(self.port), *command],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self):
        self.cli("SHUTDOWN", "NOSAVE")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            except OSError:
                break
            time.sleep(0.05)
        self.disturbed = time.monotonic()

    def snapshot(self):
        saved = self.cli("SAVE")
        assert saved.stdout.strip() == "OK", saved
        assert (self.directory / "dump.rdb").exists()

    def restart_from_snapshot(self):
        self.stop()
        self.start()
        self.disturbed = time.monotonic()

    @contextmanager
    def paused(self, seconds=PAUSE_SECONDS):
        """Redis hangs for ``seconds`` from the block's start: the block gets
        the monotonic time it wakes at, and ends after it woke."""
        sleeper = subprocess.Popen(
            [REDIS_CLI, "-p", str(self.port), "DEBUG", "SLEEP", str(seconds)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.2)  # the command reached Redis
        try:
            yield time.monotonic() + seconds - 0.2
        finally:
            sleeper.wait(seconds + 10)
            assert sleeper.returncode == 0, "DEBUG SLEEP failed"
            self.disturbed = time.monotonic()

    def settle(self):
        """Wait until every worker has Redis answering again."""
        wait = self.disturbed + SETTLE_SECONDS - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def close(self):
        self.servers.close()


class Site:
    def __init__(self, server, redis):
        self.server = server
        self.redis = redis


@pytest.fixture(scope="module")
def site(django_db_setup, tmp_path_factory):
    """gunicorn with 3 workers and its Redis, for the whole module."""
    redis = OwnRedis(tmp_path_factory.mktemp("redis"))
    try:
        redis.start()
        with gunicorn(
            workers=WORKERS,
            REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
            # Several resets from one address in a few minutes.
            DJANGO_RESET_MAILS_PER_ADDRESS=1000,
            DJANGO_RESET_MAILS_PER_EMAIL=1000,
        ) as server:
            yield Site(server, redis)
    finally:
        redis.close()


@pytest.fixture
def server(site, catalogue):
    """The module's gunicorn, with Redis answering on every worker. Each test
    loads the catalogue again after the database was flushed; as the
    sequences start again too, it has the ids the workers know."""
    site.redis.settle()
    return site.server


@pytest.fixture
def redis(site):
    return site.redis


# People's ids never come again in this run: a worker that kept someone of
# an earlier test must not take a new person for them.
PEOPLES_IDS = itertools.count(int(time.time() * 1000) % 10**12)


def person(prefix, **fields):
    pk = next(PEOPLES_IDS)
    return UserFactory(id=pk, username=f"{prefix}_{pk}", **fields)


@pytest.fixture
def superuser():
    return person("admin", is_staff=True, is_superuser=True)


# --- Reading what a browser got -----------------------------------------------

SIGNED_IN_PAGES = ("/progress/", "/routines/beginner/", "/progress/history/")


def workers_that_served(server, path, since):
    return {
        pid
        for pid, method, url, status in server.access_lines()[since:]
        if method == "GET" and url == path and status == "200"
    }


def warm(server, client, paths=SIGNED_IN_PAGES[:2], rounds=100):
    """GETs of each of ``paths`` with ``client``'s cookies, three at once so
    that no worker is left out, until every worker has served each of them."""
    copies = [server.client() for _ in range(WORKERS)]
    for copy in copies:
        copy.cookies = dict(client.cookies)
    mark = len(server.access_lines())
    with ThreadPoolExecutor(WORKERS) as pool:
        for n in range(rounds):
            path = paths[n % len(paths)]
            statuses = [r.status for r in pool.map(HttpClient.get, copies, [path] * 3)]
            assert statuses == [200] * WORKERS, (path, statuses)
            if all(len(workers_that_served(server, p, mark)) == WORKERS for p in paths):
                break
        else:
            served = {p: sorted(workers_that_served(server, p, mark)) for p in paths}
            raise AssertionError(f"not all {WORKERS} workers served: {served}")
    for copy in copies:
        copy.close()


def is_signed_in(response, username):
    return response.status == 200 and username in response.text


class Tally:
    """What a browser whose session ended saw, request after request."""

    def __init__(self, username):
        self.username = username
        self.signed_in = 0
        self.total = 0
        self.errors = []
        self.last_signed_in = None

    def check(self, client, path):
        response = client.get(path)
        self.total += 1
        if response.status >= 500:
            self.errors.append((path, response.status))
        if is_signed_in(response, self.username):
            self.signed_in += 1
            self.last_signed_in = time.monotonic()
        return response

    def __str__(self):
        return f"{self.signed_in} of {self.total} signed in" + (
            f", errors {self.errors}" if self.errors else ""
        )


def check_many(client, tally, count=CHECKS, until=None):
    """``count`` requests to signed-in pages, or as many as fit before
    ``until`` (monotonic) if it comes first."""
    for n in range(count):
        if until is not None and time.monotonic() >= until:
            break
        tally.check(client, SIGNED_IN_PAGES[n % len(SIGNED_IN_PAGES)])


def check_for(client, tally, seconds=AFTER_SECONDS):
    """Requests to signed-in pages for ``seconds``."""
    ends = time.monotonic() + seconds
    n = 0
    while time.monotonic() < ends:
        tally.check(client, SIGNED_IN_PAGES[n % len(SIGNED_IN_PAGES)])
        n += 1
        time.sleep(0.05)


# --- 1. What ends a session ends it on every worker ---------------------------


def reset_link(server, user, seconds=10):
    """The link of the reset mail to ``user``, from the console backend's
    output in gunicorn's log (a deploy without a mail host prints its mail).
    The mail goes after the response: wait for it."""
    deadline = time.monotonic() + seconds
    while True:
        links = re.findall(r"(/accounts/reset/[\w-]+/[\w-]+/)", server.errors())
        mine = [link for link in links if link.split("/")[3] == _uidb64(user.pk)]
        if mine:
            return mine[-1]
        assert time.monotonic() < deadline, f"no reset mail for {user.username}"
        time.sleep(0.05)


def _uidb64(pk):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(pk))


def prepare(action, server, a, user):
    """What the person does before the session ends: the forms they open.
    Returns the action itself, run later."""
    if action == "log-out":
        token = csrf_token(a.get("/progress/").text)

        def act():
            return a.post("/accounts/logout/", {"csrfmiddlewaretoken": token})

    elif action == "password change":
        token = csrf_token(a.get("/accounts/password_change/").text)

        def act():
            return a.post(
                "/accounts/password_change/",
                {
                    "old_password": PASSWORD,
                    "new_password1": NEW_PASSWORD,
                    "new_password2": NEW_PASSWORD,
                    "csrfmiddlewaretoken": token,
                },
            )

    elif action == "password reset":
        visitor = server.client()
        asked = visitor.submit("/accounts/password_reset/", {"email": user.email})
        assert asked.status == 302, asked.text[:2000]
        link = reset_link(server, user)

        def act():
            opened = visitor.get(link)
            assert opened.status == 302, opened.text[:2000]
            assert opened.location.endswith("/set-password/"), opened.location
            return visitor.submit(
                opened.location,
                {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            )

    elif action == "account deletion":
        token = csrf_token(a.get("/accounts/profile/").text)

        def act():
            return a.post(
                "/accounts/delete/",
                {"password": PASSWORD, "csrfmiddlewaretoken": token},
            )

    return act


@pytest.mark.parametrize("state", ["answering", "paused", "restored"])
@pytest.mark.parametrize(
    "action", ["log-out", "password change", "password reset", "account deletion"]
)
def test_ending_a_session_ends_it_on_every_worker_at_the_next_request(
    server, redis, action, state
):
    """A signs in, B is the person's other browser (for a log-out: a copy of
    A's cookie, the session that ends), B's pages are kept on all 3 workers;
    A ends it; B's next requests are all signed out."""
    user = person("ender")
    a = server.signed_in(user.username, PASSWORD)
    if action == "log-out":
        b = server.client()
        b.cookies = dict(a.cookies)
    else:
        b = server.signed_in(user.username, PASSWORD)
    warm(server, b)
    act = prepare(action, server, a, user)

    during, after = Tally(user.username), Tally(user.username)
    if state == "answering":
        done = act()
        check_many(b, during)
    elif state == "paused":
        with redis.paused() as wakes:
            done = act()
            check_many(b, during, until=wakes)
        check_for(b, after)
    else:
        redis.snapshot()
        done = act()
        redis.restart_from_snapshot()
        restarted = time.monotonic()
        check_many(b, during)
        check_for(b, after)
    assert done.status == 302, (done.status, done.text[:2000])

    last = after.last_signed_in or during.last_signed_in
    late = (
        f", the last {last - restarted:.1f} s after the restart"
        if state == "restored" and last
        else ""
    )
    assert (during.signed_in, after.signed_in) == (0, 0), (
        f"after {action} with Redis {state}: {during} "
        f"{'during the pause' if state == 'paused' else 'at once'}, "
        f"then {after} over the next {AFTER_SECONDS} s{late}"
    )
    assert not during.errors + after.errors
    if action == "account deletion":
        assert not User.objects.filter(pk=user.pk).exists()


# --- 2. A person deactivated is refused at once --------------------------------


def admin_change(admin, user, **changes):
    """A superuser saves the person's admin change form with ``changes``
    (a flag True or False, or a value)."""
    url = f"/admin/accounts/user/{user.pk}/change/"
    page = admin.get(url)
    assert page.status == 200, page.text[:1000]
    fields = [
        (name, value)
        for name, value in form_fields(page.text, "user_form")
        if name not in changes
    ]
    for name, value in changes.items():
        if value is True:
            fields.append((name, "on"))
        elif value is not False:
            fields.append((name, str(value)))
    saved = admin.post(url, [*fields, ("_save", "Save")])
    assert saved.status == 302, saved.text[:3000]
    return saved


def admin_set_password(admin, user, password):
    url = f"/admin/accounts/user/{user.pk}/password/"
    page = admin.get(url)
    assert page.status == 200, page.text[:1000]
    fields = dict(form_fields(page.text, "user_form"))
    fields.update(password1=password, password2=password)
    saved = admin.post(url, fields)
    assert saved.status == 302, saved.text[:3000]
    return saved


@pytest.mark.parametrize("how", ["admin", "QuerySet.update"])
def test_a_person_deactivated_is_refused_at_the_next_request_on_every_worker(
    server, superuser, how
):
    user = person("deactivated")
    browser = server.signed_in(user.username, PASSWORD)
    admin = server.signed_in(superuser.username, PASSWORD)
    warm(server, browser)
    if how == "admin":
        admin_change(admin, user, is_active=False)
    else:
        User.objects.filter(pk=user.pk).update(is_active=False)
    assert not User.objects.get(pk=user.pk).is_active

    tally = Tally(user.username)
    check_many(browser, tally)
    assert tally.signed_in == 0, f"deactivated by {how}: {tally}"
    assert not tally.errors


# --- 3. No save writes back an old copy of the person's row --------------------


# The profile's own form is the time zone's: each save writes that column.
ZONES_SAVED = ("Europe/London", "Asia/Tokyo", "America/New_York")


def screening_answers():
    return {
        f"condition_{warning.pk}": "no"
        for warning in Contraindication.objects.screened()
    }


CHANGES = {
    "admin deactivates": lambda admin, user: admin_change(admin, user, is_active=False),
    "admin removes staff": lambda admin, user: admin_change(
        admin, user, is_staff=False
    ),
    "admin sets a password": lambda admin, user: admin_set_password(
        admin, user, NEW_PASSWORD
    ),
    "QuerySet.update deactivates": lambda admin, user: User.objects.filter(
        pk=user.pk
    ).update(is_active=False),
    "QuerySet.update removes staff and sets a password": lambda admin, user: (
        User.objects.filter(pk=user.pk).update(
            is_staff=False, password=make_password(NEW_PASSWORD)
        )
    ),
}


def row(user):
    found = User.objects.get(pk=user.pk)
    return {
        "is_active": found.is_active,
        "is_staff": found.is_staff,
        "password": found.password,
    }


@pytest.mark.parametrize("state", ["answering", "paused"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_no_save_by_the_person_writes_back_an_old_copy_of_their_row(
    server, redis, superuser, change, state
):
    user = person("writer", is_staff=True, screening_answered_at=timezone.now())
    browser = server.signed_in(user.username, PASSWORD)
    admin = server.signed_in(superuser.username, PASSWORD)
    warm(server, browser, ("/accounts/profile/", "/progress/"))
    token = csrf_token(browser.get("/accounts/profile/").text)
    answers = screening_answers()
    saves = []

    def save_everything(rounds):
        for n in range(rounds):
            saved = browser.post(
                "/accounts/profile/",
                {"time_zone": ZONES_SAVED[n % 3], "csrfmiddlewaretoken": token},
            )
            saves.append(("profile", saved.status, saved.location))
            if n % 3 == 0:
                saved = browser.post(
                    "/accounts/screening/",
                    {**answers, "from": "profile", "csrfmiddlewaretoken": token},
                )
                saves.append(("screening", saved.status, saved.location))

    with redis.paused() if state == "paused" else nullcontext():
        CHANGES[change](admin, user)
        changed = row(user)
        save_everything(12)
    save_everything(6)

    kept = [
        kind
        for kind, status, location in saves
        if status == 302 and "/accounts/login/" not in location
    ]
    assert not [s for s in saves if s[1] >= 500], saves
    assert row(user) == changed, (
        f"{change}, Redis {state}: the row was written back "
        f"({len(kept)} of {len(saves)} saves accepted): "
        f"{ {k: v for k, v in row(user).items() if v != changed[k]} }"
    )


# --- 4. Redis unreachable: no page answers 500 --------------------------------


def test_with_redis_stopped_no_page_answers_500(server, redis):
    UserFactory(id=next(PEOPLES_IDS), username="outage_person")  # every_page's
    browser = server.signed_in("outage_person", PASSWORD)
    redis.stop()
    try:
        statuses = every_page(server, browser, rounds=3)
        token = csrf_token(browser.get("/accounts/profile/").text)
        statuses[
            "profile save",
            browser.post(
                "/accounts/profile/",
                {"time_zone": "Asia/Tokyo", "csrfmiddlewaretoken": token},
            ).status,
        ] += 1
        for path in ("/accounts/screening/", "/accounts/signup/", "/privacy/"):
            statuses[path, browser.get(path).status] += 1
        statuses[
            "screening save",
            browser.post(
                "/accounts/screening/",
                {**screening_answers(), "csrfmiddlewaretoken": token},
            ).status,
        ] += 1
    finally:
        redis.start()
        redis.disturbed = time.monotonic()
    failures = {key: n for key, n in statuses.items() if key[1] >= 500}
    assert failures == {}, statuses
    assert User.objects.get(username="outage_person").time_zone == "Asia/Tokyo"


# --- 5. Two people never see each other's page --------------------------------

INTERLEAVED = 500
PEOPLES_PAGES = (
    "/routines/beginner/",
    "/exercises/wall-squats/",
    "/routines/beginner/guide/1/",
    "/progress/",
    "/progress/history/",
)
VISITORS_PAGES = PEOPLES_PAGES[:3]


def test_two_people_never_see_each_others_name_token_or_data(server):
    people = {}
    for prefix in ("kept_ada", "kept_bo"):
        user = person(prefix, screening_answered_at=timezone.now())
        sessions = {CompletedSessionFactory(user=user).pk for _ in range(2)}
        people[user.username] = (server.signed_in(user.username, PASSWORD), sessions)
    visitor = server.client()
    for client in [visitor, *(c for c, _ in people.values())]:
        gate = client.get("/routines/beginner/guide/")
        started = client.post(
            "/routines/beginner/guide/",
            {"acknowledged": "on", "csrfmiddlewaretoken": csrf_token(gate.text)},
        )
        assert started.status == 302, started.text[:2000]

    names = set(people)
    all_sessions = set().union(*(s for _, s in people.values()))
    seen, wrong, tokens = 0, [], {name: [] for name in names}
    browsers = [*people.items(), (None, (visitor, set()))]
    while seen < INTERLEAVED:
        for name, (client, sessions) in browsers:
            pages = PEOPLES_PAGES if name else VISITORS_PAGES
            path = pages[seen // len(browsers) % len(pages)]
            response = client.get(path)
            seen += 1
            shown = set(re.findall(r"\w+", response.text)) & names
            links = {
                int(pk)
                for pk in re.findall(r"/progress/sessions/(\d+)/", response.text)
            }
            if (
                response.status != 200
                or shown != ({name} if name else set())
                or links & all_sessions - sessions
            ):
                wrong.append((name, path, response.status, shown, links))
            if name and "csrfmiddlewaretoken" in response.text:
                tokens[name].append(csrf_token(response.text))
    assert wrong == [], f"{len(wrong)} of {seen} pages wrong: {wrong[:5]}"

    # Each token a person's pages carried is theirs: their own POST with it
    # is accepted (one of every ten), and no token shows for both.
    first, second = tokens.values()
    assert not set(first) & set(second)
    refused = []
    for name, (client, _) in people.items():
        assert len(tokens[name]) >= INTERLEAVED // 10
        for token in tokens[name][::10]:
            saved = client.post(
                "/accounts/profile/",
                {"time_zone": "Europe/London", "csrfmiddlewaretoken": token},
            )
            if saved.status != 302:
                refused.append((name, saved.status))
    assert refused == []
