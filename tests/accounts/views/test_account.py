"""
The account pages: sign-up, log-in, passwords, the profile (target, time zone,
downloads), the health screening, the doctor's clearance, deleting the
account, and the privacy page.
"""

import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.utils import dateformat, timezone
from django.utils.html import escape

from accounts import services
from accounts.models import BrowserSession, CompletedSession, StepResult
from exercises.models import Contraindication, Severity, StepOutcome
from tests.accounts.traces import EMAIL, PERSON, log_in, traces
from tests.factories import (
    PASSWORD,
    CompletedSessionFactory,
    ContraindicationFactory,
    StepResultFactory,
    UserFactory,
    red_flag,
    urgent_flag,
)
from tests.helpers import (
    admin_fields,
    assert_described,
    assert_in_order,
    assert_summary,
    edit_warning,
    html,
    page_showing,
    text,
    text_of,
    wait_for_mail,
)

User = get_user_model()

GUIDE = "/routines/practice/guide/"
NEW_PASSWORD = "a much longer new passphrase 42"
TOO_SHORT = "This password is too short. It must contain at least 8 characters."
TOO_COMMON = "This password is too common."
WRONG_LOGIN = "Please enter a correct username and password."
CONSENT_LABEL = (
    "I agree that BackCare keeps my health information (my screening answers "
    "and pain ratings) to show it back to me."
)
CONSENT_REFUSED = (
    "Please tick the box to agree that BackCare keeps your health information."
)
PRIVACY_LINK = 'href="/privacy/"'
AVOID_QUESTION = "Do you have pain running down one leg?"
CONSULT_QUESTION = "Did you have back surgery this year?"
WHY_ASKED = (
    "These questions let BackCare point out exercises that are not right for you"
)
CHANGE_ANY_TIME = "you can change them at any time"
ANSWER_YES_OR_NO = "Please answer yes or no."
TICK_THE_BOX = "Please tick the box to confirm."
REFUSED = "Please confirm your doctor's clearance on the safety check"


def signup_data(username="newbie", password=NEW_PASSWORD, **extra):
    return {
        "username": username,
        "email": "",
        "password1": password,
        "password2": password,
        "health_data_consent": "on",
        **extra,
    }


def is_signed_in(client):
    return client.get("/progress/").status_code == 200


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def long_date(day):
    return dateformat.format(day, "j F Y")


def footer(response):
    return re.search(r"<footer\b.*?</footer>", html(response), re.DOTALL).group()


# Sign-up


def test_signup_page_asks_for_username_optional_email_and_password(client, db):
    response = client.get("/accounts/signup/")

    page = page_showing(response, ["Create your account", "Email (optional)"])
    for field in ["username", "password1", "password2"]:
        assert f'name="{field}"' in page
    assert "data-error-summary" not in page


def test_signup_creates_the_account_and_signs_in(client, db):
    before = timezone.now()
    response = client.post("/accounts/signup/", signup_data())
    after = timezone.now()

    assert response.status_code == 302
    # The health screening comes next; it can be skipped for the dashboard.
    assert response.url == "/accounts/screening/"
    user = User.objects.get(username="newbie")
    assert user.email == ""
    assert user.weekly_target == 3
    assert user.check_password(NEW_PASSWORD)
    assert before <= user.health_data_consent_at <= after
    page = html(client.get(response.url))
    assert "Welcome, newbie. Your account is ready." in page
    assert "Signed in as </span>newbie" in page
    profile = text_of(client.get("/accounts/profile/"))
    when = timezone.localtime(user.health_data_consent_at)
    assert (
        f"You agreed on {dateformat.format(when, 'j F Y')} at "
        f"{dateformat.format(when, 'H:i')} that BackCare keeps your health "
        "information." in profile
    )


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


def test_sign_up_asks_for_consent_with_an_unticked_box_and_links_to_the_privacy_page(
    client, db
):
    response = client.get("/accounts/signup/")

    box = re.search(r'<input[^>]*name="health_data_consent"[^>]*>', html(response))[0]
    form = next(
        form
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html(response), re.DOTALL)
        if box in form
    )
    assert 'type="checkbox"' in box
    assert "checked" not in box
    # The browser itself stops a sign-up without the box ticked, before
    # anything typed is sent and lost: the box is required, and this form
    # (unlike the others) does not switch the browser's checks off.
    assert "required" in box
    assert "novalidate" not in form[: form.index(">")]
    assert CONSENT_LABEL in text_of(response)
    assert PRIVACY_LINK in form
    assert "How BackCare keeps your data" in text(form)


@pytest.mark.parametrize(
    "consent", [None, "", "false"], ids=["absent", "empty", "false"]
)
def test_sign_up_without_consent_answers_400_with_a_message_and_creates_no_one(
    client, db, consent
):
    data = signup_data()
    del data["health_data_consent"]
    if consent is not None:
        data["health_data_consent"] = consent

    response = client.post("/accounts/signup/", data)

    assert response.status_code == 400
    assert CONSENT_REFUSED in text_of(response)
    assert "so no account was created." in text_of(response)
    # The rest of what they typed is kept for the second try.
    assert 'value="newbie"' in html(response)
    assert not User.objects.exists()
    assert not is_signed_in(client)
    assert_summary(response, ["id_health_data_consent"])


def password_values(response):
    """The values the page gives its two password boxes (None: left empty)."""
    values = []
    for name in ["password1", "password2"]:
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', html(response))[0]
        value = re.search(r'value="([^"]*)"', box)
        values.append(value and value[1])
    return values


def consent_block(response):
    return re.search(
        r'<div id="div_id_health_data_consent".*?(?=<button)', html(response), re.S
    )[0]


def test_sign_up_refused_only_for_consent_keeps_everything_typed(client, db):
    data = signup_data(email="newbie@example.com")
    del data["health_data_consent"]

    response = client.post("/accounts/signup/", data)

    assert response.status_code == 400
    assert not User.objects.exists()
    # Said beside the box, and nothing else to fix: what the person typed,
    # both passwords included, is there for the second try.
    assert CONSENT_REFUSED in text(consent_block(response))
    assert_summary(response, ["id_health_data_consent"])
    assert 'value="newbie"' in html(response)
    assert 'value="newbie@example.com"' in html(response)
    assert password_values(response) == [NEW_PASSWORD, NEW_PASSWORD]
    # A page holding a password is kept by no cache, the browser's included.
    assert "no-store" in response["Cache-Control"]

    data["health_data_consent"] = "on"
    client.post("/accounts/signup/", data)
    assert User.objects.get().check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    "change",
    [
        {"password2": "something else entirely 99"},
        {"password1": "short", "password2": "short"},
        {"username": ""},
    ],
    ids=["mismatched", "weak", "no_username"],
)
def test_sign_up_refused_for_more_than_consent_gives_no_password_back(
    client, db, change
):
    data = signup_data(**change)
    del data["health_data_consent"]

    response = client.post("/accounts/signup/", data)

    assert response.status_code == 400
    assert CONSENT_REFUSED in text(consent_block(response))
    # A password refused, or one that may go with another name, is typed again.
    assert password_values(response) == [None, None]
    assert NEW_PASSWORD not in html(response)


def test_sign_up_refused_for_a_password_alone_gives_no_password_back(client, db):
    response = client.post("/accounts/signup/", signup_data(password="short"))

    assert response.status_code == 400
    assert password_values(response) == [None, None]


def test_the_consent_box_its_message_and_help_are_one_block_below_each_other(
    client, db
):
    data = signup_data()
    del data["health_data_consent"]

    block = consent_block(client.post("/accounts/signup/", data))

    # The box and its label share a row; the message and the help text
    # follow it, each on its own line, not beside the label.
    row = re.search(r'<div class="form-check">(.*?)</div>', block, re.S)[1]
    assert 'name="health_data_consent"' in row
    assert "<label" in row
    assert CONSENT_REFUSED not in row
    assert "How BackCare keeps your data" not in row
    assert_in_order(
        text(block), [CONSENT_LABEL, CONSENT_REFUSED, "Only you can see it"]
    )


def test_an_empty_signup_answers_400_with_an_error_summary(client, db):
    response = client.post("/accounts/signup/", {})

    summary = assert_summary(
        response,
        ["id_username", "id_password1", "id_password2", "id_health_data_consent"],
        after="<h1>Create your account</h1>",
        messages=["Username", "This field is required.", "Please tick the box"],
    )
    # One list item an error: the consent box's message is said once.
    assert summary.count("Please tick the box") == 1
    assert_described(response, "health_data_consent")


def test_the_signup_form_asks_the_browser_for_its_zone(client, db):
    page = html(client.get("/accounts/signup/"))

    assert re.search(
        r'<input type="hidden" name="time_zone"[^>]*data-browser-time-zone', page
    )
    assert '<script type="module" src="/static/js/timezone.js"></script>' in page


@pytest.mark.parametrize(
    ("sent", "zone"),
    [
        ({"time_zone": "America/Los_Angeles"}, "America/Los_Angeles"),
        ({"time_zone": "Etc/Unknown"}, None),
        ({"time_zone": "<b>x</b>"}, None),
        ({}, None),
    ],
    ids=["browsers", "unknown", "markup", "none"],
)
def test_signup_keeps_the_browsers_time_zone_or_the_sites(
    client, db, settings, sent, zone
):
    response = client.post("/accounts/signup/", signup_data(**sent))

    assert response.status_code == 302
    kept = User.objects.get(username="newbie").time_zone
    assert kept == (zone or settings.TIME_ZONE)


# Log in, log out, navigation


def test_login_signs_in_and_goes_to_the_dashboard(client, user):
    assert "data-error-summary" not in html(client.get("/accounts/login/"))

    response = client.post(
        "/accounts/login/", {"username": "alex", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == "/progress/"
    assert is_signed_in(client)


def test_login_with_a_wrong_password_answers_400_with_the_error_listed(client, user):
    response = client.post("/accounts/login/", {"username": "alex", "password": "x"})

    assert response.status_code == 400
    assert WRONG_LOGIN in html(response)
    assert not is_signed_in(client)
    summary = assert_summary(response, [], messages=[WRONG_LOGIN])
    # Listed without a link: no one field is wrong.
    assert f"<li>{WRONG_LOGIN}" in summary


def test_an_empty_login_has_an_error_summary(client, db):
    response = client.post("/accounts/login/", {})

    assert_summary(response, ["id_username", "id_password"], after="<h1>Log in</h1>")
    assert_described(response, "username")


def test_the_navigation_shows_who_is_signed_in(signed_in):
    page = html(signed_in.get("/"))

    assert (
        '>Profile <span class="nav-username"><span class="visually-hidden">'
        "Signed in as </span>alex</span></a>"
    ) in page
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


def change_password(client, old_password):
    return client.post(
        "/accounts/password_change/",
        {
            "old_password": old_password,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )


def test_password_change(signed_in, user):
    assert signed_in.get("/accounts/password_change/").status_code == 200

    response = change_password(signed_in, PASSWORD)

    assert response.status_code == 302
    assert response.url == "/accounts/password_change/done/"
    assert "Your password was changed." in html(signed_in.get(response.url))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert is_signed_in(signed_in)


def test_password_change_with_a_wrong_old_password_changes_nothing(signed_in, user):
    response = change_password(signed_in, "wrong")

    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in html(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


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


# The profile: the plan (and with it the weekly target), downloads, time zone


def test_profile_shows_the_plan_the_downloads_and_the_delete_form(signed_in, practice):
    response = signed_in.get("/accounts/profile/")

    page = html(response)
    assert response.status_code == 200
    # The weekly target is the plan's number of days: no form of its own.
    assert 'name="weekly_target"' not in page
    assert 'id="plan-title">Your plan</h2>' in page
    assert 'action="/progress/plan/"' in page
    assert len(re.findall(r'name="days"', page)) == 7
    assert len(re.findall(r'name="days" value="\d" [^>]*checked', page)) == 3
    assert 'name="time"' in page
    assert ">Download my data</h2>" in page
    assert (
        '<a class="btn btn-outline-primary" href="/progress/export.csv">Download my sessions (CSV)</a>'
        in page
    )
    assert 'href="/progress/export.json">Download everything (JSON)</a>' in page
    assert PRIVACY_LINK in page
    assert 'action="/accounts/delete/"' in page
    assert "Delete my account" in page


def test_the_plan_on_the_profile_sets_the_weekly_target(signed_in, user, practice):
    response = signed_in.post(
        "/progress/plan/",
        {
            "days": ["0", "1", "3", "5", "6"],
            "time": "07:00",
            "level": "practice",
            "next": "/accounts/profile/",
        },
    )

    assert response.status_code == 302
    assert response.url == "/accounts/profile/"
    user.refresh_from_db()
    assert (user.plan_days, user.weekly_target) == ("01356", 5)
    assert "Your plan was saved: 5 days a week." in html(signed_in.get(response.url))


def test_a_plan_without_a_day_keeps_the_weekly_target(signed_in, user, practice):
    response = signed_in.post(
        "/progress/plan/",
        {"time": "07:00", "level": "practice", "next": "/accounts/profile/"},
    )

    assert response.status_code == 400
    assert "Choose at least one day of the week." in html(response)
    user.refresh_from_db()
    assert user.weekly_target == 3
    assert_summary(response, ["id_days_0"], messages=["Days"])


def test_an_empty_post_to_the_profile_answers_400_with_the_form(signed_in):
    response = signed_in.post("/accounts/profile/", {})

    assert response.status_code == 400
    assert "This field is required." in html(response)


@pytest.fixture
def angeleno(client, db):
    """A client signed in as Ana, whose time zone is Los Angeles."""
    person = UserFactory(username="ana", time_zone="America/Los_Angeles")
    client.force_login(person)
    return person


def test_the_profile_shows_the_time_zone(client, angeleno):
    page = html(client.get("/accounts/profile/"))

    assert '<strong class="current-time-zone">America/Los_Angeles</strong>' in page
    assert re.search(r'name="time_zone" value="America/Los_Angeles"', page)
    assert '<script type="module" src="/static/js/timezone.js"></script>' in page


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("Asia/Shanghai", "Asia/Shanghai"), ("shanghai", "Asia/Shanghai")],
)
def test_the_profile_changes_the_time_zone(client, angeleno, typed, zone):
    response = client.post("/accounts/profile/", {"time_zone": typed})

    assert response.status_code == 302
    assert response.url == "/accounts/profile/"
    angeleno.refresh_from_db()
    assert angeleno.time_zone == zone
    assert angeleno.weekly_target == 3
    assert f"Your time zone is now {zone}" in text_of(client.get(response.url))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "Mars/Olympus_Mons",
            "BackCare does not know the time zone “Mars/Olympus_Mons”. Enter a "
            "name such as Europe/London or America/Los_Angeles.",
        ),
        ("x" * 65, "Ensure this value has at most 64 characters (it has 65)."),
        ("", "This field is required."),
    ],
)
def test_the_profile_refuses_an_unknown_time_zone(client, angeleno, typed, message):
    response = client.post("/accounts/profile/", {"time_zone": typed})

    assert response.status_code == 400
    assert message in text_of(response)
    # The page still names the zone that is kept.
    assert '<strong class="current-time-zone">America/Los_Angeles</strong>' in (
        html(response)
    )
    angeleno.refresh_from_db()
    assert angeleno.time_zone == "America/Los_Angeles"


# The health screening: on its own page after sign-up, and on the profile


def answers(*warnings, yes=()):
    """The screening form's answers: yes to ``yes``, no to every other question."""
    return {
        f"condition_{warning.pk}": "yes" if warning in yes else "no"
        for warning in Contraindication.objects.screened()
    }


def checked(response):
    """Radio name → the value checked on the page."""
    found = {}
    for tag in re.findall(r'<input type="radio"[^>]*>', html(response)):
        if re.search(r"\bchecked\b", tag):
            name = re.search(r'name="([^"]+)"', tag).group(1)
            found[name] = re.search(r'value="([^"]+)"', tag).group(1)
    return found


@pytest.fixture
def flagged(signed_in, user, avoid_warning):
    """Alex answered yes to the avoid-warning, no to the consult-warning."""
    services.screening_update(user=user, conditions=[avoid_warning])
    return signed_in


@pytest.fixture
def consulting(signed_in, user, consult_warning):
    """Alex answered yes to the consult-warning, no to the avoid-warning."""
    services.screening_update(user=user, conditions=[consult_warning])
    return signed_in


def test_signup_invites_to_the_screening_which_can_be_skipped(client, practice):
    response = client.post("/accounts/signup/", signup_data())

    assert response.status_code == 302
    assert response.url == "/accounts/screening/"
    screening = client.get(response.url)
    assert screening.status_code == 200
    assert AVOID_QUESTION in text_of(screening)
    assert CONSULT_QUESTION in text_of(screening)
    assert WHY_ASKED in text_of(screening)
    assert re.search(r"<a [^>]*href=\"/progress/\">Skip for now</a>", html(screening))
    assert client.get("/progress/").status_code == 200
    # Skipped: the routine page keeps inviting the person to answer.
    routine = client.get("/routines/practice/")
    assert "Answer the health screening" in text_of(routine)
    assert "Not recommended for you" not in text_of(routine)


def test_the_screening_page_saves_and_goes_to_the_dashboard(
    signed_in, user, avoid_warning
):
    response = signed_in.post("/accounts/screening/", answers(yes=[avoid_warning]))

    assert response.status_code == 302
    assert response.url == "/progress/"
    assert list(user.conditions.all()) == [avoid_warning]
    assert "Answer the health screening" not in text_of(
        signed_in.get("/routines/practice/")
    )


def test_the_screening_needs_an_account(client, practice):
    response = client.get("/accounts/screening/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_an_invalid_answer_on_the_screening_page_answers_400(
    signed_in, user, consult_warning
):
    data = {f"condition_{consult_warning.pk}": "perhaps"}

    response = signed_in.post("/accounts/screening/", data)

    assert response.status_code == 400
    assert "Health screening" in text_of(response)
    assert ANSWER_YES_OR_NO in text_of(response)
    assert not user.conditions.exists()
    user.refresh_from_db()
    assert user.screening_answered_at is None


@pytest.mark.parametrize(
    ("data", "after"),
    [
        ({}, "<h1>Health screening</h1>"),
        ({"from": "profile"}, 'id="screening-title"'),
    ],
    ids=["screening-page", "profile"],
)
def test_unanswered_questions_are_each_in_the_error_summary(
    signed_in, practice, data, after
):
    questions = Contraindication.objects.screened()

    response = signed_in.post("/accounts/screening/", data)

    # A radio group has no id of its own: each link reaches its first choice.
    summary = assert_summary(
        response,
        [f"id_condition_{c.pk}_0" for c in questions],
        after=after,
        messages=[ANSWER_YES_OR_NO],
    )
    for condition in questions:
        assert condition.screening_question in text(summary)
        assert_described(response, f"condition_{condition.pk}")


def test_profile_has_the_health_screening_section(
    signed_in, avoid_warning, consult_warning
):
    response = signed_in.get("/accounts/profile/")

    page = text_of(response)
    assert response.status_code == 200
    assert "Health screening" in page
    assert AVOID_QUESTION in page
    assert CONSULT_QUESTION in page
    assert WHY_ASKED in page
    assert CHANGE_ANY_TIME in page
    for condition in (avoid_warning, consult_warning):
        for value in ("yes", "no"):
            assert f'name="condition_{condition.pk}" value="{value}"' in html(response)
    assert "Save my answers" in page


def test_saving_from_the_profile_keeps_the_answers_and_shows_them(
    signed_in, user, avoid_warning
):
    response = signed_in.post(
        "/accounts/screening/", {**answers(yes=[avoid_warning]), "from": "profile"}
    )

    assert response.status_code == 302
    assert response.url == "/accounts/profile/"
    assert list(user.conditions.all()) == [avoid_warning]
    user.refresh_from_db()
    assert user.screening_answered_at is not None
    profile = signed_in.get(response.url)
    assert "Your screening answers were saved." in text_of(profile)
    assert checked(profile) == answers(yes=[avoid_warning])
    assert f"Last answered on {long_date(timezone.localdate())}." in text_of(profile)


def test_answers_can_be_changed_back_from_the_profile(flagged, user, consult_warning):
    response = flagged.post(
        "/accounts/screening/", {**answers(yes=[consult_warning]), "from": "profile"}
    )

    assert response.status_code == 302
    assert list(user.conditions.all()) == [consult_warning]
    assert checked(flagged.get("/accounts/profile/")) == answers(yes=[consult_warning])


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, ANSWER_YES_OR_NO),
        ("maybe", "Select a valid choice. maybe is not one of the available choices."),
    ],
    ids=["missing", "bogus"],
)
def test_an_invalid_answer_from_the_profile_answers_400_and_changes_nothing(
    flagged, user, avoid_warning, consult_warning, answer, message
):
    user.refresh_from_db()
    answered_at = user.screening_answered_at
    data = {**answers(yes=[consult_warning]), "from": "profile"}
    if answer is None:
        del data[f"condition_{avoid_warning.pk}"]
    else:
        data[f"condition_{avoid_warning.pk}"] = answer

    response = flagged.post("/accounts/screening/", data)

    assert response.status_code == 400
    assert "Your profile" in text_of(response)
    assert message in text_of(response)
    assert list(user.conditions.all()) == [avoid_warning]
    user.refresh_from_db()
    assert user.screening_answered_at == answered_at


def test_questions_are_asked_red_flags_first_then_most_serious_first(
    signed_in, avoid_warning, consult_warning
):
    flags = [urgent_flag(), red_flag()]
    caution = ContraindicationFactory(
        title="A caution",
        severity=Severity.CAUTION,
        screening_question="Are your knees sore when you kneel?",
    )

    page = text_of(signed_in.get("/accounts/screening/"))
    profile = text_of(signed_in.get("/accounts/profile/"))

    questions = [
        *(flag.screening_question for flag in flags),
        AVOID_QUESTION,
        CONSULT_QUESTION,
        caution.screening_question,
    ]
    assert_in_order(profile, questions)
    assert_in_order(
        page,
        [
            "signs to see a doctor about",
            *questions[:2],
            "about the exercises",
            *questions[2:],
        ],
    )


def test_a_question_edited_in_admin_is_asked_on_the_profile_at_once(
    admin_client, signed_in, avoid_warning, django_capture_on_commit_callbacks
):
    url = f"/admin/exercises/contraindication/{avoid_warning.pk}/change/"
    form = admin_client.get(url)
    assert 'name="screening_question_en_gb"' in html(form)
    assert f'value="{AVOID_QUESTION}"' in html(form)
    new_question = "Does pain shoot down the back of your leg?"

    with django_capture_on_commit_callbacks(execute=True):
        response = edit_warning(
            admin_client, avoid_warning, screening_question=new_question
        )

    assert response.status_code == 302
    avoid_warning.refresh_from_db()
    assert avoid_warning.screening_question == new_question
    page = text_of(signed_in.get("/accounts/profile/"))
    assert new_question in page
    assert AVOID_QUESTION not in page


def test_a_warning_added_in_admin_with_a_question_is_asked_too(
    admin_client, signed_in, practice
):
    question = "Have you had a fall this month?"
    response = admin_client.post(
        "/admin/exercises/contraindication/add/",
        admin_fields(
            Contraindication,
            {
                "slug": "recent-fall",
                "title": "Recent fall",
                "description": "Avoid this exercise for a month after a fall.",
                "severity": Severity.AVOID,
                "screening_question": question,
                "_save": "Save",
            },
        ),
    )
    ContraindicationFactory(title="No question here", screening_question="")

    assert response.status_code == 302
    profile = signed_in.get("/accounts/profile/")
    assert question in text_of(profile)
    assert "No question here" not in text_of(profile)
    # Yes and no for the practice routine's two questions and this one.
    assert html(profile).count('type="radio"') == 6


# The doctor's clearance


def test_confirming_the_clearance_returns_to_the_safety_check_and_starting_works(
    consulting, user
):
    response = consulting.post(
        "/accounts/doctor-clearance/", {"cleared": "on", "next": GUIDE}
    )

    assert response.status_code == 302
    assert response.url == GUIDE
    user.refresh_from_db()
    today = timezone.localdate()
    assert user.doctor_cleared_on == today
    gate = text_of(consulting.get(GUIDE))
    assert "Your doctor's clearance is noted on your profile." in gate
    assert (
        f"You confirmed on {long_date(today)} that your doctor has cleared you" in gate
    )
    assert "Please confirm that your doctor has cleared you" not in gate
    assert consulting.post(GUIDE, {"acknowledged": "on"}).url == f"{GUIDE}1/"
    assert consulting.get(f"{GUIDE}1/").status_code == 200


def test_the_profile_shows_the_clearance_and_its_date(consulting, user):
    before = text_of(consulting.get("/accounts/profile/"))
    consulting.post("/accounts/doctor-clearance/", {"cleared": "on", "next": GUIDE})

    after = text_of(consulting.get("/accounts/profile/"))

    assert "You have not confirmed a doctor's clearance." in before
    today = long_date(timezone.localdate())
    assert (
        f"You confirmed on {today} that your doctor has cleared you to do these "
        "exercises." in after
    )


def test_the_profile_asks_for_no_clearance_when_no_answer_needs_one(signed_in, user):
    page = text_of(signed_in.get("/accounts/profile/"))

    assert "doctor's clearance" not in page


def test_the_clearance_without_the_tick_stores_nothing(consulting, user):
    response = consulting.post("/accounts/doctor-clearance/", {"next": GUIDE})

    assert response.status_code == 302
    assert response.url == GUIDE
    gate = consulting.get(response.url)
    assert TICK_THE_BOX in text_of(gate)
    assert "Please confirm that your doctor has cleared you" in text_of(gate)
    user.refresh_from_db()
    assert user.doctor_cleared_on is None
    assert consulting.post(GUIDE, {"acknowledged": "on"}).status_code == 400


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "http://evil.example/routines/"],
)
def test_the_clearance_never_follows_next_to_another_host(consulting, next_url):
    response = consulting.post(
        "/accounts/doctor-clearance/", {"cleared": "on", "next": next_url}
    )

    assert response.status_code == 302
    assert response.url == "/accounts/profile/"
    assert "evil.example" not in response["Location"]


def test_the_clearance_needs_an_account_and_a_post(consulting, user):
    refused = consulting.get("/accounts/doctor-clearance/")
    visitor = Client().post("/accounts/doctor-clearance/", {"cleared": "on"})

    assert refused.status_code == 405
    assert visitor.status_code == 302
    assert visitor.url.startswith("/accounts/login/")
    user.refresh_from_db()
    assert user.doctor_cleared_on is None


def answer_screening(client, yes=()):
    response = client.post("/accounts/screening/", answers(yes=yes))
    assert response.status_code == 302
    return response


def test_a_red_flag_answered_after_the_clearance_asks_for_it_again(
    consulting, consult_warning
):
    flag = urgent_flag()
    consulting.post("/accounts/doctor-clearance/", {"cleared": "on", "next": GUIDE})
    consulting.post(GUIDE, {"acknowledged": "on"})
    assert consulting.get(f"{GUIDE}3/").status_code == 200

    response = answer_screening(consulting, yes=[consult_warning, flag])

    assert any(
        "confirm your doctor's clearance again" in message
        for message in messages_of(response)
    )
    refused = consulting.get(f"{GUIDE}3/")
    assert refused.status_code == 302
    assert refused.url == GUIDE
    assert any(REFUSED in message for message in messages_of(refused))


def test_answers_unchanged_keep_the_clearance(consulting, consult_warning):
    consulting.post("/accounts/doctor-clearance/", {"cleared": "on", "next": GUIDE})
    consulting.post(GUIDE, {"acknowledged": "on"})

    response = answer_screening(consulting, yes=[consult_warning])

    assert not any("clearance again" in message for message in messages_of(response))
    assert consulting.get(f"{GUIDE}3/").status_code == 200


# Deleting the account


def test_deleting_the_account_with_a_wrong_password_deletes_nothing(signed_in, user):
    StepResultFactory(session__user=user)

    response = signed_in.post("/accounts/delete/", {"password": "not it"})

    assert response.status_code == 400
    assert "That password is not right." in html(response)
    assert User.objects.filter(pk=user.pk).exists()
    assert CompletedSession.objects.filter(user=user).count() == 1
    assert StepResult.objects.count() == 1
    assert is_signed_in(signed_in)
    assert_summary(
        response,
        ["id_password"],
        after='id="delete-title"',
        messages=["That password is not right."],
        described=["password"],
    )
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


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


def test_deleting_the_account_removes_every_trace_of_the_person(settings, practice):
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    person = UserFactory(
        username=PERSON,
        email=EMAIL,
        screening_answered_at=timezone.now(),
        doctor_cleared_on=timezone.localdate(),
    )
    pk = person.pk
    person.conditions.add(
        ContraindicationFactory(screening_question="Do you have nerve pain?")
    )
    for n in range(2):
        session = CompletedSessionFactory(
            user=person, notes=f"{PERSON} felt fine, day {n}."
        )
        StepResultFactory(session=session, order=1)
        StepResultFactory(session=session, order=2, outcome=StepOutcome.SKIPPED)
    # Someone else's records stay as they were.
    sam = UserFactory(username="sam")
    CompletedSessionFactory(user=sam, notes="Sam's own note.")
    log_in("198.51.100.1", "sam", "not the password")
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(pk),
        object_repr=str(person),
        action_flag=CHANGE,
        change_message=f"Changed the email of {PERSON} to {EMAIL}.",
    )
    # Failed log-ins from one address (one with the name in capitals), then
    # the person logged in on two devices.
    for username in [PERSON, PERSON, PERSON.upper()]:
        assert log_in("203.0.113.7", username, "not the password")[1].status_code == 400
    first, response = log_in("192.0.2.10")
    assert response.status_code == 302
    second, response = log_in("192.0.2.20")
    assert response.status_code == 302
    keys = [
        client.cookies[settings.SESSION_COOKIE_NAME].value for client in (first, second)
    ]
    assert second.get("/progress/").status_code == 200
    assert AccessAttempt.objects.filter(username=PERSON).exists()
    assert AccessLog.objects.filter(username=PERSON).count() == 2
    assert AccessFailureLog.objects.filter(username__iexact=PERSON).count() == 3
    # The scan below finds each kind of trace while there are some.
    kinds = {kind for _, kind, _ in traces(pk)}
    assert {"text", "user_id", "_auth_user_id", "object_id"} <= kinds

    assert 'action="/accounts/delete/"' in html(first.get("/accounts/profile/"))
    response = first.post("/accounts/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"
    assert "Your account and every record of it were deleted." in text_of(
        first.get(response.url)
    )
    assert traces(pk) == []
    assert not BrowserSession.objects.filter(session_key__in=keys).exists()
    # The other device is logged out: its next visit is asked to log in.
    response = second.get("/progress/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/progress/"
    assert first.get("/progress/").status_code == 302
    assert not User.objects.filter(username__iexact=PERSON).exists()
    assert sam.completed_sessions.get().notes == "Sam's own note."
    assert AccessAttempt.objects.filter(username="sam").exists()
    assert User.objects.filter(pk=admin.pk).exists()


# Who may see what


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/profile/",
        "/accounts/delete/",
        "/accounts/password_change/",
        "/accounts/screening/",
        "/accounts/doctor-clearance/",
    ],
)
def test_a_visitor_is_sent_to_log_in(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("url", ["/accounts/profile/", "/accounts/delete/"])
def test_a_visitor_posting_is_sent_to_log_in_and_nothing_changes(client, user, url):
    response = client.post(url, {"weekly_target": "5", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    user.refresh_from_db()
    assert user.weekly_target == 3


# The privacy page


def test_the_privacy_page_says_what_is_kept_why_who_sees_it_and_how_to_remove_it(
    client, db
):
    response = client.get("/privacy/")

    page = text_of(response)
    assert response.status_code == 200
    assert "<title>Privacy: your data · BackCare</title>" in html(response)
    for heading in [
        "What BackCare keeps",
        "Why",
        "Who can see it",
        "How to download it",
        "How to delete it",
    ]:
        assert f">{heading}</h2>" in html(response)
    for kept in [
        "your username, your email address if you gave one",
        "when you joined and when you last logged in",
        "Your weekly target",
        "Your health screening answers: the questions you answered “yes” to",
        "the date you confirmed that your doctor cleared you to exercise",
        "your pain ratings before and after, your notes",
        "the time you agreed, when you signed up, that BackCare keeps your "
        "health information",
        "a record of each log-in to your username, including failed tries",
    ]:
        assert kept in page
    assert (
        "BackCare keeps them only because you agreed to it when you signed up, "
        "and only to show them back to you." in page
    )
    assert "You, when you are logged in." in page
    assert (
        "The editors who look after the exercises in BackCare's administration "
        "pages cannot see your account or anything you recorded." in page
    )
    assert (
        "Your screening answers, your doctor's clearance and your consent are not shown there."
        in page
    )
    assert "your sessions as a spreadsheet (CSV)" in page
    assert "everything BackCare keeps about you as one JSON file" in page
    assert "under “Delete my account”" in page
    assert "This removes every trace of you at once" in page
    assert "so you are logged out everywhere" in page
    assert 'href="/accounts/profile/"' in html(response)


def test_the_privacy_page_answers_get_and_head_only(client, db):
    assert client.head("/privacy/").status_code == 200
    assert client.post("/privacy/").status_code == 405


@pytest.mark.parametrize(
    "url",
    ["/", "/about/", "/privacy/", "/accounts/login/", "/accounts/signup/", "/nowhere/"],
)
def test_every_page_links_to_the_privacy_page_in_its_footer(client, db, url):
    response = client.get(url)

    assert PRIVACY_LINK in footer(response)
    assert "Privacy: your data" in text(footer(response))


@pytest.mark.parametrize("url", ["/progress/", "/accounts/profile/", "/privacy/"])
def test_signed_in_pages_link_to_the_privacy_page_in_their_footer(signed_in, url):
    response = signed_in.get(url)

    assert response.status_code == 200
    assert PRIVACY_LINK in footer(response)


# Neither a failed log-in nor a password reset tells whether an account exists


def test_a_failed_log_in_does_not_say_whether_the_username_exists(client, user):
    known = client.post(
        "/accounts/login/", {"username": "alex", "password": "not the password"}
    )
    unknown = client.post(
        "/accounts/login/", {"username": "nobody", "password": "not the password"}
    )

    assert known.status_code == unknown.status_code == 400
    error = "Please enter a correct username and password."
    assert error in html(known)
    assert error in html(unknown)


def test_password_reset_does_not_reveal_whether_an_account_exists(client, user):
    known = client.post("/accounts/password_reset/", {"email": user.email})
    wait_for_mail()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]

    unknown = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    wait_for_mail()
    assert len(mail.outbox) == 1

    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == f"{'/accounts/password_reset/'}done/"
    known_page = Client().get(known.url)
    unknown_page = Client().get(unknown.url)
    assert known_page.status_code == unknown_page.status_code == 200
    assert known_page.content == unknown_page.content
    assert "If an account has that email address" in html(known_page)
