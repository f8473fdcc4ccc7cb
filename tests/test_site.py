import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from backcare_site.cache import SharedClientRedisCache


def test_healthz_is_plain_text_and_never_cached(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content.startswith(b"ok\ndatabase: ok\n")
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_healthz_answers_head_but_not_post(client, db):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_the_404_page_keeps_the_sites_look(client, db):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "<title>Page not found · BackCare</title>" in body
    assert '<a class="visually-hidden-focusable skip-link" href="#content">' in body
    assert "Skip to main content" in body
    assert '<main id="content"' in body
    assert body.index("Skip to main content") < body.index('<main id="content"')
    assert '<nav class="navbar' in body


@pytest.mark.parametrize("url", ["/", "/about/", "/no/such/page/"])
def test_every_page_is_made_for_phones(client, db, url):
    body = client.get(url).content.decode()

    assert body.startswith("<!doctype html>")
    assert '<html lang="en">' in body
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in (
        body
    )


@pytest.mark.parametrize("url", ["/", "/about/"])
def test_pages_use_only_local_static_files(client, db, url):
    body = client.get(url).content.decode()

    assert 'href="/static/bootstrap/css/bootstrap.min.css"' in body
    assert 'href="/static/css/site.css"' in body
    assert "//cdn" not in body
    assert 'src="http' not in body
    assert 'href="http' not in body


@pytest.mark.urls("tests.error_urls")
def test_an_unexpected_error_answers_500_in_the_sites_look(db):
    client = Client(raise_request_exception=False)

    response = client.get("/broken/")

    body = response.content.decode()
    assert response.status_code == 500
    for shown in [
        "<title>Something went wrong · BackCare</title>",
        "The page could not be shown. Please try again in a moment.",
        "Skip to main content",
    ]:
        assert shown in body
    assert [leak for leak in ("Traceback", "RuntimeError") if leak in body] == []


def settings_in(*names, **env):
    """The named settings as a process started with ``env`` gets them."""
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps([eval('s.' + name) for name in {list(names)!r}]))"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key != "REDIS_URL" and not key.startswith("DJANGO_EMAIL")
    }
    environment.update(DJANGO_SETTINGS_MODULE="backcare_site.settings", **env)
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


CACHE_AND_SESSIONS = ("CACHES['default']['BACKEND']", "SESSION_ENGINE")


def test_redis_is_the_shared_cache_when_redis_url_is_set():
    backend, sessions = settings_in(
        *CACHE_AND_SESSIONS, REDIS_URL="redis://127.0.0.1:6379/9"
    )

    assert backend == "backcare_site.cache.SharedClientRedisCache"
    assert sessions == "accounts.sessions.cached_db"


def test_local_memory_and_database_sessions_without_redis():
    backend, sessions = settings_in(*CACHE_AND_SESSIONS)

    assert backend == "django.core.cache.backends.locmem.LocMemCache"
    assert sessions == "accounts.sessions.db"


def test_mail_goes_to_the_console_unless_an_smtp_server_is_set():
    (console,) = settings_in("EMAIL_BACKEND")
    smtp = settings_in(
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_USE_TLS",
        DJANGO_EMAIL_HOST="smtp.example.org",
        DJANGO_EMAIL_PORT="2525",
        DJANGO_EMAIL_HOST_USER="backcare",
        DJANGO_EMAIL_USE_TLS="false",
    )

    assert console == "django.core.mail.backends.console.EmailBackend"
    assert smtp == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        2525,
        "backcare",
        False,
    ]


def test_the_redis_cache_keeps_one_client_per_connection_pool():
    cache = SharedClientRedisCache("redis://127.0.0.1:6379/9", {})

    reader = cache._cache.get_client("a")

    assert cache._cache.get_client("b") is reader
    assert cache._cache.get_client("a", write=True) is reader  # one server


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_the_redis_cache_stores_and_reads_back():
    cache = SharedClientRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "t"})

    cache.set("answer", {"pain": 3}, 5)

    assert cache.get_many(["answer", "missing"]) == {"answer": {"pain": 3}}
    cache.delete("answer")


def test_a_visitor_who_only_reads_pages_gets_no_session_row(client, practice):
    from accounts.models import BrowserSession
    from exercises.models import Exercise, Routine

    paths = ["/", "/about/", "/privacy/", "/accounts/login/", "/accounts/signup/"]
    paths += ["/accounts/password_reset/", "/no-such-page/", "/progress/"]
    for routine in Routine.objects.all():
        paths += [f"/routines/{routine.slug}/", f"/routines/{routine.slug}/guide/"]
    paths += [
        f"/exercises/{slug}/"
        for slug in Exercise.objects.values_list("slug", flat=True)
    ]

    statuses = {path: client.get(path).status_code for path in paths}

    assert set(statuses.values()) <= {200, 302, 404}, statuses
    assert BrowserSession.objects.count() == 0
    assert "sessionid" not in client.cookies


def test_clearsessions_removes_expired_sessions_of_the_sites_engine(db):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import BrowserSession

    now = timezone.now()
    BrowserSession.objects.create(
        session_key="old", session_data="", expire_date=now - timedelta(days=1)
    )
    BrowserSession.objects.create(
        session_key="new", session_data="", expire_date=now + timedelta(days=1)
    )

    call_command("clearsessions")

    assert list(BrowserSession.objects.values_list("session_key", flat=True)) == ["new"]
