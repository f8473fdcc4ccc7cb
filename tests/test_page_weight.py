"""
Page weight (DESIGN.md §7): each page's HTML and the CSS and JS it loads, with
the static files as production serves them (WhiteNoise's compressed manifest
storage), and nothing fetched from another host. Query budgets are in
test_query_budgets.py.
"""

import gzip
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from exercises.models import Contraindication, Routine
from tests.factories import PASSWORD, UserFactory
from tests.test_query_budgets import grow_sessions

HTML_BUDGET = 30 * 1024
STATIC_BUDGET = 80 * 1024
# XML namespaces name a vocabulary; nothing is fetched from them.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def screened_person(username):
    person = UserFactory(username=username, weekly_target=4)
    person.conditions.set(Contraindication.objects.filter(slug="nerve-pain-legs"))
    person.screening_answered_at = timezone.now()
    person.save()
    return person


# --- Page weight ----------------------------------------------------------


@pytest.fixture(scope="module")
def production_static(tmp_path_factory):
    """collectstatic with the real storage; the settings stay for this module."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(
        STATIC_ROOT=root,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "backcare_site.storage.StaticFilesStorage"},
        },
    ):
        call_command("collectstatic", "--noinput", verbosity=0)
        assert (root / "staticfiles.json").exists()
        yield root


class Links(HTMLParser):
    """Every URL a page names, and the stylesheets and scripts it loads."""

    ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "srcset"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls = []
        self.stylesheets = []
        self.scripts = []
        self.inline_styles = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name in self.ATTRIBUTES and value:
                if name == "srcset":
                    self.urls += [part.split()[0] for part in value.split(",")]
                else:
                    self.urls.append(value)
            if name == "style" and value:
                self.inline_styles.append(value)
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split():
            self.stylesheets.append(attrs["href"])
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        self.in_style = tag == "style"

    def handle_data(self, data):
        if self.in_style:
            self.inline_styles.append(data)

    def handle_endtag(self, tag):
        self.in_style = False


def foreign(url, host="testserver"):
    """True unless `url` is relative, on this host, or fetches nothing (data:)."""
    url = url.strip()
    if url in NAMESPACES:
        return False
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("data", "mailto", "tel"):
        return False
    if parts.scheme not in ("", "http", "https"):
        return True  # javascript:, ftp: … nothing a page of ours should name
    return bool(parts.netloc) and parts.hostname != host


def css_urls(css):
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    urls = [match.strip("'\" ") for match in re.findall(r"url\(\s*([^)]*?)\s*\)", css)]
    urls += re.findall(r"@import\s+['\"]([^'\"]+)['\"]", css)
    # Absolute URLs inside data: URIs (an SVG's xmlns) fetch nothing themselves.
    inside = [u for u in urls if u.startswith("data:")]
    absolute = [
        found
        for data in inside
        for found in re.findall(r"https?://[^'\"\s)%]+", urllib.parse.unquote(data))
    ]
    return [u for u in urls if not u.startswith("data:")] + absolute


def static_file(root, url):
    path = urllib.parse.urlsplit(url).path
    assert path.startswith("/static/"), url
    return Path(root) / path.removeprefix("/static/")


MODULE_IMPORT = re.compile(
    r"""(?:\bimport|\bexport)\b[^'"`;]*?(?:\bfrom\s*)?["']([./][^"']+)["']|"""
    r"""\bimport\(\s*["']([^"']+)["']\s*\)"""
)


def with_modules(root, scripts):
    """The scripts and every ES module they import, directly or not, by URL."""
    found, queue = [], list(scripts)
    while queue:
        url = queue.pop(0)
        if url in found:
            continue
        found.append(url)
        source = static_file(root, url).read_text()
        for static, dynamic in MODULE_IMPORT.findall(source):
            queue.append(urllib.parse.urljoin(url, static or dynamic))
    return found


def gzipped_size(path):
    compressed = path.with_name(path.name + ".gz")
    if compressed.exists():
        return compressed.stat().st_size
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


@pytest.fixture
def person_with_a_year(catalogue):
    person = screened_person("weighs_pages")
    grow_sessions(person, Routine.objects.get(slug="beginner"), 2000)
    return person


def walk_the_guide(client):
    assert (
        client.post("/routines/beginner/guide/", {"acknowledged": "on"}).status_code
        == 302
    )
    for number in range(1, 7):
        action = "skip" if number == 6 else "done"
        response = client.post(
            f"/routines/beginner/guide/{number}/", {"action": action}
        )
        assert response.status_code == 302, number


def test_every_page_is_light_and_loads_nothing_from_another_host(
    production_static, person_with_a_year
):
    visitor = Client()
    person = Client()
    person.post("/accounts/login/", {"username": "weighs_pages", "password": PASSWORD})
    walker = Client()
    walker.force_login(person_with_a_year)
    pages = [
        ("home", visitor, "/"),
        ("routine page", visitor, "/routines/beginner/"),
        ("gate", walker, "/routines/beginner/guide/"),
        ("guide step", walker, "/routines/beginner/guide/3/"),
        ("finish", walker, "/routines/beginner/guide/finish/"),
        ("dashboard", person, "/progress/"),
        ("history", person, "/progress/history/"),
        ("login", visitor, "/accounts/login/"),
        ("signup", visitor, "/accounts/signup/"),
        ("profile", person, "/accounts/profile/"),
    ]
    problems = []
    for name, client, url in pages:
        if name == "guide step":
            walk_the_guide(walker)
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        html = response.content.decode()
        links = Links()
        links.feed(html)
        # One script is not a file: the page's words (Django's JavaScript
        # catalogue), weighed as served.
        served = [url for url in links.scripts if "/static/" not in url]
        assert served == ["/jsi18n/"], (name, served)
        scripts = [url for url in links.scripts if url not in served]
        files = links.stylesheets + with_modules(production_static, scripts)
        for file_url in files:
            assert "/static/" in file_url, file_url
            assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", file_url), (
                f"{name}: {file_url} is not a hashed manifest name"
            )
        paths = [static_file(production_static, u) for u in files]
        compressed = sum(gzipped_size(p) for p in paths)
        urls = list(links.urls)
        for url in served:
            body = client.get(url).content
            compressed += len(gzip.compress(body, compresslevel=9))
            urls += re.findall(r"https?://[^'\"`\s)]+", body.decode())
        for path in paths:
            text = path.read_text()
            if path.suffix == ".css":
                urls += [
                    urllib.parse.urljoin(f"/static/{path.name}", u)
                    for u in css_urls(text)
                ]
            else:
                urls += re.findall(r"https?://[^'\"`\s)]+", text)
        urls += [u for style in links.inline_styles for u in css_urls(style)]
        if len(response.content) > HTML_BUDGET:
            problems.append(f"{name}: HTML {len(response.content)} B > {HTML_BUDGET}")
        if compressed > STATIC_BUDGET:
            problems.append(f"{name}: CSS+JS {compressed} B gz > {STATIC_BUDGET}")
        problems += [f"{name}: {u} points off the site" for u in urls if foreign(u)]

    assert not problems, "\n".join(problems)


def test_the_foreign_url_check_catches_what_it_should():
    assert foreign("https://cdn.example.com/bootstrap.css")
    assert foreign("//fonts.example.org/font.woff2")
    assert foreign("javascript:alert(1)")
    assert not foreign("/static/css/site.css")
    assert not foreign("../img/x.svg")
    assert not foreign("#content")
    assert not foreign("?page=2")
    assert not foreign("http://testserver/about/")
    assert not foreign("http://www.w3.org/2000/svg")
    assert css_urls(
        '/* https://getbootstrap.com */ a{background:url("data:image/svg+xml,'
        "%3csvg xmlns='http://www.w3.org/2000/svg'%3e\")} b{src:url(https://x.io/f)}"
    ) == ["https://x.io/f", "http://www.w3.org/2000/svg"]
