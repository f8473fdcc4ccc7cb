"""
Every page carries a strict Content Security Policy, and no page or template
has inline script or style (DESIGN.md §8, §9).
"""

import re
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import resolve

from exercises.models import Exercise, Routine
from tests.factories import CompletedSessionFactory
from tests.helpers import count_queries, html, signed_in_client, url_patterns

BASE_DIR = Path(settings.BASE_DIR)
LOGIN = "/accounts/login/"
RESET = "/accounts/password_reset/"
GATE = "/routines/practice/guide/"
# Answers that are not pages: files, plain text, or a redirect after a POST.
NOT_PAGES = {
    "accounts:export",
    "accounts:export_json",
    "healthz",
    "livez",
    "javascript-catalog",
    "set_language",
    "manifest",
    "service_worker",
    "favicon",
    "logout",
    "accounts:doctor_clearance",
    # The offline guide's JSON (its plan, its save) and its addresses, which
    # only redirect when the service worker does not answer them.
    "exercises:routine_plan",
    "accounts:offline_save",
    "exercises:guide_offline",
    "exercises:guide_offline_step",
    "exercises:guide_offline_finish",
}


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
    for url in ["/", "/about/", "/", "/about/", "/privacy/"]:
        visit(anonymous, "get", url, 200)
    for slug in Routine.objects.values_list("slug", flat=True):
        visit(anonymous, "get", f"/routines/{slug}/", 200)
    for slug in Exercise.objects.values_list("slug", flat=True):
        visit(anonymous, "get", f"/exercises/{slug}/", 200)
    visit(anonymous, "get", "/no-such-page/", 404)
    visit(anonymous, "get", "/offline/", 200)
    for url in [LOGIN, "/accounts/signup/", RESET, f"{RESET}done/"]:
        visit(anonymous, "get", url, 200)
    for url in ["/accounts/reset/x/x/", "/accounts/reset/done/"]:
        visit(anonymous, "get", url, 200)
    visit(anonymous, "post", LOGIN, 400, {"username": "nobody", "password": "x"})
    visit(anonymous, "post", "/accounts/signup/", 400, {"username": "<b>"})
    # The guide, anonymously.
    visit(anonymous, "get", GATE, 200)
    visit(anonymous, "post", GATE, 400)
    visit(anonymous, "post", GATE, 302, {"acknowledged": "on"})
    visit(anonymous, "get", f"{GATE}1/", 200)
    visit(anonymous, "post", f"{GATE}1/", 400, {"action": "x"})
    visit(anonymous, "get", f"{GATE}finish/", 200)

    signed_in = signed_in_client(user)
    session = CompletedSessionFactory(user=user, notes="Felt fine.")
    for url in [
        "/",
        "/routines/practice/",
        "/progress/",
        "/progress/history/",
        "/progress/log/",
        session.get_absolute_url(),
        f"{session.get_absolute_url()}delete/",
        "/accounts/profile/",
        "/accounts/screening/",
        "/accounts/password_change/",
        "/accounts/password_change/done/",
    ]:
        visit(signed_in, "get", url, 200)
    visit(signed_in, "post", "/progress/log/", 400, {"minutes": "-1"})
    visit(signed_in, "post", session.get_absolute_url(), 400, {"pain_before": "11"})
    visit(signed_in, "post", "/accounts/profile/", 400, {"time_zone": "Nowhere"})
    visit(signed_in, "post", "/progress/plan/", 400, {"time": "07:30"})
    visit(signed_in, "post", "/progress/plan/level/", 302, {"answer": "decline"})
    visit(signed_in, "post", "/accounts/screening/", 400)
    visit(signed_in, "post", "/accounts/delete/", 400, {"password": "wrong"})
    visit(signed_in, "post", GATE, 302, {"acknowledged": "on"})
    visit(signed_in, "get", f"{GATE}1/", 200)
    visit(signed_in, "get", f"{GATE}finish/", 200)
    visit(signed_in, "post", "/progress/save/practice/", 400, {"pain_after": "99"})

    # Five failed log-ins lock the username: the lockout page.
    locked = Client()
    for status in [400, 400, 400, 400, 429]:
        visit(locked, "post", LOGIN, status, {"username": "alex", "password": "x"})
    return pages


def test_the_walk_reaches_every_page_of_the_urlconf(practice, user):
    reached = {
        resolve(page.split(" ", 1)[1]).view_name
        for page, response in every_page(user)
        if response.status_code != 404
    }

    every = {name for _, name, _ in url_patterns()}
    assert sorted(every - NOT_PAGES - reached) == []


def test_every_page_sends_a_strict_content_security_policy(practice, user):
    pages = every_page(user)

    assert len(pages) > 40
    for _, response in pages:
        assert_strict_csp(response)


def test_a_page_served_from_the_page_cache_keeps_the_policy(practice):
    client = Client()
    for url in ["/", "/about/", "/routines/practice/", "/exercises/knee-rocks/"]:
        first = client.get(url)
        # Only the catalogue's version read: the second answer came from the
        # cache, not the view.
        second = count_queries(client, url)

        assert first.status_code == 200
        assert len(second) == 1, url
        assert second.response.content == first.content
        assert_strict_csp(first)
        assert_strict_csp(second.response)
        assert second.response["X-Frame-Options"] == "DENY"


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


def test_the_inline_code_check_catches_what_it_is_for():
    assert inline_code('<p style="x" onclick="y"><script>z</script>') == [
        "<p style='x'>",
        "<p onclick='y'>",
        "inline <script>",
    ]


def test_no_rendered_page_has_inline_script_or_style(practice, user):
    found = [
        f"{page}: {item}"
        for page, response in every_page(user)
        for item in inline_code(html(response))
    ]

    assert found == []


def test_django_csps_own_settings_and_nonce_hold(client, db, settings):
    # Issue 28, defect 2: the site's fork of django-csp's middleware ignored
    # EXCLUDE_URL_PREFIXES and never offered request.csp_nonce.
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "EXCLUDE_URL_PREFIXES": ["/privacy/"],
    }

    excluded = client.get("/privacy/")
    policed = client.get("/offline/")

    assert excluded.status_code == policed.status_code == 200
    assert "Content-Security-Policy" not in excluded
    assert "Content-Security-Policy" in policed
    # django-csp offers each request a nonce (read once the header is
    # written, it says so by raising).
    assert "csp_nonce" in vars(policed.wsgi_request)
