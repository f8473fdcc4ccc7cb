"""What holds for the whole site: its error pages, its look on phones, local
static files, no session row for a visitor, and the apps' boundaries."""

import ast
import re
from pathlib import Path

import pytest
from django.test import Client

import exercises


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
    assert '<html lang="en-gb">' in body
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
    # Absolute addresses are the page's own in each language (hreflang), on
    # this site.
    links = re.findall(r'href="(http[^"]*)"', body)
    assert links
    assert all(link.startswith("http://testserver/") for link in links)


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


def test_no_module_of_the_catalogue_imports_the_accounts_app():
    root = Path(exercises.__file__).parent
    imported = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
    assert not {name for name in imported if name.split(".")[0] == "accounts"}
