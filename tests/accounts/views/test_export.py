"""The downloads: one's sessions as CSV, everything kept about one as JSON."""

import csv
import io
import json
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from exercises.models import Severity, StepOutcome
from tests.factories import (
    CompletedSessionFactory,
    ContraindicationFactory,
    StepResultFactory,
    UserFactory,
)
from tests.helpers import html

HEADER = [
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
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# 22:30 on Thursday in Los Angeles is 06:30 on Friday in UTC.
THURSDAY_NIGHT = datetime.combine(date(2026, 11, 26), time(22, 30), LOS_ANGELES)
THURSDAY_NOW = datetime.combine(date(2026, 11, 26), time(23, 0), LOS_ANGELES)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def csv_rows(response):
    return list(csv.reader(io.StringIO(html(response).lstrip("\ufeff"), newline="")))


def csv_records(response):
    """The rows after the header, each as a dict by column name."""
    header, *rows = csv_rows(response)
    return [dict(zip(header, row, strict=True)) for row in rows]


def last_notes(client):
    return csv_rows(client.get("/progress/export.csv"))[1][-1]


def exported(client):
    response = client.get("/progress/export.json")
    assert response.status_code == 200
    return response, json.loads(html(response))


def signed_in_as(client, **fields):
    person = UserFactory(**fields)
    client.force_login(person)
    return person


# CSV


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
    assert rows == [
        HEADER,
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
        ],
    ]


def test_export_of_a_new_person_is_the_header_alone(signed_in):
    assert csv_rows(signed_in.get("/progress/export.csv")) == [HEADER]


def test_export_lists_newest_first(signed_in, user, bulk_sessions):
    bulk_sessions(user, 3)

    rows = csv_rows(signed_in.get("/progress/export.csv"))

    assert [row[-1] for row in rows[1:]] == ["bulk 0", "bulk 1", "bulk 2"]


def test_export_lists_2000_sessions(signed_in, user, bulk_sessions):
    bulk_sessions(user, 2000)

    rows = csv_rows(signed_in.get("/progress/export.csv"))

    assert len(rows) == 2001
    assert rows[-1][-1] == "bulk 1999"


def test_the_csv_has_a_column_of_steps_skipped_for_safety(signed_in, user):
    session = CompletedSessionFactory(user=user)
    for order in range(1, 6):
        StepResultFactory(session=session, order=order, outcome=StepOutcome.DONE)
    StepResultFactory(session=session, order=6, outcome=StepOutcome.SKIPPED_FOR_SAFETY)

    [row] = csv_records(signed_in.get("/progress/export.csv"))

    assert row["steps_done"] == "5"
    assert row["steps_skipped"] == "0"
    assert row["steps_skipped_for_safety"] == "1"


def test_the_csv_opens_in_a_spreadsheet_in_any_language(signed_in, user):
    CompletedSessionFactory(user=user, notes="Rücken besser · 背中が楽 · ça va")

    body = b"".join(signed_in.get("/progress/export.csv").streaming_content)

    # A byte-order mark: Excel reads the file as UTF-8.
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    # Every cell quoted, the header too.
    assert lines[0].startswith('"date","started","started_at","routine"')
    assert all(line.startswith('"') and line.endswith('"') for line in lines)
    assert last_notes(signed_in) == "Rücken besser · 背中が楽 · ça va"


@pytest.mark.parametrize(
    ("notes", "cell"),
    [
        *((f"{first}HYPERLINK(1)", f"'{first}HYPERLINK(1)") for first in "=+-@"),
        ("ok;=1+1", "ok;'=1+1"),
        ("ok,+2", "ok,'+2"),
        ("a\t-3", "a\t'-3"),
        ("first line\n@SUM(A1)", "first line\n'@SUM(A1)"),
        ('ok; "=1+1"', 'ok; "\'=1+1"'),
        ("=1+1;=2", "'=1+1;'=2"),
        ("pain 3-4; better", "pain 3-4; better"),
        # Markup is kept as it was typed: a spreadsheet does not run it.
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ],
)
def test_a_formula_a_spreadsheet_would_run_is_neutralised(signed_in, user, notes, cell):
    CompletedSessionFactory(user=user, notes=notes)

    assert last_notes(signed_in) == cell


def test_the_csv_export_is_in_the_persons_zone_with_its_offset(client, db, now_is):
    now_is(THURSDAY_NOW)
    angeleno = signed_in_as(client, time_zone="America/Los_Angeles")
    CompletedSessionFactory(user=angeleno, started_at=THURSDAY_NIGHT)

    response = client.get("/progress/export.csv")

    assert response["Content-Disposition"] == (
        'attachment; filename="backcare-sessions-2026-11-26.csv"'
    )
    [row] = csv_records(response)
    assert (row["date"], row["started"]) == ("2026-11-26", "22:30")
    assert row["started_at"] == "2026-11-26T22:30:00-08:00"
    assert row["routine"] == "Beginner"


# JSON


def at(value):
    return datetime.fromisoformat(value)


def test_the_json_export_holds_everything_kept_about_the_person(client, db):
    person = UserFactory(
        username="robin",
        email="robin@example.com",
        weekly_target=5,
        health_data_consent_at=timezone.now() - timedelta(days=30),
        screening_answered_at=timezone.now() - timedelta(days=29),
        doctor_cleared_on=date(2024, 5, 6),
    )
    nerve = ContraindicationFactory(
        title="Nerve pain down the legs",
        screening_question="Do you have nerve pain that runs down into your legs?",
        severity=Severity.AVOID,
    )
    disc = ContraindicationFactory(
        title="Disc damage",
        screening_question="Have you been told you have damage to a spinal disc?",
        severity=Severity.CONSULT,
    )
    person.conditions.add(nerve, disc)
    older = CompletedSessionFactory(
        user=person,
        routine_title="Beginner",
        started_at=timezone.now() - timedelta(days=2),
        pain_before=6,
        pain_after=4,
        notes="Knees a bit stiff.",
    )
    StepResultFactory(session=older, order=1, exercise_name="Ankle pumps")
    StepResultFactory(
        session=older,
        order=2,
        exercise_name="Straight-leg raises",
        outcome=StepOutcome.SKIPPED_FOR_SAFETY,
    )
    newer = CompletedSessionFactory(
        user=person,
        routine_title="Aerobic",
        started_at=timezone.now() - timedelta(hours=3),
        pain_before=None,
        pain_after=1,
        notes="",
    )
    StepResultFactory(
        session=newer,
        order=1,
        exercise_name="Treadmill",
        outcome=StepOutcome.SKIPPED,
        cleared_by_clinician=True,
        seconds=34 * 60 + 12,
    )
    CompletedSessionFactory(user=UserFactory(username="sam"), notes="Sam's own note.")
    client.force_login(person)
    person.refresh_from_db()

    response, data = exported(client)

    assert response["Content-Type"] == "application/json"
    assert re.fullmatch(
        r'attachment; filename="backcare-data-\d{4}-\d{2}-\d{2}\.json"',
        response["Content-Disposition"],
    )
    assert data["account"]["username"] == "robin"
    assert data["account"]["email"] == "robin@example.com"
    assert at(data["account"]["date_joined"]) == person.date_joined
    assert at(data["account"]["last_login"]) == person.last_login
    assert data["weekly_target"] == 5
    assert data["time_zone"] == settings.TIME_ZONE
    assert at(data["health_data_consent_at"]) == person.health_data_consent_at
    assert at(data["screening"]["answered_at"]) == person.screening_answered_at
    assert data["screening"]["answers"] == [
        {
            "title": "Disc damage",
            "question": "Have you been told you have damage to a spinal disc?",
            "severity": "Consult a doctor",
            "answer": "yes",
        },
        {
            "title": "Nerve pain down the legs",
            "question": "Do you have nerve pain that runs down into your legs?",
            "severity": "Avoid",
            "answer": "yes",
        },
    ]
    assert data["doctor_cleared_on"] == "2024-05-06"
    # Newest first, each with its steps in order; nobody else's.
    assert [session["id"] for session in data["sessions"]] == [newer.pk, older.pk]
    first, second = data["sessions"]
    assert first["routine"] == "Aerobic"
    assert at(first["started_at"]) == newer.started_at
    assert at(first["finished_at"]) == newer.finished_at
    assert (first["pain_before"], first["pain_after"], first["notes"]) == (None, 1, "")
    assert first["steps"] == [
        {
            "order": 1,
            "exercise": "Treadmill",
            "outcome": "Skipped",
            "cleared_by_clinician": True,
            "seconds": 2052,
        }
    ]
    assert second["routine"] == "Beginner"
    assert (second["pain_before"], second["pain_after"]) == (6, 4)
    assert second["notes"] == "Knees a bit stiff."
    assert at(second["recorded_at"]) == older.created_at
    assert [
        (s["order"], s["exercise"], s["outcome"], s["seconds"]) for s in second["steps"]
    ] == [
        (1, "Ankle pumps", "Done", None),
        (2, "Straight-leg raises", "Skipped for safety", None),
    ]
    assert "Sam's own note." not in json.dumps(data)


def test_the_json_export_of_a_new_person_has_no_sessions_and_no_answers(signed_in):
    _, data = exported(signed_in)

    assert data["account"]["username"] == "alex"
    assert data["sessions"] == []
    assert data["screening"] == {"answered_at": None, "answers": []}
    assert data["doctor_cleared_on"] is None


def test_the_json_export_holds_50_sessions_with_their_steps(signed_in, user):
    user.conditions.add(ContraindicationFactory(screening_question="Any?"))
    for n in range(50):
        session = CompletedSessionFactory(
            user=user, started_at=timezone.now() - timedelta(hours=n + 1)
        )
        StepResultFactory(session=session, order=1)
        StepResultFactory(session=session, order=2)

    _, data = exported(signed_in)

    assert len(data["sessions"]) == 50
    assert all(len(session["steps"]) == 2 for session in data["sessions"])
    assert len(data["screening"]["answers"]) == 1


def test_the_json_export_is_in_the_persons_zone_with_its_offset(client, db, now_is):
    now_is(THURSDAY_NOW)
    angeleno = signed_in_as(
        client, time_zone="America/Los_Angeles", date_joined=THURSDAY_NIGHT
    )
    CompletedSessionFactory(user=angeleno, started_at=THURSDAY_NIGHT)

    response, data = exported(client)

    assert response["Content-Disposition"] == (
        'attachment; filename="backcare-data-2026-11-26.json"'
    )
    assert data["time_zone"] == "America/Los_Angeles"
    assert data["account"]["date_joined"] == "2026-11-26T22:30:00-08:00"
    assert data["account"]["last_login"] == "2026-11-26T23:00:00-08:00"
    assert data["sessions"][0]["started_at"] == "2026-11-26T22:30:00-08:00"
    assert data["sessions"][0]["finished_at"] == "2026-11-26T22:50:00-08:00"
    assert data["sessions"][0]["recorded_at"] == "2026-11-26T23:00:00-08:00"


def test_a_shanghai_export_carries_plus_eight_hours(client, db, now_is):
    now_is(datetime.combine(date(2026, 3, 11), time(12, 0), SHANGHAI))
    person = signed_in_as(client, time_zone="Asia/Shanghai")
    CompletedSessionFactory(
        user=person, started_at=datetime.combine(date(2026, 3, 9), time(7), SHANGHAI)
    )

    [row] = csv_records(client.get("/progress/export.csv"))
    _, data = exported(client)

    assert row["started_at"] == "2026-03-09T07:00:00+08:00"
    assert data["sessions"][0]["started_at"] == "2026-03-09T07:00:00+08:00"
    assert data["time_zone"] == "Asia/Shanghai"


# Who may download


@pytest.mark.parametrize("url", ["/progress/export.csv", "/progress/export.json"])
def test_an_export_is_the_signed_in_persons_by_get_or_head_only(signed_in, url):
    visitor = Client().get(url)

    assert visitor.status_code == 302
    assert visitor.url == f"/accounts/login/?next={url}"
    assert signed_in.head(url).status_code == 200
    assert signed_in.post(url).status_code == 405
