"""The installable app (issue 18): the manifest and icons every page links,
the service worker at /sw.js, the offline page, and the log-out that clears
what the browser kept."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from PIL import Image

import backcare_site.views as site_views
from backcare_site.management.commands import render_icons
from exercises import cache as catalogue_cache
from tests.helpers import html, is_signed_in, text_of

STATIC = "/" + settings.STATIC_URL.lstrip("/")
ICONS = {
    "icon-192.png": (192, 192),
    "icon-512.png": (512, 512),
    "icon-maskable-512.png": (512, 512),
    "apple-touch-icon.png": (180, 180),
}
MARK = '<meta name="backcare-offline" content="keep">'


@pytest.fixture(autouse=True)
def fresh_offline_app():
    """The manifest and worker are built once per process: rebuilt per test."""
    site_views.offline_app.cache_clear()
    yield
    site_views.offline_app.cache_clear()


def static_file(url):
    """The source file a static URL names, as the staticfiles finders find it."""
    assert url.startswith(STATIC), url
    found = finders.find(url.removeprefix(STATIC))
    assert found, f"{url}: no such static file"
    return Path(found)


def worker_values(response):
    """The values /sw.js puts before the worker's source."""
    head = response.content.decode().split("\n// BackCare's service worker")[0]
    return {
        name: json.loads(value)
        for name, value in re.findall(r"^const ([A-Z_]+) = (.*);$", head, re.M)
    }


# The manifest and icons


def test_the_manifest_describes_the_app(client, db):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "BackCare"
    assert manifest["short_name"] == "BackCare"
    assert "low-back pain" in manifest["description"]
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0a58ca"
    assert manifest["background_color"] == "#ffffff"


def test_every_icon_of_the_manifest_is_a_static_file_of_its_size(client, db):
    icons = json.loads(client.get("/manifest.webmanifest").content)["icons"]

    sizes = set()
    for icon in icons:
        path = static_file(icon["src"])
        if icon["type"] == "image/svg+xml":
            assert icon["sizes"] == "any"
            assert path.read_text().startswith("<svg")
            continue
        assert icon["type"] == "image/png"
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"], icon
        sizes.add((icon["sizes"], icon.get("purpose", "any")))
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}


def test_the_committed_icons_are_what_the_mark_draws_today():
    call_command(render_icons.Command(), check=True)

    folder = render_icons.DIRECTORY
    for name, size in ICONS.items():
        with Image.open(folder / name) as image:
            assert image.format == "PNG" and image.size == size, name
    with Image.open(folder / "favicon.ico") as favicon:
        assert favicon.format == "ICO"
        assert favicon.ico.sizes() == {(16, 16), (32, 32), (48, 48)}
    assert "<title>BackCare</title>" in (folder / "icon.svg").read_text()


def test_the_check_fails_when_an_icon_was_edited_by_hand(tmp_path, monkeypatch):
    monkeypatch.setattr(render_icons, "DIRECTORY", tmp_path)
    call_command(render_icons.Command(), stdout=None)
    Image.new("RGB", (192, 192), "white").save(tmp_path / "icon-192.png")

    with pytest.raises(Exception, match="icon-192.png"):
        call_command(render_icons.Command(), check=True)
    call_command(render_icons.Command())
    call_command(render_icons.Command(), check=True)


def test_the_maskable_icon_keeps_the_mark_inside_the_safe_zone():
    with Image.open(render_icons.DIRECTORY / "icon-maskable-512.png") as image:
        image = image.convert("RGB")
    size = image.width
    # Launchers may crop to a circle of 40% of the size around the centre;
    # the blue reaches the edges, every light pixel (the mark) is inside it.
    assert image.getpixel((0, 0)) == image.getpixel((size - 1, size - 1))
    centre = (size - 1) / 2
    light = [
        (x, y)
        for y in range(0, size, 2)
        for x in range(0, size, 2)
        if sum(image.getpixel((x, y))) > 600
    ]
    assert len(light) > 1000
    farthest = max(((x - centre) ** 2 + (y - centre) ** 2) ** 0.5 for x, y in light)
    assert farthest < 0.4 * size


def test_favicon_ico_answers_at_the_root(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert "max-age=86400" in response["Cache-Control"]
    assert response.content == (render_icons.DIRECTORY / "favicon.ico").read_bytes()


HEAD_LINKS = [
    '<link rel="manifest" href="/manifest.webmanifest">',
    f'<link rel="icon" href="{STATIC}icons/favicon.ico" sizes="48x48">',
    f'<link rel="icon" href="{STATIC}icons/icon.svg" type="image/svg+xml">',
    f'<link rel="apple-touch-icon" href="{STATIC}icons/apple-touch-icon.png">',
    '<meta name="theme-color" content="#0a58ca">',
    f'<script type="module" src="{STATIC}js/sw-register.js" '
    'data-service-worker="/sw.js"></script>',
]
VISITOR_PAGES = [
    ("/", 200),
    ("/about/", 200),
    ("/privacy/", 200),
    ("/routines/practice/", 200),
    ("/routines/practice/guide/", 200),
    ("/exercises/knee-rocks/", 200),
    ("/accounts/login/", 200),
    ("/accounts/signup/", 200),
    ("/offline/", 200),
    ("/no/such/page/", 404),
]
PERSON_PAGES = ["/", "/routines/practice/", "/progress/", "/accounts/profile/"]


def test_every_page_links_the_manifest_icons_and_worker(practice, user):
    visitor, person = Client(), Client()
    person.force_login(user)
    responses = [(url, status, visitor.get(url)) for url, status in VISITOR_PAGES]
    responses += [(url, 200, person.get(url)) for url in PERSON_PAGES]

    for url, status, response in responses:
        assert response.status_code == status, url
        head = html(response).split("</head>")[0]
        for link in HEAD_LINKS[:-1]:
            assert link in head, (url, link)
        assert HEAD_LINKS[-1] in html(response), url


def test_only_a_visitors_page_is_marked_for_keeping_offline(practice, user):
    visitor, person = Client(), Client()
    person.force_login(user)

    for url in ["/", "/routines/practice/", "/exercises/knee-rocks/", "/about/"]:
        assert MARK in html(visitor.get(url)), url
        # A second time, from the page cache: the same mark.
        assert MARK in html(visitor.get(url)), url
        assert MARK not in html(person.get(url)), url
    assert MARK not in html(person.get("/progress/"))


# The service worker


def test_the_worker_is_javascript_never_cached_and_under_the_policy(client, db):
    page = client.get("/about/")
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript"
    assert response["Cache-Control"] == "no-cache"
    assert response["Content-Security-Policy"] == page["Content-Security-Policy"]
    assert "Service-Worker-Allowed" not in response
    body = response.content.decode()
    assert body.endswith(
        (settings.BASE_DIR / "static/js/service-worker.js").read_text()
    )
    assert "skipWaiting" in body and "clients.claim" in body


def test_the_worker_answers_304_while_the_deployment_is_the_same(client, db):
    first = client.get("/sw.js")

    again = client.get("/sw.js", headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304


def test_the_worker_precaches_the_offline_page_and_the_sites_static_files(client, db):
    values = worker_values(client.get("/sw.js"))

    precache = values["PRECACHE"]
    assert values["OFFLINE_URL"] == "/offline/" == precache[0]
    assert values["STATIC_URL"] == STATIC
    files = precache[1:]
    assert len(files) == len(set(files))
    for url in files:
        static_file(url)
    names = {url.removeprefix(STATIC) for url in files}
    drawings = {p.name for p in (settings.BASE_DIR / "static/drawings").iterdir()}
    assert {f"drawings/{name}" for name in drawings} <= names
    assert {f"icons/{name}" for name in ICONS} <= names
    assert {"icons/icon.svg", "icons/favicon.ico"} <= names
    for used in [
        "bootstrap/css/bootstrap.min.css",
        "css/site.css",
        "css/player.css",
        "js/sw-register.js",
        "js/timezone.js",
        "js/error-summary.js",
        "js/player/main.js",
    ]:
        assert used in names
    # Not the admin's, nor the worker's own source.
    assert not {name for name in names if "admin" in name}
    assert "js/service-worker.js" not in names


def test_the_offline_page_is_a_page_of_the_site(client, db):
    response = client.get("/offline/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "You are offline" in text_of(response)
    assert '<a href="/">the routines</a>' in html(response)


def test_a_new_deployment_gives_the_worker_a_new_version(client, db, monkeypatch):
    first = worker_values(client.get("/sw.js"))

    # The code, a template or a static file changed.
    monkeypatch.setattr(catalogue_cache, "CODE_VERSION", "another")
    site_views.offline_app.cache_clear()
    second = client.get("/sw.js")

    assert worker_values(second)["VERSION"] != first["VERSION"]
    assert second["ETag"].strip('"') == worker_values(second)["VERSION"]


def test_new_hashed_static_names_give_the_worker_a_new_version(client, db, monkeypatch):
    first = worker_values(client.get("/sw.js"))
    storage = site_views.staticfiles_storage

    class Rehashed:
        base_url = storage.base_url

        def url(self, name):
            return storage.url(name).replace("site.css", "site.0123abcd.css")

    monkeypatch.setattr(site_views, "staticfiles_storage", Rehashed())
    site_views.offline_app.cache_clear()
    second = worker_values(client.get("/sw.js"))

    assert f"{STATIC}css/site.0123abcd.css" in second["PRECACHE"]
    assert second["VERSION"] != first["VERSION"]
    manifest = json.loads(client.get("/manifest.webmanifest").content)
    assert manifest["icons"][0]["src"] == f"{STATIC}icons/icon-192.png"


def test_the_app_files_answer_get_and_head_only(client, db):
    for url in ["/manifest.webmanifest", "/sw.js", "/favicon.ico", "/offline/"]:
        assert client.head(url).status_code == 200, url
        assert client.post(url).status_code == 405, url


# Logging out


def test_logging_out_clears_what_the_browser_kept(signed_in):
    signed_in.get("/")

    response = signed_in.post("/accounts/logout/")

    assert response.status_code == 302
    assert response.url == "/"
    assert response["Clear-Site-Data"] == '"cache"'
    assert not is_signed_in(signed_in)
