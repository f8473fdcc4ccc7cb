"""
Security (DESIGN.md §8, issue 8).

Production settings pass `check --deploy`; log-ins are throttled; neither a
failed log-in nor a password reset tells whether an account exists. The
access matrix, POST-only and CSRF checks are in test_access.py, the Content
Security Policy in test_csp.py.
"""

import json
import subprocess
from datetime import timedelta
from pathlib import Path

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db.models import F
from django.test import Client

from accounts.mail import wait_for_mail
from tests.factories import PASSWORD
from tests.helpers import html, is_signed_in
from tests.servers import MANAGE, production_env

User = get_user_model()

BASE_DIR = Path(settings.BASE_DIR)
LOGIN = "/accounts/login/"
RESET = "/accounts/password_reset/"
LOCKED = "Too many failed log-ins"


# Production settings: each runs manage.py in a fresh process, as a deploy does.


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


# Log-in throttling (django-axes) and password reset


def log_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail_five_times(client, username):
    responses = [log_in(client, username, "not the password") for _ in range(5)]
    # Four failures show the form again; the fifth locks the account.
    assert [r.status_code for r in responses] == [400, 400, 400, 400, 429]
    return responses[-1]


def test_five_failed_log_ins_lock_the_username_from_that_address(client, user):
    fail_five_times(client, "alex")

    response = log_in(client, "alex", PASSWORD)

    assert response.status_code == 429
    assert LOCKED in html(response)
    assert "locked for 15 minutes" in html(response)
    assert not is_signed_in(client)
    assert client.get("/progress/").status_code == 302


def test_a_lock_holds_one_username_at_one_address_only(client, user, other_user):
    fail_five_times(client, "alex")

    # Another username from the same address signs in.
    other = log_in(client, "sam", PASSWORD)
    assert other.status_code == 302
    assert other.url == "/progress/"
    # The same username from another address signs in too.
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert log_in(elsewhere, "alex", PASSWORD).status_code == 302
    assert is_signed_in(elsewhere)


def age_attempts(minutes):
    """Move django-axes' record of the failures back in time."""
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - timedelta(minutes=minutes)
    )


def test_a_lock_holds_for_fifteen_minutes(client, user):
    fail_five_times(client, "alex")

    age_attempts(14)

    assert log_in(client, "alex", PASSWORD).status_code == 429
    assert not is_signed_in(client)


def test_a_lock_ends_after_fifteen_minutes(client, user):
    fail_five_times(client, "alex")

    age_attempts(16)
    response = log_in(client, "alex", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_trying_again_while_locked_does_not_extend_the_lock(client, user):
    fail_five_times(client, "alex")
    age_attempts(14)
    assert log_in(client, "alex", PASSWORD).status_code == 429

    # Fifteen minutes after the fifth failure, as the lockout page says.
    age_attempts(2)
    response = log_in(client, "alex", PASSWORD)

    assert response.status_code == 302


def test_a_failed_log_in_does_not_say_whether_the_username_exists(client, user):
    known = log_in(client, "alex", "not the password")
    unknown = log_in(client, "nobody", "not the password")

    assert known.status_code == unknown.status_code == 400
    error = "Please enter a correct username and password."
    assert error in html(known)
    assert error in html(unknown)


def test_password_reset_does_not_reveal_whether_an_account_exists(client, user):
    known = client.post(RESET, {"email": user.email})
    wait_for_mail()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]

    unknown = client.post(RESET, {"email": "nobody@example.com"})
    wait_for_mail()
    assert len(mail.outbox) == 1

    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == f"{RESET}done/"
    known_page = Client().get(known.url)
    unknown_page = Client().get(unknown.url)
    assert known_page.status_code == unknown_page.status_code == 200
    assert known_page.content == unknown_page.content
    assert "If an account has that email address" in html(known_page)
