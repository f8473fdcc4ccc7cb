"""The settings (backcare_site/settings.py) as a process started with a given
environment gets them: production's security, the cache, sessions, mail and
the database's timeouts. Each runs Python in a fresh process, as a deploy does."""

import json
import os
import subprocess
import sys

from django.test import Client

from tests.servers import BASE_DIR, MANAGE, production_env

# Production: manage.py with the DJANGO_* variables of a deploy.


def manage(*args, **env):
    """Run manage.py as a deploy does, with the given DJANGO_* variables."""
    return subprocess.run(
        [*MANAGE, *args],
        cwd=BASE_DIR,
        env=production_env(DJANGO_ALLOWED_HOSTS="backcare.example.org", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


SECURITY_SETTINGS = [
    "DEBUG",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS",
]


def production_settings(**extra):
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {SECURITY_SETTINGS!r}}}))"
    )
    result = manage("shell", "--no-imports", "-c", code, **extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_in_production_settings_prints_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output
    assert "WARNINGS" not in output


def test_production_without_a_secret_key_refuses_to_start():
    result = manage("check", DJANGO_SECRET_KEY=None)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off." in result.stderr


def test_production_turns_on_hsts_secure_cookies_and_the_ssl_redirect_by_default():
    values = production_settings()

    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["backcare.example.org"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    # Without a proxy in front, X-Forwarded-Proto is not to be trusted.
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_a_tls_proxy_in_front_sets_the_secure_proxy_ssl_header():
    values = production_settings(DJANGO_BEHIND_TLS_PROXY="true")

    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is True


def test_production_redirects_plain_http_and_sends_hsts_over_https(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()  # Middleware reads these settings on the first request.

    plain = client.get("/livez")
    proxied = client.get("/livez", headers={"x-forwarded-proto": "https"})

    assert plain.status_code == 301
    assert plain.url == "https://testserver/livez"
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in proxied["Strict-Transport-Security"]


# The cache, sessions and mail


def settings_in(*names, **env):
    """The named settings as a process started with ``env`` gets them."""
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps([eval('s.' + name) for name in {list(names)!r}]))"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key != "REDIS_URL" and not key.startswith("DJANGO_")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="backcare_site.settings", DJANGO_DEBUG="true", **env
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=BASE_DIR,
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

    assert backend == "django_redis.cache.RedisCache"
    assert sessions == "accounts.sessions.db"


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


# The database's timeouts


def database_settings(**env):
    (options,) = settings_in("DATABASES['default'].get('OPTIONS', {})", **env)
    return options


def test_postgresql_connections_have_libpqs_timeouts_and_sqlite_its_own():
    postgres = "postgres://postgres@127.0.0.1:5432/backcare"
    network = {
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": 10_000,
    }
    assert database_settings(DATABASE_URL=postgres) == {
        "connect_timeout": 5,
        **network,
        "options": "-c statement_timeout=10000",
    }
    assert database_settings(
        DATABASE_URL=postgres + "?sslmode=disable",
        DJANGO_DB_CONNECT_TIMEOUT="3",
        DJANGO_DB_STATEMENT_TIMEOUT_MS="2500",
    ) == {
        "sslmode": "disable",
        "connect_timeout": 3,
        **network,
        "options": "-c statement_timeout=2500",
    }
    sqlite = "sqlite:////tmp/backcare.sqlite3"
    assert database_settings(DATABASE_URL=sqlite) == {"timeout": 10}
    assert database_settings(
        DATABASE_URL=sqlite, DJANGO_DB_STATEMENT_TIMEOUT_MS="0"
    ) == {"timeout": 5}
