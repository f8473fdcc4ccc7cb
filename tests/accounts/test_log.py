"""Logging a session by hand: the form a browser gets, and what it records."""

import re
from datetime import UTC, datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from accounts.forms import SessionLogForm
from accounts.models import CompletedSession
from tests.factories import UserFactory
from tests.helpers import html

# 10:00 on 10 March in the site's zone (UTC); midnight, already 11 March, on
# Kiritimati (UTC+14).
NOW = datetime(2026, 3, 10, 10, 0, 27, tzinfo=UTC)
FUTURE_TIME = "The time cannot be in the future."


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


class FormFields(HTMLParser):
    """
    The name=value pairs a browser sends with the form that carries a
    client_token (the log form, not the menu's log-out form). As in a browser,
    a date or time input keeps only a value in the format it understands
    (ISO); any other value is dropped and the field is sent empty.
    """

    VALID = {
        "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
        "time": re.compile(r"\d{2}:\d{2}(:\d{2})?"),
    }

    def __init__(self):
        super().__init__()
        self.fields, self.action, self.done = {}, None, False
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.done:
            return
        if tag == "form" and attrs.get("method") == "post":
            self.in_form, self.action = True, attrs.get("action")
        elif self.in_form and tag == "input" and "name" in attrs:
            value = attrs.get("value") or ""
            valid = self.VALID.get(attrs.get("type"))
            if valid and not valid.fullmatch(value):
                value = ""
            self.fields[attrs["name"]] = value

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form and "client_token" in self.fields:
            self.done = True
        elif tag == "form":
            self.in_form, self.fields = False, {}


def log_form(client):
    parser = FormFields()
    parser.feed(html(client.get("/progress/log/")))
    # A form without an action is sent to its page's URL.
    parser.action = parser.action or "/progress/log/"
    return parser


def input_tag(page, name):
    return re.search(rf'<input [^>]*name="{name}"[^>]*>', page).group(0)


# The form as rendered


def test_the_date_input_gets_today_as_an_iso_date(signed_in, now):
    tag = input_tag(html(signed_in.get("/progress/log/")), "date")

    assert 'type="date"' in tag
    assert f'value="{timezone.localdate().isoformat()}"' in tag


def test_the_time_input_gets_the_time_now_to_the_minute(signed_in, now):
    tag = input_tag(html(signed_in.get("/progress/log/")), "time")

    assert 'type="time"' in tag
    assert f'value="{timezone.localtime():%H:%M}"' in tag
    assert "required" not in tag


def test_the_date_and_time_follow_the_active_time_zone(now):
    with timezone.override("Pacific/Kiritimati"):
        form = SessionLogForm()
        date_tag, time_tag = str(form["date"]), str(form["time"])

    assert 'value="2026-03-11"' in date_tag
    assert 'value="00:00"' in time_tag


def test_a_person_far_east_gets_their_own_today_and_time(client, catalogue, now):
    client.force_login(UserFactory(time_zone="Pacific/Kiritimati"))

    page = html(client.get("/progress/log/"))

    assert 'value="2026-03-11"' in input_tag(page, "date")
    assert 'value="00:00"' in input_tag(page, "time")


def test_the_time_given_is_in_the_persons_zone(client, beginner, now):
    client.force_login(UserFactory(time_zone="America/New_York"))
    form = log_form(client)

    client.post(
        form.action,
        {**form.fields, "routine": beginner.pk, "date": "2026-03-09", "time": "21:30"},
    )

    # New York is on summer time (UTC-4) from 8 March 2026.
    started = CompletedSession.objects.get().started_at
    assert started == datetime(2026, 3, 10, 1, 30, tzinfo=UTC)


def test_the_form_is_posted_to_another_url_than_its_page(signed_in, beginner):
    # A successful POST makes the browser drop its cached copy of the URL
    # posted to; the page's own copy, with its token, must be the one Back
    # shows (tests/browser/test_forms.py proves it in a real browser).
    assert log_form(signed_in).action == "/progress/log/?record"


# What the form records


def test_the_form_as_sent_untouched_but_for_the_routine_records_a_session(
    signed_in, user, beginner, now
):
    form = log_form(signed_in)

    response = signed_in.post(form.action, {**form.fields, "routine": beginner.pk})

    session = CompletedSession.objects.get()
    assert response.status_code == 302
    assert response.url == session.get_absolute_url()
    assert session.user == user
    assert session.started_at == NOW.replace(second=0)


def test_the_same_form_sent_twice_records_one_session(signed_in, beginner, now):
    # Back, then submit again: the page comes back with the same token.
    form = log_form(signed_in)
    data = {**form.fields, "routine": beginner.pk}

    first = signed_in.post(form.action, data)
    second = signed_in.post(form.action, {**data, "notes": "Again."})

    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert CompletedSession.objects.get().notes == ""
    assert "This session was already logged." in html(signed_in.get(second.url))


def test_the_time_given_is_the_start_of_the_session(signed_in, beginner, now):
    form = log_form(signed_in)
    two_days_ago = (timezone.localdate() - timedelta(days=2)).isoformat()

    signed_in.post(
        form.action,
        {
            **form.fields,
            "routine": beginner.pk,
            "date": two_days_ago,
            "time": "07:15",
            "minutes": "25",
        },
    )

    session = CompletedSession.objects.get()
    started = timezone.localtime(session.started_at)
    assert (started.date().isoformat(), started.time()) == (two_days_ago, time(7, 15))
    assert session.duration == timedelta(minutes=25)


def test_no_time_means_now(signed_in, beginner, now):
    form = log_form(signed_in)

    signed_in.post(form.action, {**form.fields, "routine": beginner.pk, "time": ""})

    assert CompletedSession.objects.get().started_at == NOW.replace(second=0)


@pytest.mark.parametrize("later", [timedelta(minutes=1), timedelta(hours=13)])
def test_a_time_later_today_is_refused(signed_in, beginner, now, later):
    form = log_form(signed_in)
    local = timezone.localtime()
    assert (local + later).date() == local.date()

    response = signed_in.post(
        form.action,
        {**form.fields, "routine": beginner.pk, "time": f"{local + later:%H:%M}"},
    )

    assert response.status_code == 400
    assert FUTURE_TIME in html(response)
    assert not CompletedSession.objects.exists()


def test_the_time_now_is_allowed(signed_in, beginner, now):
    form = log_form(signed_in)

    response = signed_in.post(
        form.action,
        {
            **form.fields,
            "routine": beginner.pk,
            "time": f"{timezone.localtime():%H:%M}",
        },
    )

    assert response.status_code == 302
    assert CompletedSession.objects.count() == 1


@pytest.mark.parametrize("value", ["25:00", "7pm", "12:60", "noon"])
def test_a_time_that_is_not_a_time_answers_400(signed_in, beginner, now, value):
    form = log_form(signed_in)

    response = signed_in.post(
        form.action, {**form.fields, "routine": beginner.pk, "time": value}
    )

    assert response.status_code == 400
    assert "Enter a valid time." in html(response)
    assert not CompletedSession.objects.exists()
