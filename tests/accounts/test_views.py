import csv
import io
import os
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

import backcare_site.settings
from accounts.mail import wait_for_mail
from accounts.models import CompletedSession, StepResult
from accounts.views import CSV_HEADER, PENDING_KEY
from exercises.guide import SESSION_KEY
from exercises.models import StepOutcome
from tests.factories import (
    PASSWORD,
    CompletedSessionFactory,
    ContraindicationFactory,
    StepResultFactory,
)
from tests.helpers import html, text

User = get_user_model()

NEW_PASSWORD = "a much longer new passphrase 42"
TOO_SHORT = "This password is too short. It must contain at least 8 characters."
TOO_COMMON = "This password is too common."
WRONG_LOGIN = "Please enter a correct username and password."
SAVED_LATER = (
    "Create an account or log in, and your session will be saved to it right after."
)
SAVED_TO_ACCOUNT = "Your Beginner session was saved to your account."
FUTURE = "The date cannot be in the future."
SAVE_URL = "/progress/save/beginner/"


def session_links(response):
    return [
        int(pk)
        for pk in re.findall(r'href="/progress/sessions/(\d+)/"', html(response))
    ]


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body, newline="")))


def signup_data(username="newbie", password=NEW_PASSWORD, email=""):
    return {
        "username": username,
        "email": email,
        "password1": password,
        "password2": password,
        "health_data_consent": "on",
    }


def is_signed_in(client):
    return client.get("/progress/").status_code == 200


# Sign-up


def test_signup_page_asks_for_username_optional_email_and_password(client, db):
    response = client.get("/accounts/signup/")

    page = html(response)
    assert response.status_code == 200
    assert "Create your account" in page
    assert 'name="username"' in page
    assert "Email (optional)" in page
    assert 'name="password1"' in page
    assert 'name="password2"' in page


def test_signup_creates_the_account_and_signs_in(client, db):
    response = client.post("/accounts/signup/", signup_data())

    assert response.status_code == 302
    # The health screening comes next; it can be skipped for the dashboard.
    assert response.url == "/accounts/screening/"
    user = User.objects.get(username="newbie")
    assert user.email == ""
    assert user.weekly_target == 3
    assert user.check_password(NEW_PASSWORD)
    page = html(client.get(response.url))
    assert "Welcome, newbie. Your account is ready." in page
    assert "Signed in as </span>newbie" in page


def test_signup_keeps_an_email_when_given(client, db):
    client.post("/accounts/signup/", signup_data(email="newbie@example.com"))

    assert User.objects.get(username="newbie").email == "newbie@example.com"


@pytest.mark.parametrize(
    ("password", "message"),
    [("short1!", TOO_SHORT), ("password123", TOO_COMMON)],
    ids=["too-short", "too-common"],
)
def test_signup_with_a_weak_password_answers_400_with_the_reason(
    client, db, password, message
):
    response = client.post("/accounts/signup/", signup_data(password=password))

    assert response.status_code == 400
    assert message in html(response)
    assert 'name="username"' in html(response)
    assert not User.objects.filter(username="newbie").exists()
    assert not is_signed_in(client)


def test_signup_with_mismatched_passwords_answers_400(client, db):
    data = {**signup_data(), "password2": "something else entirely 99"}

    response = client.post("/accounts/signup/", data)

    assert response.status_code == 400
    assert escape("The two password fields didn’t match.") in html(response)
    assert not User.objects.exists()


@pytest.mark.parametrize("username", ["alex", "ALEX"])
def test_signup_with_a_taken_username_answers_400(client, user, username):
    response = client.post("/accounts/signup/", signup_data(username=username))

    assert response.status_code == 400
    assert "A user with that username already exists." in html(response)
    assert User.objects.filter(username__iexact="alex").count() == 1


def test_signup_while_signed_in_goes_to_the_dashboard(signed_in):
    response = signed_in.get("/accounts/signup/")

    assert response.status_code == 302
    assert response.url == "/progress/"


@pytest.mark.parametrize(
    "url", ["/accounts/signup/", "/progress/log/", "/accounts/profile/"]
)
def test_an_empty_post_answers_400_with_the_form(client, user, url):
    if url != "/accounts/signup/":
        client.force_login(user)

    response = client.post(url, {})

    assert response.status_code == 400
    assert "This field is required." in html(response)


# Log in, log out, navigation


def test_login_signs_in_and_goes_to_the_dashboard(client, user):
    response = client.post(
        "/accounts/login/", {"username": "alex", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == "/progress/"
    assert is_signed_in(client)


def test_login_with_a_wrong_password_answers_400(client, user):
    response = client.post("/accounts/login/", {"username": "alex", "password": "nope"})

    assert response.status_code == 400
    assert WRONG_LOGIN in html(response)
    assert not is_signed_in(client)


def test_the_navigation_shows_who_is_signed_in(signed_in):
    page = html(signed_in.get("/"))

    assert '<span class="visually-hidden">Signed in as </span>alex</a>' in page
    assert '<form method="post" action="/accounts/logout/"' in page
    assert ">Log out</button>" in page
    assert 'href="/accounts/login/"' not in page


def test_the_navigation_offers_login_and_signup_to_visitors(client, db):
    page = html(client.get("/about/"))

    assert 'href="/accounts/login/"' in page
    assert 'href="/accounts/signup/"' in page
    assert "Signed in as" not in page


def test_logout_by_post_signs_out(signed_in):
    response = signed_in.post("/accounts/logout/")

    assert response.status_code == 302
    assert response.url == "/"
    assert not is_signed_in(signed_in)


def test_logout_by_get_is_refused(signed_in):
    response = signed_in.get("/accounts/logout/")

    assert response.status_code == 405
    assert is_signed_in(signed_in)


def test_five_failed_logins_lock_the_account_for_a_while(client, user):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alex", "password": "wrong"})

    response = client.post(
        "/accounts/login/", {"username": "alex", "password": PASSWORD}
    )

    assert response.status_code == 429
    assert "Too many failed log-ins" in html(response)
    assert not is_signed_in(client)


def test_a_lockout_is_per_username(client, user, other_user):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alex", "password": "wrong"})

    response = client.post(
        "/accounts/login/", {"username": "sam", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert is_signed_in(client)


# Passwords


def test_password_change(signed_in, user):
    assert signed_in.get("/accounts/password_change/").status_code == 200

    response = signed_in.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert response.url == "/accounts/password_change/done/"
    assert "Your password was changed." in html(signed_in.get(response.url))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert is_signed_in(signed_in)


def test_password_change_with_a_wrong_old_password_changes_nothing(signed_in, user):
    response = signed_in.post(
        "/accounts/password_change/",
        {
            "old_password": "wrong",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in html(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.skipif(
    "DJANGO_EMAIL_HOST" in os.environ or "DJANGO_EMAIL_BACKEND" in os.environ,
    reason="the environment chooses another mail backend",
)
def test_password_reset_mails_go_to_the_console_by_default():
    # pytest-django swaps in the locmem backend; the setting itself is the console.
    assert (
        backcare_site.settings.EMAIL_BACKEND
        == "django.core.mail.backends.console.EmailBackend"
    )


def test_password_reset_sends_a_link_that_sets_a_new_password(client, user):
    response = client.post("/accounts/password_reset/", {"email": user.email})

    assert response.status_code == 302
    assert response.url == "/accounts/password_reset/done/"
    wait_for_mail()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Reset your BackCare password"
    assert "(alex)" in message.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)

    form = client.get(link, follow=True)
    assert "Choose a new password" in html(form)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert done.url == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_answers_the_same_for_an_unknown_email(client, user):
    known = client.post("/accounts/password_reset/", {"email": user.email})
    wait_for_mail()
    mail.outbox.clear()

    unknown = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    wait_for_mail()

    assert unknown.status_code == known.status_code == 302
    assert unknown.url == known.url == "/accounts/password_reset/done/"
    assert mail.outbox == []
    page = html(client.get(unknown.url))
    assert "If an account has that email address" in page


# Profile


def test_profile_shows_the_target_the_download_and_the_delete_form(signed_in):
    response = signed_in.get("/accounts/profile/")

    page = html(response)
    assert response.status_code == 200
    assert "Weekly target (sessions per week)" in page
    assert re.search(r'name="weekly_target" value="3"', page)
    assert (
        '<a class="btn btn-outline-primary" href="/progress/export.csv">Download my sessions (CSV)</a>'
        in page
    )
    assert 'action="/accounts/delete/"' in page
    assert "Delete my account" in page


def test_profile_changes_the_weekly_target(signed_in, user):
    response = signed_in.post("/accounts/profile/", {"weekly_target": "5"})

    assert response.status_code == 302
    assert response.url == "/accounts/profile/"
    user.refresh_from_db()
    assert user.weekly_target == 5
    assert "Your weekly target was saved." in html(signed_in.get(response.url))


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("0", "Ensure this value is greater than or equal to 1."),
        ("99", "Ensure this value is less than or equal to 14."),
        ("many", "Enter a whole number."),
    ],
)
def test_profile_refuses_a_target_outside_1_to_14(signed_in, user, target, message):
    response = signed_in.post("/accounts/profile/", {"weekly_target": target})

    assert response.status_code == 400
    assert message in html(response)
    user.refresh_from_db()
    assert user.weekly_target == 3


def test_deleting_the_account_with_a_wrong_password_deletes_nothing(signed_in, user):
    StepResultFactory(session__user=user)

    response = signed_in.post("/accounts/delete/", {"password": "not it"})

    assert response.status_code == 400
    assert "That password is not right." in html(response)
    assert User.objects.filter(pk=user.pk).exists()
    assert CompletedSession.objects.filter(user=user).count() == 1
    assert StepResult.objects.count() == 1
    assert is_signed_in(signed_in)


def test_deleting_the_account_removes_the_person_and_every_record(
    signed_in, user, other_user
):
    for _ in range(3):
        StepResultFactory(session__user=user)
    theirs = StepResultFactory(session__user=other_user)
    user.conditions.add(ContraindicationFactory())

    response = signed_in.post("/accounts/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"
    assert not User.objects.filter(pk=user.pk).exists()
    assert list(CompletedSession.objects.all()) == [theirs.session]
    assert list(StepResult.objects.all()) == [theirs]
    assert not User.conditions.through.objects.filter(user_id=user.pk).exists()
    assert "Your account and every record of it were deleted." in html(
        signed_in.get("/")
    )
    assert not is_signed_in(signed_in)
    again = signed_in.post(
        "/accounts/login/", {"username": "alex", "password": PASSWORD}
    )
    assert again.status_code == 400
    assert WRONG_LOGIN in html(again)


def test_deleting_the_account_by_get_is_refused(signed_in, user):
    assert signed_in.get("/accounts/delete/").status_code == 405
    assert User.objects.filter(pk=user.pk).exists()


# Saving a guided session


def test_finish_page_offers_the_log_form(signed_in, walk_beginner):
    page = html(walk_beginner(signed_in))

    assert f'action="{SAVE_URL}"' in page
    assert "Pain before (0–10)" in page
    assert "Pain after (0–10)" in page
    assert "Notes" in page
    assert "Save session" in page


def test_saving_a_guided_session_records_it_with_its_six_steps(
    signed_in, user, walk_beginner
):
    walk_beginner(signed_in)

    response = signed_in.post(
        SAVE_URL, {"pain_before": "5", "pain_after": "3", "notes": "Felt loose."}
    )

    session = CompletedSession.objects.get()
    assert response.status_code == 302
    assert response.url == f"/progress/sessions/{session.pk}/"
    assert session.user == user
    assert session.routine.slug == "beginner"
    assert session.routine_title == "Beginner"
    assert (session.pain_before, session.pain_after) == (5, 3)
    assert session.notes == "Felt loose."
    assert session.finished_at >= session.started_at
    assert list(session.steps.values_list("order", "exercise_name", "outcome")) == [
        (1, "Ankle pumps", StepOutcome.DONE),
        (2, "Heel slides", StepOutcome.DONE),
        (3, "Abdominal contraction", StepOutcome.SKIPPED),
        (4, "Wall squats", StepOutcome.DONE),
        (5, "Heel raises", StepOutcome.DONE),
        (6, "Straight-leg raises", StepOutcome.DONE),
    ]
    page = html(signed_in.get(response.url))
    assert "Session saved." in page
    assert "Pain 5 → 3" in text(page)


def test_a_step_never_answered_is_saved_as_skipped(signed_in, walk_beginner):
    walk_beginner(signed_in, actions=["done"] * 5)

    signed_in.post(SAVE_URL, {})

    outcomes = list(StepResult.objects.values_list("outcome", flat=True))
    assert outcomes == ["done"] * 5 + ["skipped"]


def test_posting_the_finish_form_twice_records_one_session(signed_in, walk_beginner):
    walk_beginner(signed_in)
    data = {"pain_before": "5", "pain_after": "3", "notes": "Once."}

    first = signed_in.post(SAVE_URL, data)
    second = signed_in.post(SAVE_URL, data)

    assert first.status_code == 302
    assert second.status_code == 302
    assert second.url == first.url
    assert CompletedSession.objects.count() == 1
    assert StepResult.objects.count() == 6
    assert "This session was already saved." in html(signed_in.get(second.url))


def test_a_replayed_finish_form_finds_the_first_save(signed_in, walk_beginner):
    # Two requests racing with the same guide state: the second one still
    # holds the finished run, and its token finds the first row.
    walk_beginner(signed_in)
    guide_state = signed_in.session[SESSION_KEY]
    data = {"pain_before": "5", "pain_after": "3"}
    first = signed_in.post(SAVE_URL, data)
    assert "Session saved." in html(signed_in.get(first.url))
    session = signed_in.session
    session[SESSION_KEY] = guide_state
    session.save()

    second = signed_in.post(SAVE_URL, data)

    assert second.status_code == 302
    assert second.url == first.url
    assert CompletedSession.objects.count() == 1
    assert StepResult.objects.count() == 6
    assert "Session saved." not in html(signed_in.get(second.url))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pain_before", "11", "Ensure this value is less than or equal to 10."),
        ("pain_after", "-1", "Ensure this value is greater than or equal to 0."),
        ("pain_before", "abc", "Enter a whole number."),
    ],
)
def test_saving_with_bad_pain_answers_400_with_the_form(
    signed_in, walk_beginner, field, value, message
):
    walk_beginner(signed_in)

    response = signed_in.post(SAVE_URL, {field: value, "notes": "kept"})

    page = html(response)
    assert response.status_code == 400
    assert message in page
    assert "Pain before (0–10)" in page
    assert f'action="{SAVE_URL}"' in page
    assert not CompletedSession.objects.exists()


def test_saving_without_a_finished_session_records_nothing(signed_in, catalogue):
    response = signed_in.post(SAVE_URL, {"pain_before": "5"}, follow=True)

    assert response.redirect_chain[-1][0] == "/routines/beginner/"
    page = html(response)
    assert (
        '<div class="alert alert-danger" role="alert">'
        "There is no finished session of this routine to save.</div>"
    ) in page
    assert not CompletedSession.objects.exists()


def test_saving_by_get_is_refused(signed_in, catalogue):
    assert signed_in.get(SAVE_URL).status_code == 405


def test_a_visitor_finish_is_offered_signup_or_login(client, walk_beginner):
    page = html(walk_beginner(client))

    assert "sign up or log in" in page
    assert "Save, then sign up or log in" in page


def test_a_visitor_saving_is_sent_to_signup_and_nothing_is_recorded_yet(
    client, walk_beginner
):
    walk_beginner(client)

    response = client.post(SAVE_URL, {"pain_before": "5", "pain_after": "3"})

    assert response.status_code == 302
    assert response.url == "/accounts/signup/"
    assert SAVED_LATER in html(client.get(response.url))
    assert not CompletedSession.objects.exists()


def test_a_visitor_finish_is_saved_to_the_account_made_right_after(
    client, walk_beginner
):
    walk_beginner(client)
    client.post(SAVE_URL, {"pain_before": "5", "pain_after": "3", "notes": "First!"})

    response = client.post("/accounts/signup/", signup_data(), follow=True)

    user = User.objects.get(username="newbie")
    session = CompletedSession.objects.get()
    assert session.user == user
    assert (session.pain_before, session.pain_after, session.notes) == (5, 3, "First!")
    assert session.steps.count() == 6
    assert session.steps.filter(outcome=StepOutcome.SKIPPED).count() == 1
    assert response.redirect_chain[-1][0] == "/accounts/screening/"
    assert SAVED_TO_ACCOUNT in html(response)
    assert PENDING_KEY not in client.session
    dashboard = html(client.get("/progress/"))
    assert "1 of 3" in dashboard
    assert "Beginner: 1" in dashboard


def test_a_saved_run_links_to_its_session_instead_of_offering_the_form(
    signed_in, walk_beginner
):
    walk_beginner(signed_in)
    saved = signed_in.post(SAVE_URL, {"pain_before": "5"})

    finish = html(signed_in.get("/routines/beginner/guide/finish/"))
    gate = html(signed_in.get("/routines/beginner/guide/"))

    assert "This session is saved to your account." in finish
    assert f'href="{saved.url}"' in finish
    assert f'action="{SAVE_URL}"' not in finish
    assert "Continue at step" not in gate
    assert "Start again from step 1" not in gate
    assert "Start again" in gate


def test_deleting_a_saved_run_offers_to_save_it_again(signed_in, walk_beginner):
    walk_beginner(signed_in)
    saved = signed_in.post(SAVE_URL, {"pain_before": "5"})
    signed_in.post(f"{saved.url}delete/")

    finish = html(signed_in.get("/routines/beginner/guide/finish/"))
    again = signed_in.post(SAVE_URL, {"pain_before": "4"})

    assert f'href="{saved.url}"' not in finish
    assert f'action="{SAVE_URL}"' in finish
    assert CompletedSession.objects.get().pain_before == 4
    assert "Session saved." in html(signed_in.get(again.url))


def test_a_visitor_run_saved_after_signup_links_to_its_session(client, walk_beginner):
    walk_beginner(client)
    client.post(SAVE_URL, {"pain_before": "5"})
    client.post("/accounts/signup/", signup_data())

    finish = html(client.get("/routines/beginner/guide/finish/"))

    session = CompletedSession.objects.get()
    assert f'href="{session.get_absolute_url()}"' in finish
    assert f'action="{SAVE_URL}"' not in finish


def test_a_visitor_finish_is_saved_to_the_account_logged_in_right_after(
    client, user, walk_beginner
):
    walk_beginner(client)
    client.post(SAVE_URL, {"pain_before": "4", "pain_after": "2"})

    response = client.post(
        "/accounts/login/", {"username": "alex", "password": PASSWORD}, follow=True
    )

    session = CompletedSession.objects.get()
    assert session.user == user
    assert (session.pain_before, session.pain_after) == (4, 2)
    assert session.steps.count() == 6
    assert response.redirect_chain[-1][0] == "/progress/"
    assert SAVED_TO_ACCOUNT in html(response)
    assert PENDING_KEY not in client.session


def test_a_failed_login_keeps_the_visitor_finish_waiting(client, user, walk_beginner):
    walk_beginner(client)
    client.post(SAVE_URL, {"pain_before": "4"})

    client.post("/accounts/login/", {"username": "alex", "password": "wrong"})
    assert not CompletedSession.objects.exists()
    client.post("/accounts/login/", {"username": "alex", "password": PASSWORD})

    assert CompletedSession.objects.get().user == user


def test_a_visitor_with_bad_pain_gets_the_form_and_nothing_waits(client, walk_beginner):
    walk_beginner(client)

    response = client.post(SAVE_URL, {"pain_before": "11"})

    assert response.status_code == 400
    assert PENDING_KEY not in client.session


# Logging by hand


def log_data(beginner, **overrides):
    return {
        "date": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "routine": beginner.pk,
        "minutes": "25",
        "pain_before": "6",
        "pain_after": "4",
        "notes": "By hand.",
        "client_token": "f" * 32,
        **overrides,
    }


def test_log_page_has_the_form_with_a_fresh_token(signed_in, beginner):
    first = html(signed_in.get("/progress/log/"))
    second = html(signed_in.get("/progress/log/"))

    for label in [
        "Date",
        "Routine",
        "Pain before (0–10)",
        "Pain after (0–10)",
        "Notes",
    ]:
        assert label in first
    token = re.search(r'name="client_token" value="([0-9a-f]{32})"', first).group(1)
    assert token not in second
    assert 'type="hidden" name="client_token"' in first


def test_logging_by_hand_records_the_session_on_that_date(signed_in, user, beginner):
    response = signed_in.post("/progress/log/", log_data(beginner))

    session = CompletedSession.objects.get()
    assert response.status_code == 302
    assert response.url == f"/progress/sessions/{session.pk}/"
    assert session.user == user
    assert session.routine == beginner
    assert timezone.localtime(session.started_at).date() == (
        timezone.localdate() - timedelta(days=2)
    )
    assert session.duration == timedelta(minutes=25)
    assert (session.pain_before, session.pain_after, session.notes) == (
        6,
        4,
        "By hand.",
    )
    assert "Session logged." in html(signed_in.get(response.url))


def test_logging_today_is_allowed(signed_in, beginner):
    today = timezone.localdate().isoformat()

    response = signed_in.post("/progress/log/", log_data(beginner, date=today))

    assert response.status_code == 302
    assert CompletedSession.objects.count() == 1


def test_logging_a_date_in_the_future_answers_400(signed_in, beginner):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = signed_in.post("/progress/log/", log_data(beginner, date=tomorrow))

    assert response.status_code == 400
    assert FUTURE in html(response)
    assert not CompletedSession.objects.exists()


def test_logging_twice_with_the_same_token_records_one_session(signed_in, beginner):
    first = signed_in.post("/progress/log/", log_data(beginner))
    second = signed_in.post("/progress/log/", log_data(beginner, notes="again"))

    assert second.status_code == 302
    assert second.url == first.url
    assert CompletedSession.objects.get().notes == "By hand."
    assert "This session was already logged." in html(signed_in.get(second.url))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pain_before": "11"}, "Ensure this value is less than or equal to 10."),
        ({"pain_after": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"pain_before": "abc"}, "Enter a whole number."),
        ({"routine": ""}, "This field is required."),
        ({"date": "1999-12-31"}, "Please enter a date from 2000 on."),
        ({"notes": "x" * 2001}, "Ensure this value has at most 2000 characters"),
    ],
)
def test_logging_bad_input_answers_400_with_a_message(
    signed_in, beginner, overrides, message
):
    response = signed_in.post("/progress/log/", log_data(beginner, **overrides))

    assert response.status_code == 400
    assert message in html(response)
    assert not CompletedSession.objects.exists()


# History


def test_history_of_a_new_person_points_to_the_first_routine(signed_in):
    page = html(signed_in.get("/progress/history/"))

    assert "No sessions logged yet." in page
    assert 'href="/routines/beginner/"' in page


def test_history_lists_20_newest_first_then_the_rest(signed_in, user, bulk_sessions):
    bulk_sessions(user, 25)
    newest_first = list(
        CompletedSession.objects.for_user(user)
        .newest_first()
        .values_list("pk", flat=True)
    )

    first = signed_in.get("/progress/history/")
    second = signed_in.get("/progress/history/?page=2")

    assert first.status_code == second.status_code == 200
    assert session_links(first) == newest_first[:20]
    assert session_links(second) == newest_first[20:]
    assert len(session_links(second)) == 5
    assert "Page 1 of 2" in html(first)
    assert 'href="?page=2" rel="next">Older' in html(first)
    assert "Page 2 of 2" in html(second)
    assert signed_in.get("/progress/history/?page=3").status_code == 404


def test_history_entries_show_pain_steps_and_notes(signed_in, user):
    session = CompletedSessionFactory(
        user=user, pain_before=5, pain_after=3, notes="Tight hips."
    )
    for order, outcome in enumerate(
        ["done", "done", "skipped", "skipped_for_safety"], start=1
    ):
        StepResultFactory(session=session, order=order, outcome=outcome)

    page = html(signed_in.get("/progress/history/"))

    assert f'href="/progress/sessions/{session.pk}/"' in page
    assert "Pain 5 → 3" in text(page)
    assert "20 min" in page
    # Screen readers say "Pain 5 to 3", not "right arrow".
    assert 'Pain 5 <span role="img" aria-label="to">→</span> 3' in page
    assert "2 done, 1 skipped" in page
    assert "1 skipped for safety" in page
    assert "Tight hips." in page
    assert "logged by hand" not in page


def test_a_session_logged_by_hand_says_so_in_history(signed_in, user):
    CompletedSessionFactory(user=user)

    page = html(signed_in.get("/progress/history/"))

    assert "logged by hand" in page
    assert "0 done" not in page


def test_history_shows_only_ones_own_sessions(signed_in, user, other_user):
    mine = CompletedSessionFactory(user=user)
    theirs = CompletedSessionFactory(user=other_user, notes="Not yours.")

    response = signed_in.get("/progress/history/")

    assert session_links(response) == [mine.pk]
    assert theirs.pk not in session_links(response)
    assert "Not yours." not in html(response)


# One session


@pytest.fixture
def session(user):
    session = CompletedSessionFactory(
        user=user, pain_before=5, pain_after=3, notes="Before."
    )
    StepResultFactory(session=session, order=1, exercise_name="Ankle pumps")
    StepResultFactory(
        session=session, order=2, exercise_name="Heel slides", outcome="skipped"
    )
    return session


def test_session_page_shows_steps_pain_and_the_edit_form(signed_in, session):
    response = signed_in.get(f"/progress/sessions/{session.pk}/")

    page = html(response)
    assert response.status_code == 200
    assert "Ankle pumps" in page
    assert "Heel slides" in page
    assert 'outcome-skipped">Skipped</span>' in page
    assert "Pain 5 → 3" in text(page)
    assert re.search(r'name="pain_before" value="5"', page)
    assert re.search(r'name="notes"[^>]*>\s*Before\.</textarea>', page)
    assert f'href="/progress/sessions/{session.pk}/delete/"' in page


def test_session_page_edits_notes_and_pain(signed_in, session):
    url = f"/progress/sessions/{session.pk}/"

    response = signed_in.post(
        url, {"pain_before": "4", "pain_after": "1", "notes": "After."}
    )

    assert response.status_code == 302
    assert response.url == url
    session.refresh_from_db()
    assert (session.pain_before, session.pain_after, session.notes) == (4, 1, "After.")
    assert "Your changes were saved." in html(signed_in.get(url))


def test_session_page_clears_pain_when_left_empty(signed_in, session):
    signed_in.post(
        f"/progress/sessions/{session.pk}/",
        {"pain_before": "", "pain_after": "", "notes": ""},
    )

    session.refresh_from_db()
    assert (session.pain_before, session.pain_after, session.notes) == (None, None, "")


@pytest.mark.parametrize("pain", ["11", "-1", "abc"])
def test_session_page_refuses_bad_pain(signed_in, session, pain):
    response = signed_in.post(
        f"/progress/sessions/{session.pk}/",
        {"pain_before": pain, "pain_after": "3", "notes": "Changed."},
    )

    assert response.status_code == 400
    assert 'class="invalid-feedback"' in html(response)
    session.refresh_from_db()
    assert (session.pain_before, session.notes) == (5, "Before.")


def test_a_refused_edit_shows_the_stored_pain(signed_in, session):
    response = signed_in.post(
        f"/progress/sessions/{session.pk}/",
        {"pain_before": "abc", "pain_after": "9", "notes": "Changed."},
    )

    lead = re.search(r'<p class="lead">(.*?)</p>', html(response), re.S).group(1)
    assert response.status_code == 400
    assert "Pain 5 → 3" in text(lead)


def test_deleting_a_session_asks_first(signed_in, session):
    response = signed_in.get(f"/progress/sessions/{session.pk}/delete/")

    page = html(response)
    assert response.status_code == 200
    assert "Delete this session?" in page
    assert '<form method="post"' in page
    assert "Delete the session" in page
    assert CompletedSession.objects.filter(pk=session.pk).exists()


def test_deleting_a_session_removes_it_and_its_steps(signed_in, session):
    response = signed_in.post(f"/progress/sessions/{session.pk}/delete/")

    assert response.status_code == 302
    assert response.url == "/progress/history/"
    assert not CompletedSession.objects.filter(pk=session.pk).exists()
    assert not StepResult.objects.exists()
    assert "The session was deleted." in html(signed_in.get(response.url))


# Escaping of what a person typed


def test_notes_are_escaped_in_history_and_on_the_session_page(signed_in, user):
    session = CompletedSessionFactory(user=user, notes="<script>alert(1)</script>")

    history = html(signed_in.get("/progress/history/"))
    detail = html(signed_in.get(f"/progress/sessions/{session.pk}/"))

    for page in (history, detail):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert(1)" not in page


# CSV export


def test_export_streams_ones_own_sessions_as_csv(signed_in, user, other_user):
    start = timezone.make_aware(timezone.datetime(2026, 3, 4, 9, 30))
    session = CompletedSessionFactory(
        user=user,
        routine_title="Beginner",
        started_at=start,
        finished_at=start + timedelta(minutes=12, seconds=30),
        pain_before=5,
        pain_after=None,
        notes="Mine, with a comma.",
    )
    for order, outcome in enumerate(["done", "done", "skipped"], start=1):
        StepResultFactory(session=session, order=order, outcome=outcome)
    CompletedSessionFactory(user=other_user, notes="Someone else's notes")

    response = signed_in.get("/progress/export.csv")

    assert response.status_code == 200
    assert response.streaming is True
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    filename = f"backcare-sessions-{timezone.localdate().isoformat()}.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    rows = csv_rows(response)
    assert rows[0] == CSV_HEADER
    assert rows[0] == [
        "date",
        "started",
        "started_at",
        "routine",
        "duration_minutes",
        "pain_before",
        "pain_after",
        "steps_done",
        "steps_skipped",
        "steps_skipped_for_safety",
        "notes",
    ]
    assert rows[1:] == [
        [
            "2026-03-04",
            "09:30",
            "2026-03-04T09:30:00+00:00",
            "Beginner",
            "12.5",
            "5",
            "",
            "2",
            "1",
            "0",
            "Mine, with a comma.",
        ]
    ]


def test_export_of_a_new_person_is_the_header_alone(signed_in):
    assert csv_rows(signed_in.get("/progress/export.csv")) == [CSV_HEADER]


def test_export_lists_newest_first(signed_in, user, bulk_sessions):
    bulk_sessions(user, 3)

    rows = csv_rows(signed_in.get("/progress/export.csv"))

    assert [row[-1] for row in rows[1:]] == ["bulk 0", "bulk 1", "bulk 2"]


@pytest.mark.parametrize("first", ["=", "+", "-", "@"])
def test_export_defuses_notes_a_spreadsheet_would_run(signed_in, user, first):
    CompletedSessionFactory(user=user, notes=f"{first}HYPERLINK(1)")

    rows = csv_rows(signed_in.get("/progress/export.csv"))

    assert rows[1][-1] == f"'{first}HYPERLINK(1)"


def test_export_keeps_markup_as_it_was_typed(signed_in, user):
    CompletedSessionFactory(user=user, notes="<script>alert(1)</script>")

    rows = csv_rows(signed_in.get("/progress/export.csv"))

    assert rows[1][-1] == "<script>alert(1)</script>"


def test_export_by_post_is_refused(signed_in):
    assert signed_in.post("/progress/export.csv").status_code == 405


# Who may see what


PERSON_URLS = [
    "/progress/",
    "/progress/history/",
    "/progress/log/",
    "/progress/sessions/{pk}/",
    "/progress/sessions/{pk}/delete/",
    "/progress/export.csv",
    "/accounts/profile/",
    "/accounts/delete/",
    "/accounts/password_change/",
    "/accounts/screening/",
    "/accounts/doctor-clearance/",
]


@pytest.mark.parametrize("url", PERSON_URLS)
def test_a_visitor_is_sent_to_log_in(client, session, url):
    url = url.format(pk=session.pk)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    "url",
    [
        "/progress/log/",
        "/progress/sessions/{pk}/",
        "/progress/sessions/{pk}/delete/",
        "/accounts/profile/",
        "/accounts/delete/",
    ],
)
def test_a_visitor_posting_is_sent_to_log_in_and_nothing_changes(client, session, url):
    url = url.format(pk=session.pk)

    response = client.post(url, {"notes": "Changed.", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    session.refresh_from_db()
    assert session.notes == "Before."
    assert User.objects.filter(pk=session.user_id).exists()


def test_another_persons_session_is_not_found(client, session, other_user):
    client.force_login(other_user)

    assert client.get(f"/progress/sessions/{session.pk}/").status_code == 404
    assert client.get(f"/progress/sessions/{session.pk}/delete/").status_code == 404


def test_another_person_cannot_edit_a_session(client, session, other_user):
    client.force_login(other_user)

    response = client.post(
        f"/progress/sessions/{session.pk}/",
        {"pain_before": "0", "pain_after": "0", "notes": "Hijacked."},
    )

    assert response.status_code == 404
    session.refresh_from_db()
    assert (session.pain_before, session.notes) == (5, "Before.")


def test_another_person_cannot_delete_a_session(client, session, other_user):
    client.force_login(other_user)

    response = client.post(f"/progress/sessions/{session.pk}/delete/")

    assert response.status_code == 404
    assert CompletedSession.objects.filter(pk=session.pk).exists()
    assert StepResult.objects.filter(session=session).count() == 2


def test_a_missing_session_is_not_found(signed_in):
    assert signed_in.get("/progress/sessions/999999/").status_code == 404


# Query budgets


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


def test_history_stays_within_8_queries(
    signed_in, user, bulk_sessions, django_assert_max_num_queries
):
    bulk_sessions(user, 25)

    with django_assert_max_num_queries(8):
        signed_in.get("/progress/history/")


def test_history_costs_the_same_with_1_and_2000_sessions(
    signed_in, user, bulk_sessions
):
    bulk_sessions(user, 1)
    with_one = count_queries(signed_in, "/progress/history/")
    CompletedSession.objects.all().delete()
    bulk_sessions(user, 2000)

    with_many = count_queries(signed_in, "/progress/history/")

    assert with_many == with_one
    assert with_many <= 8


def test_session_page_stays_within_8_queries(
    signed_in, session, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = signed_in.get(f"/progress/sessions/{session.pk}/")
    assert response.status_code == 200


def test_export_stays_within_8_queries_and_flat(signed_in, user, bulk_sessions):
    bulk_sessions(user, 1)
    with_one = count_queries(signed_in, "/progress/export.csv")
    CompletedSession.objects.all().delete()
    bulk_sessions(user, 2000)

    with_many = count_queries(signed_in, "/progress/export.csv")

    assert with_many == with_one
    assert with_many <= 8


def test_profile_stays_within_8_queries(signed_in, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = signed_in.get("/accounts/profile/")
    assert response.status_code == 200


def test_log_page_stays_within_8_queries(
    signed_in, beginner, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = signed_in.get("/progress/log/")
    assert response.status_code == 200


def raw_csv(client):
    return b"".join(client.get("/progress/export.csv").streaming_content)


def test_the_csv_opens_in_a_spreadsheet_in_any_language(signed_in, user):
    CompletedSessionFactory(user=user, notes="Rücken besser · 背中が楽 · ça va")

    body = raw_csv(signed_in)

    # A byte-order mark: Excel reads the file as UTF-8.
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    # Every cell quoted, the header too.
    assert lines[0].startswith('"date","started","started_at","routine"')
    assert all(line.startswith('"') and line.endswith('"') for line in lines)
    assert csv_rows(signed_in.get("/progress/export.csv"))[1][-1] == (
        "Rücken besser · 背中が楽 · ça va"
    )


@pytest.mark.parametrize(
    ("notes", "cell"),
    [
        ("ok;=1+1", "ok;'=1+1"),
        ("ok,+2", "ok,'+2"),
        ("a\t-3", "a\t'-3"),
        ("first line\n@SUM(A1)", "first line\n'@SUM(A1)"),
        ('ok; "=1+1"', 'ok; "\'=1+1"'),
        ("=1+1;=2", "'=1+1;'=2"),
        ("pain 3-4; better", "pain 3-4; better"),
    ],
)
def test_a_formula_a_separator_could_start_is_neutralised(signed_in, user, notes, cell):
    CompletedSessionFactory(user=user, notes=notes)

    assert csv_rows(signed_in.get("/progress/export.csv"))[1][-1] == cell
