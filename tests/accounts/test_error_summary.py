"""A refused form answers 400 with an error summary at the top of its section."""

import re
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from exercises.models import Contraindication
from tests.factories import PASSWORD
from tests.helpers import html, text

SUMMARY = re.compile(r"<div [^>]*data-error-summary[^>]*>.*?</div>", re.S)


def summary_of(page):
    summaries = SUMMARY.findall(page)
    assert len(summaries) == 1, f"{len(summaries)} error summaries"
    return summaries[0]


def links(summary):
    return re.findall(r'<a [^>]*href="#([^"]+)"', summary)


def control(page, id_):
    """The input, select or textarea with this id, which a link must reach."""
    found = re.findall(rf'<(?:input|select|textarea)\b[^>]*\bid="{id_}"[^>]*>', page)
    assert len(found) == 1, f"#{id_}: {len(found)} form controls"
    return found[0]


def assert_summary(response, targets, *, after=None, messages=()):
    """The summary names each error, links each to its field, and comes first."""
    page = html(response)
    summary = summary_of(page)
    opening = summary[: summary.index(">") + 1]

    assert response.status_code == 400
    assert 'role="alert"' in opening
    assert 'tabindex="-1"' in opening
    assert "There is a problem" in summary
    assert links(summary) == targets
    for target in targets:
        field = control(page, target)
        assert 'aria-invalid="true"' in field
        # The summary sits above the fields it names, and below the heading
        # of the form's section.
        assert page.index(summary) < page.index(field)
    if after:
        assert page.index(after) < page.index(summary)
    for message in messages:
        assert message in text(summary)
    assert '<script type="module" src="/static/js/error-summary.js">' in page
    return summary


def assert_described(response, name):
    """Crispy ties a field to its error message for screen readers."""
    page = html(response)
    assert f'id="id_{name}_error"' in page
    assert re.search(rf'aria-describedby="[^"]*\bid_{name}_error\b', page)


def test_a_form_shown_for_the_first_time_has_no_summary(client, catalogue):
    for url in ["/accounts/signup/", "/accounts/login/", "/routines/beginner/guide/"]:
        assert "data-error-summary" not in html(client.get(url))


def test_safety_check_unticked(client, catalogue):
    response = client.post("/routines/beginner/guide/", {})

    assert_summary(
        response,
        ["id_acknowledged"],
        after="<h1>Before you start: safety check</h1>",
        messages=["Please confirm that you have read the warnings."],
    )
    assert_described(response, "acknowledged")


def test_signup_empty(client, db):
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


def test_signup_without_consent(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "maya",
            "password1": "a much longer new passphrase 42",
            "password2": "a much longer new passphrase 42",
        },
    )

    assert_summary(response, ["id_health_data_consent"])


def test_login_empty(client, db):
    response = client.post("/accounts/login/", {})

    assert_summary(response, ["id_username", "id_password"], after="<h1>Log in</h1>")
    assert_described(response, "username")


def test_login_wrong_password_is_listed_without_a_link(client, user):
    response = client.post("/accounts/login/", {"username": "alex", "password": "x"})

    summary = assert_summary(
        response, [], messages=["Please enter a correct username and password."]
    )
    assert "<li>Please enter a correct username and password." in summary


def test_log_empty(signed_in, catalogue):
    response = signed_in.post(
        "/progress/log/", {"date": "", "routine": "", "client_token": "t"}
    )

    assert_summary(response, ["id_date", "id_routine"], after="<h1>Log a session</h1>")
    assert_described(response, "routine")


def test_log_time_in_the_future(signed_in, beginner, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 10, 10, tzinfo=UTC))
    now = timezone.localtime()

    response = signed_in.post(
        "/progress/log/",
        {
            "date": now.date().isoformat(),
            "time": f"{now + timedelta(minutes=5):%H:%M}",
            "routine": beginner.pk,
            "client_token": "t",
        },
    )

    assert_summary(
        response, ["id_time"], messages=["The time cannot be in the future."]
    )


def test_log_without_its_token_says_so_without_a_link(signed_in, beginner):
    response = signed_in.post(
        "/progress/log/",
        {"date": timezone.localdate().isoformat(), "routine": beginner.pk},
    )

    summary = assert_summary(response, [])
    assert "<li>This form was incomplete. Please fill it in again.</li>" in summary


def test_profile_weekly_target(signed_in):
    response = signed_in.post("/accounts/profile/", {"weekly_target": "99"})

    assert_summary(
        response,
        ["id_weekly_target"],
        after='id="target-title"',
        messages=["Weekly target (sessions per week)"],
    )
    assert_described(response, "weekly_target")


def test_profile_screening_unanswered(signed_in, catalogue):
    questions = Contraindication.objects.screened()

    response = signed_in.post("/accounts/screening/", {"from": "profile"})

    # A radio group has no id of its own: each link reaches its first choice.
    summary = assert_summary(
        response,
        [f"id_condition_{c.pk}_0" for c in questions],
        after='id="screening-title"',
        messages=["Please answer yes or no."],
    )
    for condition in questions:
        assert condition.screening_question in text(summary)
        assert_described(response, f"condition_{condition.pk}")


def test_profile_delete_account_wrong_password(signed_in, user):
    response = signed_in.post("/accounts/delete/", {"password": "not it"})

    assert_summary(
        response,
        ["id_password"],
        after='id="delete-title"',
        messages=["That password is not right."],
    )
    assert_described(response, "password")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_one_summary_on_the_profile_whichever_form_was_refused(signed_in):
    page = html(signed_in.post("/accounts/profile/", {"weekly_target": "0"}))

    assert len(SUMMARY.findall(page)) == 1
    assert 'id="id_password"' in page
    assert 'aria-invalid="true"' not in control(page, "id_password")


def test_screening_page_unanswered(signed_in, catalogue):
    questions = Contraindication.objects.screened()

    response = signed_in.post("/accounts/screening/", {})

    assert_summary(
        response,
        [f"id_condition_{c.pk}_0" for c in questions],
        after="<h1>Health screening</h1>",
        messages=["Please answer yes or no."],
    )
