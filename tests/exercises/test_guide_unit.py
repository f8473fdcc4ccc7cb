import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DatabaseSession
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.utils import timezone

from exercises.cache import cached_plan
from exercises.guide import SESSION_KEY, GuidedSession, format_duration
from exercises.models import (
    Contraindication,
    Exercise,
    Routine,
    RoutineStep,
    Severity,
    StepOutcome,
)


def steps(*slugs):
    """Unsaved beginner steps, enough for summary() and record()."""
    routine = Routine(slug="beginner", title="Beginner")
    return [
        RoutineStep(
            routine=routine,
            exercise=Exercise(slug=slug, name=slug.replace("-", " ").capitalize()),
            order=order,
        )
        for order, slug in enumerate(slugs, start=1)
    ]


def reloaded(session):
    """The same signed-cookie session as the next request would see it."""
    session.save()
    return SessionStore(session_key=session.session_key)


# format_duration


@pytest.mark.parametrize(
    "delta, text",
    [
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=12, seconds=30), "12 min 30 s"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=1, minutes=5), "1 h 5 min"),
        (timedelta(hours=1, minutes=5, seconds=59), "1 h 5 min"),
        (timedelta(hours=2), "2 h 0 min"),
        (timedelta(seconds=59, milliseconds=999), "59 s"),
        (timedelta(0), "0 s"),
        (timedelta(seconds=-5), "0 s"),
        (timedelta(days=-1), "0 s"),
    ],
)
def test_format_duration(delta, text):
    assert format_duration(delta) == text


# GuidedSession


def test_new_session_is_not_acknowledged():
    guide = GuidedSession(SessionStore(), "beginner")

    assert not guide.acknowledged
    assert guide.outcome(1) is None


def test_start_acknowledges_and_stores_plain_data():
    session = SessionStore()
    before = timezone.now()

    GuidedSession(session, "beginner").start()

    guide = GuidedSession(reloaded(session), "beginner")
    assert guide.acknowledged
    assert guide.data["outcomes"] == {}
    assert guide.data["finished"] is None
    assert guide.finished_at is None
    assert before <= guide.started_at <= timezone.now()
    assert session.modified


def test_start_acknowledges_one_routine_only():
    session = SessionStore()

    GuidedSession(session, "beginner").start()

    assert not GuidedSession(session, "advanced").acknowledged
    assert list(session[SESSION_KEY]) == ["beginner"]


def test_mark_and_outcome_survive_a_reload():
    session = SessionStore()
    guide = GuidedSession(session, "beginner")
    guide.start()

    guide.mark(2, StepOutcome.DONE)
    guide.mark(3, "skipped")
    guide.mark(4, StepOutcome.SKIPPED_FOR_SAFETY)

    again = GuidedSession(reloaded(session), "beginner")
    assert again.outcome(1) is None
    assert again.outcome(2) is StepOutcome.DONE
    assert again.outcome(3) is StepOutcome.SKIPPED
    assert again.outcome(4) is StepOutcome.SKIPPED_FOR_SAFETY
    assert again.data["outcomes"] == {
        "2": "done",
        "3": "skipped",
        "4": "skipped_for_safety",
    }


def test_mark_replaces_an_earlier_outcome():
    guide = GuidedSession(SessionStore(), "beginner")
    guide.start()

    guide.mark(1, StepOutcome.SKIPPED)
    guide.mark(1, StepOutcome.DONE)

    assert guide.outcome(1) is StepOutcome.DONE


def test_mark_refuses_an_unknown_outcome():
    session = SessionStore()
    guide = GuidedSession(session, "beginner")
    guide.start()

    with pytest.raises(ValueError):
        guide.mark(1, "explode")

    assert GuidedSession(session, "beginner").data["outcomes"] == {}


def test_outcome_of_a_session_never_started_is_none():
    assert GuidedSession(SessionStore(), "beginner").outcome(3) is None


def test_summary_counts_unmarked_steps_as_skipped():
    guide = GuidedSession(SessionStore(), "beginner")
    guide.start()
    guide.mark(1, StepOutcome.DONE)
    guide.mark(3, StepOutcome.SKIPPED_FOR_SAFETY)
    routine = steps("ankle-pumps", "heel-slides", "straight-leg-raises")

    summary = guide.summary(routine)

    assert [(number, step, outcome) for number, step, outcome in summary] == [
        (1, routine[0], StepOutcome.DONE),
        (2, routine[1], StepOutcome.SKIPPED),
        (3, routine[2], StepOutcome.SKIPPED_FOR_SAFETY),
    ]


def test_summary_counts_unmarked_flagged_steps_skipped_for_safety():
    guide = GuidedSession(SessionStore(), "beginner")
    guide.start()
    guide.mark(1, StepOutcome.DONE)
    routine = steps("ankle-pumps", "heel-slides", "straight-leg-raises")

    summary = guide.summary(routine, flagged={1, 3})

    assert [outcome for _, _, outcome in summary] == [
        StepOutcome.DONE,
        StepOutcome.SKIPPED,
        StepOutcome.SKIPPED_FOR_SAFETY,
    ]


def test_override_after_start_is_remembered():
    session = SessionStore()
    guide = GuidedSession(session, "beginner")
    guide.start()

    guide.override(6)

    again = GuidedSession(reloaded(session), "beginner")
    assert again.is_overridden(6)
    assert not again.is_overridden(5)
    assert again.summary(steps(*["x"] * 6), flagged={6})[5][2] is StepOutcome.SKIPPED


def test_nothing_is_overridden_in_a_session_never_started():
    assert not GuidedSession(SessionStore(), "beginner").is_overridden(1)


def test_summary_of_no_steps_is_empty():
    guide = GuidedSession(SessionStore(), "beginner")
    guide.start()

    assert guide.summary([]) == []


def test_finish_keeps_the_first_finish_time():
    session = SessionStore()
    guide = GuidedSession(session, "beginner")
    guide.start()

    guide.finish()
    first = guide.data["finished"]
    guide.finish()

    assert first is not None
    assert GuidedSession(reloaded(session), "beginner").data["finished"] == first


def test_duration_text_runs_from_start_to_finish():
    guide = GuidedSession(SessionStore(), "beginner")
    guide.start()
    started = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    guide.data["started"] = started.isoformat()
    guide.data["finished"] = (started + timedelta(hours=1, minutes=5)).isoformat()

    assert guide.started_at == started
    assert guide.duration == timedelta(hours=1, minutes=5)
    assert guide.duration_text == "1 h 5 min"


def test_duration_of_an_unfinished_session_runs_until_now():
    guide = GuidedSession(SessionStore(), "beginner")
    guide.start()
    guide.data["started"] = (timezone.now() - timedelta(minutes=12)).isoformat()

    assert timedelta(minutes=12) <= guide.duration < timedelta(minutes=13)
    assert guide.duration_text.startswith("12 min")


def test_record_is_plain_data_for_an_account():
    guide = GuidedSession(SessionStore(), "beginner")
    guide.start()
    guide.mark(1, StepOutcome.DONE)
    guide.finish()

    record = guide.record(steps("ankle-pumps", "heel-slides"))

    assert record["routine"] == "beginner"
    assert record["title"] == "Beginner"
    assert record["started"] == guide.data["started"]
    assert record["finished"] == guide.data["finished"]
    assert record["token"] == guide.token
    assert [
        {key: step[key] for key in ("exercise", "name", "order", "outcome")}
        for step in record["steps"]
    ] == [
        {
            "exercise": "ankle-pumps",
            "name": "Ankle pumps",
            "order": 1,
            "outcome": "done",
        },
        {
            "exercise": "heel-slides",
            "name": "Heel slides",
            "order": 2,
            "outcome": "skipped",
        },
    ]
    assert all(type(step["outcome"]) is str for step in record["steps"])
    assert json.loads(json.dumps(record)) == record


def test_record_of_no_steps_is_titled_by_the_slug():
    guide = GuidedSession(SessionStore(), "beginner")
    guide.start()

    record = guide.record([])

    assert record["title"] == "beginner"
    assert record["steps"] == []


def test_token_names_one_run_of_the_routine():
    session = SessionStore()
    guide = GuidedSession(session, "beginner")
    guide.start()
    token = guide.token

    assert GuidedSession(reloaded(session), "beginner").token == token
    guide.start()
    assert guide.token != token


def test_start_again_forgets_the_outcomes():
    guide = GuidedSession(SessionStore(), "beginner")
    guide.start()
    guide.mark(1, StepOutcome.DONE)
    guide.finish()

    guide.start()

    assert guide.outcome(1) is None
    assert guide.data["finished"] is None


def test_guided_session_round_trips_through_the_database(db):
    session = DatabaseSession()
    guide = GuidedSession(session, "beginner")
    guide.start()
    guide.mark(2, StepOutcome.SKIPPED)
    session.save()

    again = GuidedSession(DatabaseSession(session.session_key), "beginner")

    assert again.acknowledged
    assert again.outcome(2) is StepOutcome.SKIPPED
    assert again.started_at == guide.started_at


# warnings_by_severity


def warnings_by_severity(slug):
    return cached_plan(slug).warnings_by_severity()


def test_warnings_of_the_beginner_routine(catalogue):
    groups = warnings_by_severity("beginner")

    assert [
        (severity, [(warning.slug, targets) for warning, targets in warnings])
        for severity, warnings in groups
    ] == [
        ("Avoid", [("nerve-pain-legs", ["step 6, Straight-leg raises"])]),
        ("Consult a doctor", [("disc-damage", ["the whole routine"])]),
    ]


def test_warnings_of_a_routine_without_exercise_warnings(catalogue):
    groups = warnings_by_severity("aerobic")

    assert [(severity, len(warnings)) for severity, warnings in groups] == [
        ("Consult a doctor", 1)
    ]


def test_warnings_are_ordered_most_serious_first(db):
    def warning(slug, severity):
        return Contraindication.objects.create(
            slug=slug, title=slug.title(), description=slug, severity=severity
        )

    caution = warning("a-caution", Severity.CAUTION)
    consult = warning("b-consult", Severity.CONSULT)
    avoid_first = warning("c-avoid", Severity.AVOID)
    avoid_second = warning("d-avoid", Severity.AVOID)
    routine = Routine.objects.create(slug="mixed", title="Mixed", summary="-", level=1)
    routine.contraindications.add(caution, consult)
    for order, (name, contraindications) in enumerate(
        [
            ("First", [caution]),
            ("Second", [avoid_second]),
            ("Third", []),
            ("Fourth", [avoid_first, avoid_second]),
        ],
        start=1,
    ):
        exercise = Exercise.objects.create(
            slug=name.lower(), name=name, position="-", instructions="-"
        )
        exercise.contraindications.add(*contraindications)
        RoutineStep.objects.create(
            routine=routine, exercise=exercise, order=order, repetitions=1
        )

    groups = warnings_by_severity("mixed")

    assert [
        (severity, [(warning.slug, targets) for warning, targets in warnings])
        for severity, warnings in groups
    ] == [
        (
            "Avoid",
            [
                ("d-avoid", ["step 2, Second", "step 4, Fourth"]),
                ("c-avoid", ["step 4, Fourth"]),
            ],
        ),
        ("Consult a doctor", [("b-consult", ["the whole routine"])]),
        ("Caution", [("a-caution", ["the whole routine", "step 1, First"])]),
    ]


def test_a_routine_without_steps_has_no_plan(db):
    Routine.objects.create(slug="empty", title="Empty", summary="-", level=1)

    assert cached_plan("empty") is None


def test_forget_saved_clears_only_the_run_kept_at_that_address():
    session = SessionStore()
    beginner = GuidedSession(session, "beginner")
    beginner.start()
    beginner.mark_saved("/progress/sessions/1/")
    advanced = GuidedSession(session, "advanced")
    advanced.start()
    advanced.mark_saved("/progress/sessions/2/")

    GuidedSession.forget_saved(session, "/progress/sessions/1/")

    assert GuidedSession(reloaded(session), "beginner").saved_url is None
    assert GuidedSession(session, "advanced").saved_url == "/progress/sessions/2/"
