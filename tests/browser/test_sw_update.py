"""A new deployment's service worker replaces the old one's caches (issue 18),
so nobody is left on stale pages: in Chromium, the worker of one deployment
installs and keeps its files; the server then answers /sw.js for another;
once the browser has updated, only the new deployment's caches are left and
the page is served from them."""

import pytest
from playwright.sync_api import expect

from backcare_site import views as site_views
from exercises import cache as catalogue_cache
from tests.browser.flows import CACHED, cached, wait_until

ROUTINE = "/routines/practice/"

READY = """Promise.race([
  navigator.serviceWorker.ready.then(() => true),
  new Promise((resolve) => setTimeout(() => resolve(false), 10000)),
])"""

# Ask the browser to fetch /sw.js again, as it does by itself on navigations.
UPDATE = """async () => {
  window.previousWorker = navigator.serviceWorker.controller;
  const registration = await navigator.serviceWorker.getRegistration();
  await registration.update();
}"""

# Another worker controls the page and has finished activating (its
# activate handler, which drops the old caches, has settled).
NEW_WORKER_IN_CHARGE = """() => {
  const worker = navigator.serviceWorker.controller;
  return worker !== null && worker !== window.previousWorker
    && worker.state === "activated";
}"""


def caches_of(version):
    return {f"backcare-static-{version}", f"backcare-pages-{version}"}


@pytest.fixture
def deployments(monkeypatch):
    """Starts a new deployment when called, and returns its worker's version.

    The worker's version is computed from the code's version (the hash of
    the code, templates and static files, read once at start-up) and the
    static files' names, once per process; a deployment changes the first
    and starts afresh."""
    site_views.offline_app.cache_clear()

    def deploy(code_version):
        monkeypatch.setattr(catalogue_cache, "CODE_VERSION", code_version)
        site_views.offline_app.cache_clear()
        return site_views.offline_app().version

    yield deploy
    # The next test gets this process's own worker again.
    monkeypatch.undo()
    site_views.offline_app.cache_clear()


def test_a_new_deployment_drops_the_old_caches_and_serves_from_its_own(
    page, practice, deployments
):
    old = deployments("before-the-deploy")
    page.goto(ROUTINE)
    assert page.evaluate(READY), "no service worker"
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    wait_until(
        page,
        f"({CACHED})().then((found) => Object.values(found).flat()"
        f".includes({ROUTINE!r}))",
    )
    before = cached(page)
    assert set(before) == caches_of(old)
    assert "/static/css/site.css" in before[f"backcare-static-{old}"]
    assert ROUTINE in before[f"backcare-pages-{old}"]

    new = deployments("after-the-deploy")
    assert new != old
    page.evaluate(UPDATE)
    page.wait_for_function(NEW_WORKER_IN_CHARGE)

    after = cached(page)
    assert set(after) <= caches_of(new), f"caches left from before: {set(after)}"
    assert "/offline/" in after[f"backcare-static-{new}"]
    assert "/static/css/site.css" in after[f"backcare-static-{new}"]

    # Opened under the new worker, the page is kept in its cache; offline,
    # it comes from there, with its styles.
    page.reload()
    wait_until(
        page,
        f"({CACHED})().then((found) => (found['backcare-pages-{new}'] || [])"
        f".includes({ROUTINE!r}))",
    )
    page.context.set_offline(True)
    response = page.reload()
    assert response.from_service_worker
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice routine")
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.navbar')).display")
        == "flex"
    )
    assert set(cached(page)) == caches_of(new)
