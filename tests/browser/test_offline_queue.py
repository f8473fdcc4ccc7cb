"""The saves the offline guide queues on the phone (issue 18): a save the
server cannot add as it stands can be deleted by the person, a log-out or an
account deletion the server refused keeps the queue, and a page loaded with
nothing queued asks the save address nothing."""

import re
import threading
from datetime import timedelta

import pytest
from django.core.signals import request_started
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services
from accounts.models import CompletedSession
from accounts.views import progress as progress_views
from tests.browser.flows import page_errors, sign_in, wait_until
from tests.browser.test_offline_guide import (
    ARRIVED,
    ASK,
    QUEUED,
    ROUTINE,
    Dialogs,
    ask,
    controlled,
    wait_for_plan,
    wait_for_screening,
)
from tests.factories import PASSWORD, UserFactory

SAVE_URL = "/progress/save-offline/"
# ``work(store)`` on one of the worker's IndexedDB stores, from the page.
STORE = """(name, work) => new Promise((resolve, reject) => {
  const open = indexedDB.open("backcare-offline");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const transaction = open.result.transaction(name, "readwrite");
    work(transaction.objectStore(name));
    transaction.oncomplete = () => { open.result.close(); resolve(true); };
    transaction.onerror = () => reject(transaction.error);
  };
})"""
# The person's kept screening, kept two minutes ago.
KEPT_LONG_AGO = f"""() => ({STORE})("person", (store) => {{
  const request = store.get("screening");
  request.onsuccess = () => store.put(
    {{ ...request.result, keptAt: Date.now() - 120000 }}, "screening"
  );
}})"""
CLEARANCE = "talk to your doctor before you exercise"


def a_run(person):
    """A run of the practice routine as the offline guide queues it."""
    started = timezone.now() - timedelta(minutes=30)
    return {
        "routine": "practice",
        "token": f"offline:{person.pk:032x}",
        "owner": person.pk,
        "acknowledged": True,
        "started": started.isoformat(),
        "finished": (started + timedelta(minutes=20)).isoformat(),
        "pain_before": 4,
        "pain_after": 2,
        "notes": "",
        "overridden": [],
        "steps": [{"outcome": "skipped", "seconds": None}] * 4,
    }


class SaveRequests:
    """Every request that reaches the save address, as the server and the
    browser (the pages and the service worker) see it."""

    def __init__(self, context):
        self.served = []
        self.seen = []
        context.on("request", self.saw)
        request_started.connect(self.started)

    def saw(self, request):
        if request.url.endswith(SAVE_URL):
            self.seen.append(request.method)

    def started(self, sender, environ, **kwargs):
        if environ.get("PATH_INFO") == SAVE_URL:
            self.served.append(environ["REQUEST_METHOD"])

    def clear(self):
        self.served.clear()
        self.seen.clear()

    def close(self):
        request_started.disconnect(self.started)


@pytest.fixture
def saves(page):
    requests = SaveRequests(page.context)
    yield requests
    requests.close()


@pytest.fixture
def dialogs(page):
    dialogs = Dialogs()
    page.on("dialog", dialogs)
    return dialogs


@pytest.fixture
def person(page, practice):
    """Signed in, the routine's page opened once under the worker."""
    errors = page_errors(page)
    person = UserFactory(username="casey")
    sign_in(page, person)
    page.goto(ROUTINE)
    controlled(page)
    wait_for_plan(page)
    wait_for_screening(page)
    yield person
    assert errors == []


def queue_refused_save(page, person, consult_warning):
    """A save queued on the phone that the server answers 409: the person's
    screening, answered elsewhere since, asks for their doctor's clearance."""
    services.screening_update(user=person, conditions=[consult_warning])
    assert ask(page, type="queue", run=a_run(person)) is True
    page.goto("/about/")
    expect(page.get_by_text(CLEARANCE)).to_be_visible()
    assert len(page.evaluate(QUEUED)) == 1


# ----- 1. a save the server cannot add is deleted by the person -------------


def test_a_save_the_server_refused_can_be_deleted_from_the_phone(
    page, person, consult_warning, saves
):
    queue_refused_save(page, person, consult_warning)
    waiting = page.locator(".offline-save-waiting")
    delete = waiting.get_by_role("button", name="Delete it from this phone")
    expect(delete).to_be_visible()
    box = delete.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44

    # A second thought: nothing is deleted until the person confirms.
    delete.click()
    confirm = waiting.get_by_role("button", name="Yes, delete it")
    keep = waiting.get_by_role("button", name="No, keep it")
    expect(waiting).to_contain_text("It will not be added to your record.")
    expect(confirm).to_be_focused()
    for button in (confirm, keep):
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
    keep.click()
    expect(confirm).to_be_hidden()
    expect(delete).to_be_focused()
    assert len(page.evaluate(QUEUED)) == 1

    # With the keyboard alone.
    page.keyboard.press("Enter")
    expect(confirm).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(
        "The session saved on this phone was deleted. "
        "It will not be added to your record."
    )
    expect(page.get_by_text(CLEARANCE)).to_be_hidden()
    assert page.evaluate(QUEUED) == []

    # The doctor's clearance, given now, would let it in: it is never sent.
    services.doctor_clearance_record(user=person)
    saves.clear()
    page.goto("/progress/")
    assert ask(page, type="send") is True
    page.goto("/about/")
    page.wait_for_timeout(500)
    assert "POST" not in saves.served
    assert CompletedSession.objects.count() == 0
    expect(page.locator(".offline-save-waiting")).to_have_count(0)


def test_a_save_waiting_for_its_owner_is_not_offered_for_deletion(page, person, saves):
    someone = UserFactory(username="robin")
    assert ask(page, type="queue", run=a_run(someone)) is True
    # Kept for robin, never sent for casey: nothing to offer here.
    page.goto("/about/")
    expect(page.get_by_role("heading", level=1)).to_have_text("About BackCare")
    page.wait_for_timeout(500)
    expect(page.get_by_role("button", name="Delete it from this phone")).to_have_count(
        0
    )
    discarded = page.evaluate(
        f"""Promise.race([
          ({ASK})({{type: "discard", token: "{a_run(someone)["token"]}"}}),
          new Promise((resolve) => setTimeout(() => resolve("no answer"), 3000)),
        ])"""
    )
    assert discarded is False
    assert len(page.evaluate(QUEUED)) == 1


def test_a_refused_save_stamped_for_someone_else_is_not_deleted(page, person):
    someone = UserFactory(username="robin")
    # Refused for robin once, say, and offered for deletion then: kept for
    # him while casey is the person kept.
    refused = {"code": "refused", "message": CLEARANCE, "discardable": True}
    save = {"token": a_run(someone)["token"], "run": a_run(someone), "refused": refused}
    page.evaluate(f"(save) => ({STORE})('saves', (store) => store.put(save))", save)

    assert ask(page, type="discard", token=save["token"]) is False
    assert len(page.evaluate(QUEUED)) == 1


# ----- 2. a log-out or deletion the server refused keeps the queue ----------


def test_an_account_deletion_refused_for_a_wrong_password_keeps_the_queue(
    page, person, consult_warning, dialogs
):
    queue_refused_save(page, person, consult_warning)
    page.goto("/accounts/profile/")
    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_role("button", name="Delete my account").click()

    expect(page.get_by_text("That password is not right.").first).to_be_visible()
    assert any("not yet added to your record" in asked for asked in dialogs.asked)
    assert len(page.evaluate(QUEUED)) == 1
    assert ask(page, type="screening") is not None

    # With the right password it is gone, and the queue with it.
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account and every record of it")).to_be_visible()
    wait_until(page, f"({QUEUED})().then((saves) => saves.length === 0)")


def test_a_log_out_refused_by_the_csrf_check_keeps_the_queue(
    page, person, consult_warning, dialogs
):
    queue_refused_save(page, person, consult_warning)
    page.locator(
        "form[action='/accounts/logout/'] [name=csrfmiddlewaretoken]"
    ).evaluate("(input) => { input.value = 'x'.repeat(64); }")
    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("403")
    page.goto("/about/")
    expect(page.get_by_role("link", name=re.compile("casey"))).to_be_visible()
    assert len(page.evaluate(QUEUED)) == 1

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    wait_until(page, f"({QUEUED})().then((saves) => saves.length === 0)")


def test_a_save_refused_while_the_person_logs_out_is_forgotten_too(
    page, person, consult_warning, dialogs, monkeypatch
):
    # Found when the CSRF test above waited for real: the worker marked a
    # refused save by writing it back whole, and a log-out that had forgotten
    # the queue meanwhile found it there again.
    services.screening_update(user=person, conditions=[consult_warning])
    assert ask(page, type="queue", run=a_run(person)) is True
    refusing, release = threading.Event(), threading.Event()
    refuse = progress_views.offline_refusal

    def refuse_after_the_log_out(*args, **kwargs):
        refusing.set()
        release.wait(10)
        return refuse(*args, **kwargs)

    monkeypatch.setattr(progress_views, "offline_refusal", refuse_after_the_log_out)
    page.goto("/about/")  # which sends the queued save
    assert refusing.wait(10), "the save was not sent"
    try:
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("link", name="Log in")).to_be_visible()
        assert any("not yet added to your record" in asked for asked in dialogs.asked)
    finally:
        release.set()

    page.wait_for_timeout(1000)  # the 409 has come back to the worker
    assert page.evaluate(QUEUED) == []


# ----- 3. nothing queued, nothing asked -------------------------------------


def test_pages_loaded_with_nothing_queued_ask_the_save_address_nothing(
    page, person, saves
):
    saves.clear()
    for path in ("/", "/about/", ROUTINE, "/progress/", "/progress/history/", "/"):
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
    page.wait_for_timeout(500)

    assert saves.served == []
    assert saves.seen == []


def test_a_kept_screening_older_than_a_minute_is_asked_again_on_a_page_load(
    page, person, saves, avoid_warning
):
    # Answered on another device: a step to skip for safety.
    services.screening_update(user=person, conditions=[avoid_warning])
    saves.clear()
    page.goto("/about/")
    page.wait_for_timeout(500)
    assert saves.served == []
    assert ask(page, type="screening")["routines"] == {}

    page.evaluate(KEPT_LONG_AGO)
    page.goto("/about/")

    for _ in range(30):
        if ask(page, type="screening")["routines"]:
            break
        page.wait_for_timeout(100)
    assert saves.served == ["GET"]
    skips = ask(page, type="screening")["routines"]["practice"]["skips"]
    assert "Do you have pain running down one leg? Yes." in skips["3"]
    # Kept again now: the next pages ask nothing.
    page.goto("/")
    page.goto("/about/")
    page.wait_for_timeout(500)
    assert saves.served == ["GET"]


def test_a_queued_save_is_still_sent_on_a_page_load_and_recorded_once(
    page, person, saves
):
    assert ask(page, type="queue", run=a_run(person)) is True
    saves.clear()

    page.goto("/about/")

    expect(page.get_by_text(ARRIVED)).to_be_visible()
    assert saves.served.count("POST") == 1
    # The browser's network events see the worker's requests too.
    assert saves.seen.count("POST") == 1
    assert page.evaluate(QUEUED) == []
    page.goto("/")
    page.goto("/about/")
    page.wait_for_timeout(500)
    assert saves.served.count("POST") == 1
    session = CompletedSession.objects.get()
    assert session.client_token == a_run(person)["token"]
