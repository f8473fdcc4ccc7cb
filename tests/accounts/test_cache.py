"""
The dashboard, the history and a session's page from the cache
(accounts/cache.py, kept by exercises/cache.py): each person sees their own
pages only, and a change to anything a page shows, or a new day, shows at once.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import CompletedSession, ProgressTotal
from exercises import cache as catalogue_cache
from exercises.cache import CSRF_PLACEHOLDER
from tests.factories import UserFactory, red_flag
from tests.helpers import clock_at, count_queries, csrf_token, html, text

# A hit reads the browser session, the user, the version of their data
# (ProgressTotal) and the catalogue's version.
HIT_QUERIES = 4
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
SEE_A_DOCTOR = "See a doctor before you exercise"


def record(user, title, *, notes="", hours_ago=1):
    # The clock every page reads, so that clock_at moves the session too.
    started = timezone.now() - timedelta(hours=hours_ago)
    session, _ = services.session_record(
        user=user,
        routine=None,
        routine_title=title,
        started_at=started,
        finished_at=started + timedelta(minutes=12),
        client_token=f"{user.username}-{title}-{hours_ago}",
        pain_before=6,
        pain_after=2,
        notes=notes,
    )
    return session


def device(user, **options):
    client = Client(**options)
    client.force_login(user)
    return client


def without_tokens(body):
    return TOKEN.sub("", body)


def pages_of(session):
    return ["/progress/", "/progress/history/", session.get_absolute_url()]


def miss_then_hit(client, url):
    miss = count_queries(client, url)
    hit = count_queries(client, url)
    assert len(hit.queries) <= HIT_QUERIES, url
    assert len(hit.queries) < len(miss.queries), url
    assert not hit.response.templates, url  # kept: no template rendered
    return miss, hit


@pytest.fixture
def alex(db):
    user = UserFactory(username="alex")
    return user, record(user, "Alpha stretches", notes="Alex felt a stiff knee")


@pytest.fixture
def sam(db):
    user = UserFactory(username="sam")
    return user, record(user, "Bravo walks", notes="Sam walked by the river")


def test_two_people_each_see_only_their_own_pages_whether_kept_or_not(alex, sam):
    (alex, alexs), (sam, sams) = alex, sam
    clients = {"alex": device(alex), "sam": device(sam)}
    own = {
        "alex": ("Alpha stretches", "Alex felt"),
        "sam": ("Bravo walks", "Sam walked"),
    }
    pages = {"alex": pages_of(alexs), "sam": pages_of(sams)}
    seen = {}
    # Taking turns, so that each person's miss comes after the other's entry.
    for turn in ("miss", "hit"):
        for name in ("alex", "sam"):
            for url in pages[name]:
                counted = count_queries(clients[name], url)
                if turn == "hit":
                    assert len(counted.queries) <= HIT_QUERIES, (name, url)
                seen[name, url, turn] = counted.body

    for name, other in (("alex", "sam"), ("sam", "alex")):
        for url in pages[name]:
            miss, hit = seen[name, url, "miss"], seen[name, url, "hit"]
            assert without_tokens(hit) == without_tokens(miss), url
            assert f"Signed in as {name}" in text(hit)
            assert f"Signed in as {other}" not in text(hit)
            for mark in own[other]:
                assert mark not in hit, (name, url, mark)
        assert own[name][0] in seen[name, "/progress/", "hit"]
        assert own[name][1] in seen[name, "/progress/history/", "hit"]
    # Another's session's page is not theirs, kept or not.
    assert clients["sam"].get(alexs.get_absolute_url()).status_code == 404


def test_a_page_kept_by_the_code_before_a_deploy_is_not_served(alex, monkeypatch):
    alex, session = alex
    client = device(alex)
    monkeypatch.setattr(catalogue_cache, "CODE_VERSION", "before-the-deploy")
    for url in pages_of(session):
        miss_then_hit(client, url)

    monkeypatch.setattr(catalogue_cache, "CODE_VERSION", "after-the-deploy")
    for url in pages_of(session):
        miss_then_hit(client, url)


def test_a_kept_page_answers_with_the_headers_of_a_fresh_one(alex):
    alex, session = alex
    client = device(alex)
    for url in pages_of(session):
        miss, hit = miss_then_hit(client, url)
        assert dict(hit.response.headers) == dict(miss.response.headers), url


def test_a_kept_page_is_never_served_once_the_persons_version_changes(alex):
    alex, session = alex
    client = device(alex)
    for url in pages_of(session):
        miss_then_hit(client, url)

    # Past the services and the ORM's signals: the version alone tells.
    changed = ProgressTotal.objects.filter(pk=alex.pk).update(
        version=F("version") + 1, sessions=7
    )
    assert changed == 1

    for url in pages_of(session):
        again = count_queries(client, url)
        assert len(again.queries) > HIT_QUERIES, url
        assert again.response.templates, url  # rendered afresh
    assert "in 7 sessions." in text(html(client.get("/progress/")))
    # …and kept again under the new version.
    for url in pages_of(session):
        assert len(count_queries(client, url).queries) <= HIT_QUERIES, url


def test_an_edit_on_another_device_shows_at_once(alex):
    alex, session = alex
    phone, laptop = device(alex), device(alex)
    for url in pages_of(session):
        miss_then_hit(phone, url)

    response = laptop.post(
        session.get_absolute_url(),
        {"pain_before": 6, "pain_after": 1, "notes": "Edited on the laptop"},
    )
    assert response.status_code == 302

    for url in ("/progress/history/", session.get_absolute_url()):
        assert "Edited on the laptop" in html(phone.get(url)), url


def test_a_deleted_session_leaves_every_page_at_once(alex):
    alex, session = alex
    other = record(alex, "Charlie bends", hours_ago=30)
    client = device(alex)
    for url in pages_of(session):
        miss_then_hit(client, url)

    services.session_delete(session=session)

    assert "Alpha stretches" not in html(client.get("/progress/"))
    assert "Alpha stretches" not in html(client.get("/progress/history/"))
    assert "Charlie bends" in html(client.get("/progress/history/"))
    assert client.get(session.get_absolute_url()).status_code == 404
    assert client.get(other.get_absolute_url()).status_code == 200


def test_a_new_session_shows_at_once(alex):
    alex, _ = alex
    client = device(alex)
    for url in ("/progress/", "/progress/history/"):
        miss_then_hit(client, url)

    record(alex, "Delta twists", hours_ago=2)

    dashboard = text(html(client.get("/progress/")))
    assert "Delta twists: 1" in dashboard
    assert "2 of 3" in dashboard
    assert "Delta twists" in html(client.get("/progress/history/"))


def test_a_time_zone_change_shows_at_once(alex):
    alex, session = alex
    client = device(alex)
    for url in pages_of(session):
        miss_then_hit(client, url)
    alex.refresh_from_db()

    services.user_time_zone_update(user=alex, time_zone="Pacific/Kiritimati")

    assert "Pacific/Kiritimati" in html(client.get("/progress/history/"))
    started = session.started_at.astimezone(alex.zone)
    assert f"{started:%H:%M}" in html(client.get(session.get_absolute_url()))


def test_a_time_zone_changed_elsewhere_shows_at_once(alex):
    alex, _ = alex
    client = device(alex)
    miss_then_hit(client, "/progress/history/")

    alex.time_zone = "Asia/Tokyo"
    alex.save(update_fields=["time_zone"])

    assert "Asia/Tokyo" in html(client.get("/progress/history/"))


def test_figures_counted_anew_show_at_once(alex):
    alex, session = alex
    client = device(alex)
    miss_then_hit(client, "/progress/")
    # Written past the services, then counted anew as the rebuild command does.
    CompletedSession.objects.create(
        user=alex,
        routine_title="Echo lifts",
        started_at=session.started_at - timedelta(hours=3),
        finished_at=session.started_at - timedelta(hours=2),
        client_token="written-past-the-services",
    )
    services.totals_rebuild(user=alex)

    assert "Echo lifts: 1" in text(html(client.get("/progress/")))


def test_a_weekly_target_change_shows_at_once(alex, practice):
    alex, _ = alex
    client, laptop = device(alex), device(alex)
    miss_then_hit(client, "/progress/")
    assert "1 of 3" in text(html(client.get("/progress/")))

    # The plan sets the weekly target: its number of days.
    plan = {"days": ["0", "1", "2", "3", "4"], "time": "18:00", "level": "practice"}
    response = laptop.post("/progress/plan/", plan)
    assert response.status_code == 302

    assert "1 of 5" in text(html(client.get("/progress/")))


def test_a_screening_change_shows_on_the_dashboard_at_once(alex):
    alex, _ = alex
    client = device(alex)
    miss_then_hit(client, "/progress/")
    assert SEE_A_DOCTOR not in text(html(client.get("/progress/")))

    services.screening_update(user=alex, conditions=[red_flag()])

    assert SEE_A_DOCTOR in text(html(client.get("/progress/")))


def test_a_new_username_shows_at_once(alex):
    alex, session = alex
    client = device(alex)
    for url in pages_of(session):
        miss_then_hit(client, url)

    alex.username = "alexandra"
    alex.save(update_fields=["username"])

    for url in pages_of(session):
        assert "Signed in as alexandra" in text(html(client.get(url))), url


def test_a_new_day_shows_at_once(db):
    person = UserFactory(time_zone="UTC")
    wednesday = datetime(2026, 11, 25, 12, tzinfo=UTC)
    with clock_at(wednesday):
        record(person, "Alpha stretches")
        client = device(person)
        miss_then_hit(client, "/progress/")
        assert "1 of 3" in text(html(client.get("/progress/")))
    # The next Monday: a new week, with no session yet.
    with clock_at(wednesday + timedelta(days=5)):
        assert "0 of 3" in text(html(client.get("/progress/")))


def test_each_history_page_is_kept_apart(db):
    person = UserFactory()
    for hour in range(25):
        record(person, f"Routine {hour:02}", hours_ago=hour + 1)
    client = device(person)

    first, first_kept = miss_then_hit(client, "/progress/history/")
    second, second_kept = miss_then_hit(client, "/progress/history/?page=2")

    assert "Routine 00" in first.body and "Routine 24" not in first.body
    assert "Routine 24" in second.body and "Routine 00" not in second.body
    assert without_tokens(first_kept.body) == without_tokens(first.body)
    assert without_tokens(second_kept.body) == without_tokens(second.body)
    # A parameter the page does not read is not kept: each is rendered afresh.
    invented = count_queries(client, "/progress/history/?page=2&x=1")
    again = count_queries(client, "/progress/history/?page=2&x=1")
    # Rendered from its template both times (a kept page renders none).
    assert invented.response.templates and again.response.templates
    assert without_tokens(again.body) == without_tokens(second.body)


def test_a_waiting_message_is_shown_and_not_kept(alex):
    alex, _ = alex
    client = device(alex)
    miss_then_hit(client, "/progress/")

    # A refused clearance says why on the page it goes back to.
    response = client.post("/accounts/doctor-clearance/", {"next": "/progress/"})
    assert response.url == "/progress/"
    shown = count_queries(client, "/progress/")
    after = count_queries(client, "/progress/")

    assert 'role="alert"' in shown.body
    assert len(shown.queries) > HIT_QUERIES
    assert 'role="alert"' not in after.body
    assert len(after.queries) <= HIT_QUERIES


def test_a_kept_page_carries_each_browsers_own_csrf_token(alex):
    alex, session = alex
    url = session.get_absolute_url()
    phone = device(alex, enforce_csrf_checks=True)
    laptop = device(alex, enforce_csrf_checks=True)
    fresh = count_queries(phone, url)
    kept = count_queries(laptop, url)
    assert len(kept.queries) <= HIT_QUERIES < len(fresh.queries)
    for page in (fresh.body, kept.body):
        assert CSRF_PLACEHOLDER not in page
        # The log-out form, the language switch and the edit form.
        assert len(TOKEN.findall(page)) == 3

    # One browser's token is refused from another.
    edit = {"pain_before": 6, "pain_after": 2, "notes": "From the laptop"}
    refused = laptop.post(url, {**edit, "csrfmiddlewaretoken": csrf_token(fresh.body)})
    assert refused.status_code == 403
    # Each browser's own is taken: the edit form from the kept page…
    saved = laptop.post(url, {**edit, "csrfmiddlewaretoken": csrf_token(kept.body)})
    assert saved.status_code == 302
    assert CompletedSession.objects.get(pk=session.pk).notes == "From the laptop"
    # …and the log-out form from the page rendered for the phone.
    logged_out = phone.post(
        "/accounts/logout/", {"csrfmiddlewaretoken": csrf_token(fresh.body)}
    )
    assert logged_out.status_code == 302
    assert phone.get("/progress/").status_code == 302


def test_a_session_page_showing_a_message_is_rendered_for_it_and_not_kept(alex):
    alex, session = alex
    url = session.get_absolute_url()
    client = device(alex)
    miss_then_hit(client, url)
    edit = {"pain_before": 6, "pain_after": 2, "notes": ""}
    assert client.post(url, edit).status_code == 302

    shown = text(html(client.get(url)))
    # The edit made a new version: the page is kept again from its next view.
    after, kept = miss_then_hit(client, url)

    assert "Your changes were saved." in shown
    assert "Your changes were saved." not in text(after.body)
    assert "Your changes were saved." not in text(kept.body)
