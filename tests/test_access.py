"""
Who may open what (DESIGN.md §8), driven by one table over the URLconf.

Every URL of the site has a row: open to everyone, or to a signed-in person
(a visitor is sent to log in, coming back to the same URL), or to the owner
of the record it names (anyone else gets 404 and the record stays as it was).
The admin is for staff. Views that change state refuse GET, and every form
needs its CSRF token. A page answers HEAD as its GET does.
"""

import re
from collections import namedtuple
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import CompletedSession
from exercises.models import Contraindication, Routine
from tests.factories import (
    PASSWORD,
    CompletedSessionFactory,
    UserFactory,
)
from tests.helpers import (
    html,
    is_signed_in,
    signed_in_client,
    url_patterns,
    wait_for_mail,
)

User = get_user_model()

LOGIN = "/accounts/login/"
RESET = "/accounts/password_reset/"
NEW_PASSWORD = "a much longer new passphrase 42"
GATE = "/routines/practice/guide/"
SAVE = "/progress/save/practice/"

EVERYONE, SIGNED_IN, OWNER = "everyone", "signed in", "owner"
# who may open it; what its GET answers to them; whether it takes a form's POST
Route = namedtuple("Route", "who get form")
ACCESS = {
    "exercises:home": Route(EVERYONE, 200, False),
    "exercises:about": Route(EVERYONE, 200, False),
    "exercises:routine": Route(EVERYONE, 200, False),
    "exercises:exercise": Route(EVERYONE, 200, False),
    "exercises:guide_start": Route(EVERYONE, 200, True),
    # Before the safety check is acknowledged: back to it.
    "exercises:guide_step": Route(EVERYONE, 302, True),
    "exercises:guide_finish": Route(EVERYONE, 302, False),
    # The offline guide's plan, and its addresses (the service worker answers
    # them; without it, back to the guide online).
    "exercises:routine_plan": Route(EVERYONE, 200, False),
    "exercises:guide_offline": Route(EVERYONE, 302, False),
    "exercises:guide_offline_step": Route(EVERYONE, 302, False),
    "exercises:guide_offline_finish": Route(EVERYONE, 302, False),
    "accounts:privacy": Route(EVERYONE, 200, False),
    "accounts:signup": Route(EVERYONE, 200, True),
    # Saving a guided session works signed out too: it waits for sign-up or log-in.
    "accounts:guided_save": Route(EVERYONE, 405, True),
    # A run saved offline: GET gives anyone a CSRF token; the JSON POST answers
    # a visitor 401 (tests/accounts/views/test_offline_save.py tries it).
    "accounts:offline_save": Route(EVERYONE, 200, False),
    "login": Route(EVERYONE, 200, True),
    "logout": Route(EVERYONE, 405, True),
    "password_reset": Route(EVERYONE, 200, True),
    "password_reset_done": Route(EVERYONE, 200, False),
    # A link that is not valid says so; a valid one sets a new password.
    "password_reset_confirm": Route(EVERYONE, 200, True),
    "password_reset_complete": Route(EVERYONE, 200, False),
    "healthz": Route(EVERYONE, 200, False),
    "livez": Route(EVERYONE, 200, False),
    "manifest": Route(EVERYONE, 200, False),
    "service_worker": Route(EVERYONE, 200, False),
    "favicon": Route(EVERYONE, 200, False),
    "offline": Route(EVERYONE, 200, False),
    "javascript-catalog": Route(EVERYONE, 200, False),
    # The language switch: a visitor's needs no token (its docstring says
    # why; tests/test_languages.py); a signed-in person's writes the profile.
    "set_language": Route(EVERYONE, 405, True),
    "accounts:dashboard": Route(SIGNED_IN, 200, False),
    "accounts:history": Route(SIGNED_IN, 200, False),
    "accounts:log": Route(SIGNED_IN, 200, True),
    "accounts:export": Route(SIGNED_IN, 200, False),
    "accounts:export_json": Route(SIGNED_IN, 200, False),
    "accounts:profile": Route(SIGNED_IN, 200, True),
    "accounts:screening": Route(SIGNED_IN, 200, True),
    "accounts:doctor_clearance": Route(SIGNED_IN, 405, True),
    "accounts:plan": Route(SIGNED_IN, 200, True),
    "accounts:level": Route(SIGNED_IN, 405, True),
    "accounts:delete": Route(SIGNED_IN, 405, True),
    "password_change": Route(SIGNED_IN, 200, True),
    "password_change_done": Route(SIGNED_IN, 200, False),
    "accounts:session": Route(OWNER, 200, True),
    "accounts:session_delete": Route(OWNER, 200, True),
}
# A form post to try on each URL that names a person's record.
OWNER_POSTS = {
    "accounts:session": {"pain_before": "0", "pain_after": "0", "notes": "Mine now."},
    "accounts:session_delete": {},
}


def takes_an_object(names):
    return any(re.fullmatch(r"pk|id|\w+_(pk|id)", name) for name in names)


def names(*who):
    return sorted(name for name, route in ACCESS.items() if route.who in who)


def url_of(name, session):
    """The URL of ``name``, filled with the practice routine and ``session``."""
    fill = {"pk": session.pk, "slug": "practice", "number": 1, "uidb64": "x"}
    fill |= {"token": "x"}
    if name == "exercises:exercise":
        fill["slug"] = "knee-rocks"
    args = next(kwargs for _, found, kwargs in url_patterns() if found == name)
    return reverse(name, kwargs={key: fill[key] for key in args})


def assert_login_redirect(response, path):
    assert response.status_code == 302, (path, response.status_code)
    target = urlsplit(response.url)
    assert target.path == LOGIN, (path, response.url)
    assert parse_qs(target.query)["next"] == [path], (path, response.url)


def row(session):
    return CompletedSession.objects.filter(pk=session.pk).values().get()


# The table


def test_the_access_table_names_every_url_of_the_site():
    found = {name for _, name, _ in url_patterns()}

    # A new URL must get a row here, and so be tested.
    assert sorted(found ^ set(ACCESS)) == []


def test_every_url_that_names_a_persons_record_is_open_to_its_owner_only():
    found = {name for _, name, kwargs in url_patterns() if takes_an_object(kwargs)}

    assert found == set(names(OWNER)) == set(OWNER_POSTS)


def test_the_personal_urls_are_the_progress_and_account_pages():
    personal = {
        name
        for route, name, _ in url_patterns()
        if re.fullmatch(
            r"progress/.*|accounts/(profile|delete|screening|doctor-clearance|"
            r"password_change)/.*",
            route,
        )
    }

    open_to_all = {"accounts:guided_save", "accounts:offline_save"}
    assert personal - open_to_all == set(names(SIGNED_IN, OWNER))
    assert len(personal) >= 12


# Everyone


@pytest.mark.parametrize("name", names(EVERYONE))
def test_a_visitor_opens_every_public_url(name, client, practice, user):
    url = url_of(name, CompletedSessionFactory(user=user))

    response = client.get(url)

    assert response.status_code == ACCESS[name].get, (url, response.status_code)
    if ACCESS[name].get == 405:
        assert "POST" in response["Allow"], url


# Signed in


@pytest.mark.parametrize("name", names(SIGNED_IN, OWNER))
def test_a_personal_url_sends_a_visitor_to_log_in_and_changes_nothing(
    name, client, practice, user
):
    session = CompletedSessionFactory(user=user)
    before = row(session)
    url = url_of(name, session)

    assert_login_redirect(client.get(url), url)
    assert_login_redirect(client.post(url, OWNER_POSTS.get(name, {})), url)
    assert row(session) == before
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.parametrize("name", names(SIGNED_IN, OWNER))
def test_a_signed_in_person_opens_every_personal_url(name, signed_in, practice, user):
    url = url_of(name, CompletedSessionFactory(user=user))

    response = signed_in.get(url)

    assert response.status_code == ACCESS[name].get, (url, response.status_code)


def readable(*who):
    """The URLs open to ``who`` whose GET answers 200 and that take no form
    (nor the offline save's JSON, which its GET only prepares)."""
    return [
        name
        for name in names(*who)
        if ACCESS[name].get == 200
        and not ACCESS[name].form
        and name != "accounts:offline_save"
    ]


@pytest.mark.parametrize(
    "name, who",
    [(name, EVERYONE) for name in readable(EVERYONE)]
    + [(name, SIGNED_IN) for name in readable(SIGNED_IN, OWNER)],
)
def test_head_answers_as_get_does(name, who, client, practice, user):
    url = url_of(name, CompletedSessionFactory(user=user))
    if who != EVERYONE:
        client.force_login(user)
    client.get(url)  # a kept page's first GET keeps it: HEAD gets the same

    got, head = client.get(url), client.head(url)

    assert head.status_code == got.status_code == 200, (url, head.status_code)
    assert head["Content-Type"] == got["Content-Type"], url
    assert head.get("Content-Length") == got.get("Content-Length"), url


# The owner


@pytest.mark.parametrize("name", names(OWNER))
def test_another_persons_record_answers_404_and_stays_as_it_was(name, user, other_user):
    session = CompletedSessionFactory(user=user, notes="Alex's own note.")
    before = row(session)
    url = reverse(name, kwargs={"pk": session.pk})
    owner, stranger = signed_in_client(user), signed_in_client(other_user)

    assert stranger.get(url).status_code == 404
    assert stranger.post(url, OWNER_POSTS[name]).status_code == 404
    assert row(session) == before
    # The owner does reach it: the 404 above is not everybody's.
    assert owner.get(url).status_code == 200


def test_a_persons_lists_and_export_show_nobody_elses_sessions(user, other_user):
    CompletedSessionFactory(user=user, notes="Alex's own note.")
    stranger = signed_in_client(other_user)

    for url in ["/progress/", "/progress/history/"]:
        assert "Alex&#x27;s own note." not in html(stranger.get(url))
    export = stranger.get("/progress/export.csv")
    assert export.status_code == 200
    assert "Alex's own note." not in html(export)


# Staff


@pytest.fixture
def superuser_client(db):
    return signed_in_client(UserFactory(is_staff=True, is_superuser=True))


def test_only_staff_open_the_admin(user, content_editor):
    for someone in (Client(), signed_in_client(user)):
        response = someone.get("/admin/")
        assert response.status_code == 302
        assert response.url == "/admin/login/?next=/admin/"

    assert signed_in_client(content_editor).get("/admin/").status_code == 200


def test_admin_view_on_site_does_not_tell_whether_a_persons_record_exists(
    superuser_client,
):
    session = CompletedSessionFactory()
    kind = ContentType.objects.get_for_model(CompletedSession).pk

    existing = superuser_client.get(f"/admin/r/{kind}/{session.pk}/")
    missing = superuser_client.get(f"/admin/r/{kind}/{session.pk + 1000}/")

    assert existing.status_code == missing.status_code == 404


def test_admin_view_on_site_still_opens_a_catalogue_page(superuser_client, practice):
    kind = ContentType.objects.get_for_model(Routine).pk
    url = f"/admin/r/{kind}/{practice.pk}/"

    response = superuser_client.get(url)

    assert response.status_code == 302
    assert response["Location"].endswith("/routines/practice/")
    assert Client().get(url).status_code == 302
    assert "/admin/login/" in Client().get(url).url


# State-changing views refuse GET


def test_guided_save_signed_out_saves_nothing_without_a_finished_session(
    client, practice
):
    assert client.get(SAVE).status_code == 405

    response = client.post(SAVE, {"pain_after": "2"})

    assert response.status_code == 302
    assert response.url == "/routines/practice/"
    assert not CompletedSession.objects.exists()


@pytest.mark.parametrize(
    "name", sorted(name for name, route in ACCESS.items() if route.get == 405)
)
def test_a_post_only_url_refuses_get_and_changes_nothing(name, user, practice):
    client = signed_in_client(user)
    client.post(GATE, {"acknowledged": "on"})
    url = url_of(name, CompletedSessionFactory(user=user))

    response = client.get(url)

    assert response.status_code == 405, url
    assert "POST" in response["Allow"], url
    user.refresh_from_db()
    assert user.doctor_cleared_on is None
    assert CompletedSession.objects.count() == 1
    assert is_signed_in(client)


# Every form requires the CSRF token


def token(client):
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def signup_case(client, user):
    client.get("/accounts/signup/")
    data = {
        "username": "newbie",
        "email": "",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "health_data_consent": "on",
    }
    return "/accounts/signup/", data, User.objects.filter(username="newbie").exists


def login_case(client, user):
    client.get(LOGIN)
    return (
        LOGIN,
        {"username": "alex", "password": PASSWORD},
        lambda: is_signed_in(client),
    )


def log_case(client, user):
    client.force_login(user)
    client.get("/progress/log/")
    data = {
        "date": timezone.localdate().isoformat(),
        "routine": Routine.objects.get(slug="practice").pk,
        "minutes": "20",
        "pain_before": "5",
        "pain_after": "3",
        "notes": "",
        "client_token": "csrf-test",
    }
    return "/progress/log/", data, CompletedSession.objects.exists


def session_case(client, user):
    client.force_login(user)
    session = CompletedSessionFactory(user=user, notes="")
    client.get(session.get_absolute_url())
    data = {"pain_before": "1", "pain_after": "0", "notes": "Edited."}

    def changed():
        return row(session)["notes"] == "Edited."

    return session.get_absolute_url(), data, changed


def session_delete_case(client, user):
    client.force_login(user)
    session = CompletedSessionFactory(user=user)
    url = f"{session.get_absolute_url()}delete/"
    client.get(url)
    return url, {}, lambda: not CompletedSession.objects.filter(pk=session.pk).exists()


def profile_case(client, user):
    client.force_login(user)
    client.get("/accounts/profile/")

    def changed():
        return User.objects.get(pk=user.pk).time_zone == "Asia/Tokyo"

    return "/accounts/profile/", {"time_zone": "Asia/Tokyo"}, changed


def screening_case(client, user):
    client.force_login(user)
    client.get("/accounts/screening/")
    data = {f"condition_{c.pk}": "no" for c in Contraindication.objects.screened()}
    assert data

    def changed():
        return User.objects.get(pk=user.pk).screening_answered_at is not None

    return "/accounts/screening/", data, changed


def delete_case(client, user):
    client.force_login(user)
    client.get("/accounts/profile/")
    return (
        "/accounts/delete/",
        {"password": PASSWORD},
        lambda: not User.objects.filter(pk=user.pk).exists(),
    )


def step_one_opens(client):
    """The safety check was acknowledged: step 1 opens instead of sending back."""
    return client.get(f"{GATE}1/").status_code == 200


def guide_start_case(client, user):
    client.get(GATE)
    return GATE, {"acknowledged": "on"}, lambda: step_one_opens(client)


def guide_step_case(client, user):
    client.get(GATE)
    data = {"acknowledged": "on", "csrfmiddlewaretoken": token(client)}
    assert client.post(GATE, data).status_code == 302

    def changed():
        return "outcome-done" in html(client.get(f"{GATE}finish/"))

    return f"{GATE}1/", {"action": "done"}, changed


def guided_save_case(client, user):
    client.force_login(user)
    client.get(GATE)
    client.post(GATE, {"acknowledged": "on", "csrfmiddlewaretoken": token(client)})
    for number in range(1, 5):
        response = client.post(
            f"{GATE}{number}/",
            {"action": "done", "csrfmiddlewaretoken": token(client)},
        )
        assert response.status_code == 302
    client.get(f"{GATE}finish/")
    data = {"pain_before": "4", "pain_after": "2", "notes": ""}
    return SAVE, data, CompletedSession.objects.exists


def doctor_clearance_case(client, user):
    client.force_login(user)
    client.get("/accounts/profile/")

    def changed():
        return User.objects.get(pk=user.pk).doctor_cleared_on is not None

    return "/accounts/doctor-clearance/", {"cleared": "on"}, changed


def plan_case(client, user):
    client.force_login(user)
    client.get("/progress/plan/")

    def changed():
        return User.objects.get(pk=user.pk).plan_days == "6"

    return (
        "/progress/plan/",
        {"days": ["6"], "time": "08:00", "level": "practice"},
        changed,
    )


def level_case(client, user):
    client.force_login(user)
    client.get("/progress/")

    def changed():
        return User.objects.get(pk=user.pk).level_declined_at is not None

    return "/progress/plan/level/", {"answer": "decline"}, changed


def logout_case(client, user):
    client.force_login(user)
    client.get("/progress/")
    return "/accounts/logout/", {}, lambda: not is_signed_in(client)


def password_reset_case(client, user):
    client.get(RESET)

    def changed():
        wait_for_mail()
        return len(mail.outbox) == 1

    return RESET, {"email": user.email}, changed


def password_change_case(client, user):
    client.force_login(user)
    client.get("/accounts/password_change/")
    data = {
        "old_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }

    def changed():
        return User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)

    return "/accounts/password_change/", data, changed


def set_language_case(client, user):
    client.force_login(user)
    client.get("/accounts/profile/")

    def changed():
        return User.objects.get(pk=user.pk).language == "zh-hans"

    return "/i18n/setlang/", {"language": "zh-hans", "next": "/"}, changed


CSRF_CASES = {
    "set_language": set_language_case,
    "accounts:signup": signup_case,
    "login": login_case,
    "accounts:log": log_case,
    "accounts:session": session_case,
    "accounts:session_delete": session_delete_case,
    "accounts:profile": profile_case,
    "accounts:screening": screening_case,
    "accounts:delete": delete_case,
    "exercises:guide_start": guide_start_case,
    "exercises:guide_step": guide_step_case,
    "accounts:guided_save": guided_save_case,
    "accounts:doctor_clearance": doctor_clearance_case,
    "accounts:plan": plan_case,
    "accounts:level": level_case,
    "logout": logout_case,
    "password_reset": password_reset_case,
    "password_change": password_change_case,
}
# Django's own view, reached only through a link mailed with a one-time token.
CSRF_NOT_TRIED = {"password_reset_confirm"}


def test_every_form_of_the_table_has_a_csrf_case():
    forms = {name for name, route in ACCESS.items() if route.form}

    assert forms - CSRF_NOT_TRIED == set(CSRF_CASES)


@pytest.mark.parametrize("name", sorted(CSRF_CASES))
def test_every_form_requires_the_csrf_token(name, practice, user):
    client = Client(enforce_csrf_checks=True)
    url, data, changed = CSRF_CASES[name](client, user)

    refused = client.post(url, data)

    assert refused.status_code == 403
    assert "CSRF" in html(refused)
    assert not changed()

    # The same post with the token goes through: the token was all it lacked.
    accepted = client.post(url, {**data, "csrfmiddlewaretoken": token(client)})
    assert accepted.status_code == 302, html(accepted)
    assert changed()
