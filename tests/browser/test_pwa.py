"""The installable app in Chromium (issue 18): the manifest the page links,
its icons, the service worker, the catalogue offline, and nothing personal
kept."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from tests.browser.flows import CACHED, cached, sign_in, wait_until
from tests.factories import UserFactory

ROUTINE = "/routines/practice/"

ICON_SIZE = """async (src) => {
  const image = new Image();
  image.src = src;
  await image.decode();
  return [image.naturalWidth, image.naturalHeight];
}"""


def precached():
    """What the worker keeps on install: each language's offline page and words."""
    paths = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            paths |= {reverse("offline"), reverse("javascript-catalog")}
    return paths


def kept_pages(page):
    """The pages the worker kept (what it precaches aside)."""
    return sorted(
        path
        for name, paths in cached(page).items()
        for path in paths
        if not path.startswith("/static/") and path not in precached()
    )


# The worker's registration, active; false after 10 seconds without one.
READY = """Promise.race([
  navigator.serviceWorker.ready.then(() => true),
  new Promise((resolve) => setTimeout(() => resolve(false), 10000)),
])"""


def controlled(page):
    """Wait for the worker, then reload so that it controls the page."""
    assert page.evaluate(READY), "no service worker"
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")


def wait_until_kept(page, path):
    wait_until(
        page,
        f"({CACHED})().then((found) => Object.values(found).flat().includes({path!r}))",
    )


@pytest.fixture
def errors(page):
    """Console errors and failed requests of the page, as they happen."""
    found = []
    page.on(
        "console",
        lambda message: message.type == "error" and found.append(message.text),
    )
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and found.append(f"{response.status} {response.url}")
        ),
    )
    return found


def test_the_linked_manifest_and_each_icon_load(page, practice, errors):
    page.goto("/")
    href = page.locator("link[rel=manifest]").get_attribute("href")

    manifest = page.evaluate(
        "async (href) => { const r = await fetch(href);"
        " return [r.headers.get('Content-Type'), await r.json()]; }",
        href,
    )
    content_type, fields = manifest
    assert content_type == "application/manifest+json"
    assert fields["name"] == "BackCare"
    assert fields["short_name"] and fields["description"]
    assert (fields["start_url"], fields["scope"]) == ("/", "/")
    assert fields["display"] == "standalone"
    assert fields["theme_color"] == "#0a58ca"
    assert fields["background_color"] == "#ffffff"
    for icon in fields["icons"]:
        width, height = page.evaluate(ICON_SIZE, icon["src"])
        if icon["sizes"] != "any":
            assert f"{width}x{height}" == icon["sizes"], icon
        assert width > 0, icon
    for selector in ["link[rel=icon]", "link[rel=apple-touch-icon]"]:
        for href in page.locator(selector).evaluate_all("(ls) => ls.map(l => l.href)"):
            assert page.evaluate(ICON_SIZE, href)[0] > 0, href
    assert page.evaluate(ICON_SIZE, "/favicon.ico") == [48, 48]
    assert errors == []


def test_chromium_finds_the_app_installable(page, practice, errors):
    page.goto("/")
    controlled(page)
    cdp = page.context.new_cdp_session(page)

    found = cdp.send("Page.getAppManifest")
    assert found["errors"] == []
    assert found["url"].endswith("/manifest.webmanifest")
    installability = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are off the record, where Chromium offers no
    # install; that is the only thing it may hold against the app.
    assert [error["errorId"] for error in installability] in ([], ["in-incognito"])
    assert errors == []


def test_the_worker_registers_and_controls_the_page(page, practice, errors):
    page.goto("/")
    assert page.evaluate("navigator.serviceWorker.controller") is None

    controlled(page)

    scope = page.evaluate("navigator.serviceWorker.ready.then((found) => found.scope)")
    assert re.fullmatch(r"http://(localhost|127\.0\.0\.1):\d+/", scope)
    paths = {path for paths in cached(page).values() for path in paths}
    assert "/offline/" in paths
    assert {"/static/css/site.css", "/static/icons/icon-192.png"} <= paths
    assert "/static/drawings/treadmill.svg" in paths
    assert errors == []


def test_a_routine_opened_once_opens_again_offline(page, practice):
    page.goto("/")
    controlled(page)
    page.goto(ROUTINE)
    wait_until_kept(page, ROUTINE)
    title = page.get_by_role("heading", level=1).inner_text()

    page.context.set_offline(True)
    page.reload()

    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    # Its styles came from the worker's cache too.
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.navbar')).display")
        == "flex"
    )
    page.goto("/exercises/never-opened/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
    page.goto("/progress/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")


def test_no_page_seen_signed_in_is_kept_and_logging_out_forgets(page, practice):
    person = UserFactory(username="casey")
    page.goto("/about/")
    controlled(page)
    wait_until_kept(page, "/about/")

    sign_in(page, person)
    for path in [
        "/",
        ROUTINE,
        "/progress/",
        "/progress/history/",
        "/accounts/profile/",
    ]:
        page.goto(path)
        expect(page.get_by_role("link", name=re.compile("casey"))).to_be_visible()
    page.goto("/about/")
    page.wait_for_timeout(300)  # time enough for the worker to keep it, were it to
    assert kept_pages(page) == ["/about/"]

    # Offline, a signed-in page is not served from the worker.
    page.context.set_offline(True)
    page.goto("/progress/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
    page.context.set_offline(False)

    page.goto("/")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    # The visitor's home page after the log-out is all that is kept.
    assert "/about/" not in kept_pages(page)
    assert set(kept_pages(page)) <= {"/"}
