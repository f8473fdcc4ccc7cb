"""The browser and the pages every browser test opens, defined once.

`page` is a laptop, `phone_page` a phone, `screen` each of the two in turn,
`no_js_page` a laptop without JavaScript; `open_screen` opens any other kind
(another time zone, say). A failed test leaves a screenshot in test-results/.
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# made by fixtures there are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"

# The two screens every page is tried on: a phone and a laptop.
SCREENS = {
    "phone": {
        "viewport": {"width": 360, "height": 800},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "laptop": {"viewport": {"width": 1280, "height": 800}},
}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def open_screen(browser, request, live_server):
    """Opens a page on one of SCREENS against the live server, with any further
    browser-context options (`timezone_id`, `java_script_enabled`, …)."""

    def open_screen(name, **options):
        context = browser.new_context(
            base_url=live_server.url, **SCREENS[name], **options
        )
        context.set_default_timeout(10_000)
        page = context.new_page()

        def close():
            report = getattr(request.node, "report_call", None)
            if report is not None and report.failed:
                SCREENSHOTS.mkdir(exist_ok=True)
                name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
                # A page that is an SVG file alone has no full page to take.
                full = page.evaluate("document.documentElement.tagName") == "HTML"
                page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full)
            context.close()

        request.addfinalizer(close)
        return page

    return open_screen


@pytest.fixture
def page(open_screen):
    """A laptop screen."""
    return open_screen("laptop")


@pytest.fixture
def phone_page(open_screen):
    """A 360 px wide phone screen."""
    return open_screen("phone")


@pytest.fixture(params=SCREENS)
def screen(open_screen, request):
    """The phone, then the laptop: a test that takes it runs on both."""
    return open_screen(request.param)


@pytest.fixture
def no_js_page(open_screen):
    """A laptop screen with JavaScript turned off."""
    return open_screen("laptop", java_script_enabled=False)
