"""
Security (DESIGN.md §8, issue 8).

Production settings pass `check --deploy`; every page carries a strict Content
Security Policy and no inline script or style; log-ins are throttled; a
person's records answer 404 to anyone else and a log-in redirect to nobody;
every state-changing view refuses GET and requires CSRF.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.mail import wait_for_mail
from accounts.models import CompletedSession
from exercises.guide import SESSION_KEY
from exercises.models import Contraindication, Exercise, Routine, RoutineStep
from tests.factories import PASSWORD, CompletedSessionFactory
from tests.helpers import html

User = get_user_model()

BASE_DIR = Path(settings.BASE_DIR)
LOGIN = "/accounts/login/"
RESET = "/accounts/password_reset/"
LOCKED = "Too many failed log-ins"
NEW_PASSWORD = "a much longer new passphrase 42"


def signed_in_client(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


def is_signed_in(client):
    return "_auth_user_id" in client.session


def assert_login_redirect(response, path):
    assert response.status_code == 302, (path, response.status_code)
    target = urlsplit(response.url)
    assert target.path == LOGIN, (path, response.url)
    assert parse_qs(target.query)["next"] == [path], (path, response.url)


# Production settings: each runs manage.py in a fresh process, as a deploy does.


def manage(*args, **env):
    """Run manage.py with only the given DJANGO_* variables set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean["DJANGO_SETTINGS_MODULE"] = "backcare_site.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def production(**extra):
    return {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "backcare.example.org",
        **extra,
    }


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
    result = manage("shell", "--no-imports", "-c", code, **production(**extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_in_production_settings_prints_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output
    assert "WARNINGS" not in output


def test_production_without_a_secret_key_refuses_to_start():
    result = manage(
        "check", DJANGO_DEBUG="false", DJANGO_ALLOWED_HOSTS="backcare.example.org"
    )

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


# Content Security Policy and inline code


def csp_directives(response):
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']} has no Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name.lower()] = sources
    return header, directives


def assert_strict_csp(response):
    path = response.request["PATH_INFO"]
    header, directives = csp_directives(response)
    assert "unsafe-inline" not in header, path
    assert "unsafe-eval" not in header, path
    assert directives["default-src"] == ["'self'"], path
    for name in ("script-src", "style-src"):
        sources = directives.get(name, directives["default-src"])
        assert "'unsafe-inline'" not in sources, (path, name)
        assert not {"*", "data:", "http:", "https:"} & set(sources), (path, name)
    assert directives["frame-ancestors"] == ["'none'"], path
    assert "Content-Security-Policy-Report-Only" not in response.headers, path


def every_page(user):
    """(page, response) for each page of the site, anonymous then signed in.

    Form pages are also shown with errors: crispy forms renders those.
    """
    pages = []
    anonymous = Client()

    def visit(client, method, url, status, data=None):
        response = getattr(client, method)(url, data or {})
        assert response.status_code == status, (method, url, response.status_code)
        pages.append((f"{method.upper()} {url}", response))

    # The catalogue first, while the visitor has no session: served from cache.
    for url in ["/", "/about/", "/", "/about/"]:
        visit(anonymous, "get", url, 200)
    for slug in Routine.objects.values_list("slug", flat=True):
        visit(anonymous, "get", f"/routines/{slug}/", 200)
    for slug in Exercise.objects.values_list("slug", flat=True):
        visit(anonymous, "get", f"/exercises/{slug}/", 200)
    visit(anonymous, "get", "/no-such-page/", 404)
    for url in [LOGIN, "/accounts/signup/", RESET, f"{RESET}done/"]:
        visit(anonymous, "get", url, 200)
    visit(anonymous, "post", LOGIN, 400, {"username": "nobody", "password": "x"})
    visit(anonymous, "post", "/accounts/signup/", 400, {"username": "<b>"})
    # The guide, anonymously.
    visit(anonymous, "get", "/routines/beginner/guide/", 200)
    visit(anonymous, "post", "/routines/beginner/guide/", 400)
    visit(anonymous, "post", "/routines/beginner/guide/", 302, {"acknowledged": "on"})
    visit(anonymous, "get", "/routines/beginner/guide/1/", 200)
    visit(anonymous, "post", "/routines/beginner/guide/1/", 400, {"action": "x"})
    visit(anonymous, "get", "/routines/beginner/guide/finish/", 200)

    signed_in = signed_in_client(user)
    session = CompletedSessionFactory(user=user, notes="Felt fine.")
    for url in [
        "/",
        "/routines/beginner/",
        "/progress/",
        "/progress/history/",
        "/progress/log/",
        session.get_absolute_url(),
        f"{session.get_absolute_url()}delete/",
        "/accounts/profile/",
        "/accounts/screening/",
        "/accounts/password_change/",
    ]:
        visit(signed_in, "get", url, 200)
    visit(signed_in, "post", "/progress/log/", 400, {"minutes": "-1"})
    visit(signed_in, "post", session.get_absolute_url(), 400, {"pain_before": "11"})
    visit(signed_in, "post", "/accounts/profile/", 400, {"weekly_target": "0"})
    visit(signed_in, "post", "/accounts/screening/", 400)
    visit(signed_in, "post", "/accounts/delete/", 400, {"password": "wrong"})
    visit(signed_in, "post", "/routines/beginner/guide/", 302, {"acknowledged": "on"})
    visit(signed_in, "get", "/routines/beginner/guide/1/", 200)
    visit(signed_in, "get", "/routines/beginner/guide/finish/", 200)
    visit(signed_in, "post", "/progress/save/beginner/", 400, {"pain_after": "99"})
    return pages


def test_every_page_sends_a_strict_content_security_policy(catalogue, user):
    pages = every_page(user)

    assert len(pages) > 40
    for _, response in pages:
        assert_strict_csp(response)


def test_a_page_served_from_the_page_cache_keeps_the_policy(catalogue):
    client = Client()
    exercise = Exercise.objects.first()
    for url in ["/", "/about/", "/routines/beginner/", f"/exercises/{exercise.slug}/"]:
        first = client.get(url)
        with CaptureQueriesContext(connection) as queries:
            second = client.get(url)

        assert first.status_code == second.status_code == 200
        # No query: the second answer came from the cache, not the view.
        assert len(queries) == 0, url
        assert second.content == first.content
        assert_strict_csp(first)
        assert_strict_csp(second)
        assert second["X-Frame-Options"] == "DENY"


TEMPLATE_RULES = {
    "inline <script> (no src=)": re.compile(
        r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE
    ),
    "style= attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "on...= event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript\s*:", re.IGNORECASE),
}


def test_no_template_has_inline_script_or_style():
    templates = sorted((BASE_DIR / "templates").rglob("*.html"))
    assert len(templates) > 30

    found = [
        f"{path.relative_to(BASE_DIR)}: {rule}: {match.group()!r}"
        for path in templates
        for rule, pattern in TEMPLATE_RULES.items()
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_template_rules_catch_what_they_are_for():
    bad = [
        "<script>alert(1)</script>",
        '<div style="color: red">',
        "<style>p {}</style>",
        '<button onclick="go()">',
        '<a href="javascript:go()">',
    ]
    good = ['<script type="module" src="/static/js/player.js"></script>', "<p>on</p>"]

    for text in bad:
        assert any(p.search(text) for p in TEMPLATE_RULES.values()), text
    for text in good:
        assert not any(p.search(text) for p in TEMPLATE_RULES.values()), text


class InlineCode(HTMLParser):
    """Collects inline script, inline style and event handlers in a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = {name.lower(): value or "" for name, value in attrs}
        if tag == "script" and not attributes.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attributes.items():
            if name == "style":
                self.found.append(f"<{tag} style={value!r}>")
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def inline_code(text):
    parser = InlineCode()
    parser.feed(text)
    parser.close()
    return parser.found


def test_no_rendered_page_has_inline_script_or_style(catalogue, user):
    found = [
        f"{page}: {item}"
        for page, response in every_page(user)
        for item in inline_code(html(response))
    ]

    assert found == []
    assert inline_code('<p style="x" onclick="y"><script>z</script>') == [
        "<p style='x'>",
        "<p onclick='y'>",
        "inline <script>",
    ]


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
    assert_strict_csp(response)
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


# The access matrix: a person's records belong to that person


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, name, kwargs) of every URL pattern outside the admin."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith("admin/"):  # the admin's, and its "View on site"
            continue
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
            yield from url_patterns(pattern.url_patterns, route, inner)
        else:
            kwargs = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
            names = tuple(a or b for a, b in kwargs)
            yield route, f"{namespace}{pattern.name}", names


def takes_an_object(names):
    return any(re.fullmatch(r"pk|id|\w+_(pk|id)", name) for name in names)


# Every URL that names one of a person's objects, and a form post to try on it.
PERSON_OBJECT_URLS = {
    "accounts:session": {"pain_before": "0", "pain_after": "0", "notes": "Mine now."},
    "accounts:session_delete": {},
}


def test_the_access_matrix_knows_every_url_that_names_a_persons_object():
    found = {name for _, name, kwargs in url_patterns() if takes_an_object(kwargs)}

    # A new URL with a <pk> must be added to PERSON_OBJECT_URLS, and so tested.
    assert found == set(PERSON_OBJECT_URLS)


def row(session):
    return CompletedSession.objects.filter(pk=session.pk).values().get()


@pytest.mark.parametrize("name", sorted(PERSON_OBJECT_URLS))
def test_another_persons_object_answers_404_and_stays_as_it_was(name, user, other_user):
    session = CompletedSessionFactory(user=user, notes="Alex's own note.")
    before = row(session)
    url = reverse(name, kwargs={"pk": session.pk})
    owner, stranger = signed_in_client(user), signed_in_client(other_user)

    assert stranger.get(url).status_code == 404
    assert stranger.post(url, PERSON_OBJECT_URLS[name]).status_code == 404
    assert row(session) == before
    # The owner does reach it: the 404 above is not everybody's.
    assert owner.get(url).status_code == 200


@pytest.mark.parametrize("name", sorted(PERSON_OBJECT_URLS))
def test_a_persons_object_sends_the_anonymous_to_log_in(name, client, user):
    session = CompletedSessionFactory(user=user)
    before = row(session)
    url = reverse(name, kwargs={"pk": session.pk})

    assert_login_redirect(client.get(url), url)
    assert_login_redirect(client.post(url, PERSON_OBJECT_URLS[name]), url)
    assert row(session) == before


def test_a_persons_lists_and_export_show_nobody_elses_sessions(user, other_user):
    CompletedSessionFactory(user=user, notes="Alex's own note.")
    stranger = signed_in_client(other_user)

    for url in ["/progress/", "/progress/history/"]:
        assert "Alex&#x27;s own note." not in html(stranger.get(url))
    export = stranger.get("/progress/export.csv")
    assert export.status_code == 200
    assert "Alex's own note." not in b"".join(export.streaming_content).decode()


SIGNED_IN_ONLY = re.compile(
    r"progress/.*|accounts/(profile|delete|screening|doctor-clearance|password_change)/.*"
)
# Saving a guided session works signed out too: it waits for sign-up or log-in.
OPEN_TO_ANONYMOUS = {"accounts:guided_save"}


def test_every_personal_url_sends_the_anonymous_to_log_in(client, user):
    session = CompletedSessionFactory(user=user)
    fill = {"pk": session.pk, "slug": "beginner"}
    personal = [
        (name, kwargs)
        for route, name, kwargs in url_patterns()
        if SIGNED_IN_ONLY.fullmatch(route) and name not in OPEN_TO_ANONYMOUS
    ]
    assert len(personal) >= 12

    for name, kwargs in personal:
        assert set(kwargs) <= set(fill), f"{name}: no value for {kwargs}"
        url = reverse(name, kwargs={k: fill[k] for k in kwargs})
        assert_login_redirect(client.get(url), url)
        assert_login_redirect(client.post(url), url)
    assert row(session)["user_id"] == user.pk
    assert User.objects.filter(pk=user.pk).exists()


def test_guided_save_signed_out_saves_nothing_without_a_finished_session(
    client, catalogue
):
    assert client.get("/progress/save/beginner/").status_code == 405

    response = client.post("/progress/save/beginner/", {"pain_after": "2"})

    assert response.status_code == 302
    assert response.url == "/routines/beginner/"
    assert not CompletedSession.objects.exists()


# State-changing views: POST only, and CSRF on every form


def test_post_only_views_refuse_get_and_change_nothing(user, catalogue):
    client = signed_in_client(user)
    client.post("/routines/beginner/guide/", {"acknowledged": "on"})

    for url in [
        "/accounts/delete/",
        "/accounts/doctor-clearance/",
        "/progress/save/beginner/",
        "/accounts/logout/",
    ]:
        response = client.get(url)
        assert response.status_code == 405, url
        assert "POST" in response["Allow"], url

    user.refresh_from_db()
    assert user.doctor_cleared_on is None
    assert not CompletedSession.objects.exists()
    assert is_signed_in(client)


def token(client):
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def signup_case(client, user):
    client.get("/accounts/signup/")
    data = {
        "username": "newbie",
        "email": "",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "health_data_consent": "on",
    }
    return "/accounts/signup/", data, User.objects.filter(username="newbie").exists


def login_case(client, user):
    client.get(LOGIN)
    return (
        LOGIN,
        {"username": "alex", "password": PASSWORD},
        lambda: is_signed_in(client),
    )


def log_session_case(client, user):
    client.force_login(user)
    client.get("/progress/log/")
    data = {
        "date": timezone.localdate().isoformat(),
        "routine": Routine.objects.get(slug="beginner").pk,
        "minutes": "20",
        "pain_before": "5",
        "pain_after": "3",
        "notes": "",
        "client_token": "csrf-test",
    }
    return "/progress/log/", data, CompletedSession.objects.exists


def session_edit_case(client, user):
    client.force_login(user)
    session = CompletedSessionFactory(user=user, notes="")
    client.get(session.get_absolute_url())
    data = {"pain_before": "1", "pain_after": "0", "notes": "Edited."}

    def changed():
        return row(session)["notes"] == "Edited."

    return session.get_absolute_url(), data, changed


def session_delete_case(client, user):
    client.force_login(user)
    session = CompletedSessionFactory(user=user)
    url = f"{session.get_absolute_url()}delete/"
    client.get(url)
    return url, {}, lambda: not CompletedSession.objects.filter(pk=session.pk).exists()


def profile_case(client, user):
    client.force_login(user)
    client.get("/accounts/profile/")

    def changed():
        return User.objects.get(pk=user.pk).weekly_target == 7

    return "/accounts/profile/", {"weekly_target": "7"}, changed


def screening_case(client, user):
    client.force_login(user)
    client.get("/accounts/screening/")
    data = {f"condition_{c.pk}": "no" for c in Contraindication.objects.screened()}
    assert data

    def changed():
        return User.objects.get(pk=user.pk).screening_answered_at is not None

    return "/accounts/screening/", data, changed


def delete_account_case(client, user):
    client.force_login(user)
    client.get("/accounts/profile/")
    return (
        "/accounts/delete/",
        {"password": PASSWORD},
        lambda: not User.objects.filter(pk=user.pk).exists(),
    )


def guide_gate_case(client, user):
    client.get("/routines/beginner/guide/")

    def changed():
        return "beginner" in client.session.get(SESSION_KEY, {})

    return "/routines/beginner/guide/", {"acknowledged": "on"}, changed


def guide_step_case(client, user):
    client.get("/routines/beginner/guide/")
    data = {"acknowledged": "on", "csrfmiddlewaretoken": token(client)}
    assert client.post("/routines/beginner/guide/", data).status_code == 302

    def changed():
        return "1" in client.session[SESSION_KEY]["beginner"]["outcomes"]

    return "/routines/beginner/guide/1/", {"action": "done"}, changed


def guided_save_case(client, user):
    client.force_login(user)
    client.get("/routines/beginner/guide/")
    client.post(
        "/routines/beginner/guide/",
        {"acknowledged": "on", "csrfmiddlewaretoken": token(client)},
    )
    steps = RoutineStep.objects.in_routine("beginner").count()
    for number in range(1, steps + 1):
        response = client.post(
            f"/routines/beginner/guide/{number}/",
            {"action": "done", "csrfmiddlewaretoken": token(client)},
        )
        assert response.status_code == 302
    client.get("/routines/beginner/guide/finish/")
    data = {"pain_before": "4", "pain_after": "2", "notes": ""}
    return "/progress/save/beginner/", data, CompletedSession.objects.exists


def doctor_clearance_case(client, user):
    client.force_login(user)
    client.get("/accounts/profile/")

    def changed():
        return User.objects.get(pk=user.pk).doctor_cleared_on is not None

    return "/accounts/doctor-clearance/", {"cleared": "on"}, changed


def logout_case(client, user):
    client.force_login(user)
    client.get("/progress/")
    return "/accounts/logout/", {}, lambda: not is_signed_in(client)


def password_reset_case(client, user):
    client.get(RESET)
    return RESET, {"email": user.email}, lambda: len(mail.outbox) == 1


def password_change_case(client, user):
    client.force_login(user)
    client.get("/accounts/password_change/")
    data = {
        "old_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }

    def changed():
        return User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)

    return "/accounts/password_change/", data, changed


CSRF_CASES = [
    signup_case,
    login_case,
    log_session_case,
    session_edit_case,
    session_delete_case,
    profile_case,
    screening_case,
    delete_account_case,
    guide_gate_case,
    guide_step_case,
    guided_save_case,
    doctor_clearance_case,
    logout_case,
    password_reset_case,
    password_change_case,
]


@pytest.mark.parametrize(
    "case", CSRF_CASES, ids=[case.__name__.removesuffix("_case") for case in CSRF_CASES]
)
def test_every_form_requires_the_csrf_token(case, catalogue, user):
    client = Client(enforce_csrf_checks=True)
    url, data, changed = case(client, user)

    refused = client.post(url, data)

    assert refused.status_code == 403
    assert "CSRF" in html(refused)
    assert not changed()

    # The same post with the token goes through: the token was all it lacked.
    accepted = client.post(url, {**data, "csrfmiddlewaretoken": token(client)})
    assert accepted.status_code == 302, html(accepted)
    assert changed()
