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


def open_page(browser, request, live_server, **context_options):
    context = browser.new_context(base_url=live_server.url, **context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()

    def close():
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            SCREENSHOTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
            page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
        context.close()

    request.addfinalizer(close)
    return page


@pytest.fixture
def page(browser, request, live_server):
    """A desktop-sized page; a screenshot lands in test-results/ on failure."""
    return open_page(
        browser, request, live_server, viewport={"width": 1280, "height": 900}
    )


@pytest.fixture
def phone_page(browser, request, live_server):
    """A 360 px wide phone screen."""
    return open_page(
        browser,
        request,
        live_server,
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )


@pytest.fixture
def no_js_page(browser, request, live_server):
    return open_page(
        browser,
        request,
        live_server,
        viewport={"width": 1280, "height": 900},
        java_script_enabled=False,
    )
