"""A guided run and whether a person may run a routine now (exercises/guide.py)."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DatabaseSession
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.utils import timezone

from exercises.guide import GuidedRun, Refusal, refusal
from exercises.models import Contraindication, StepOutcome
from exercises.plan import RoutinePlan
from exercises.screening import UNSCREENED, Screening
from tests.factories import ExerciseFactory, RoutineFactory, RoutineStepFactory
from tests.helpers import clock_at

STARTED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def steps(*names):
    """Unsaved steps of the practice routine, enough for summary() and record()."""
    routine = RoutineFactory.build(slug="practice", title="Practice")
    return [
        RoutineStepFactory.build(
            routine=routine,
            exercise=ExerciseFactory.build(
                slug=name.lower().replace(" ", "-"), name=name
            ),
            order=order,
        )
        for order, name in enumerate(names, start=1)
    ]


def reloaded(session):
    """The same signed-cookie session as the next request would see it."""
    session.save()
    return SessionStore(session_key=session.session_key)


def started(session=None, slug="practice"):
    run = GuidedRun(SessionStore() if session is None else session, slug)
    run.start()
    return run


def outcomes(run, total=4):
    return [run.outcome(n) for n in range(1, total + 1)]


# Starting, marking and reloading a run


def test_a_new_run_is_not_acknowledged():
    run = GuidedRun(SessionStore(), "practice")

    assert not run.acknowledged
    assert run.outcome(1) is None
    assert run.resume_at(4) is None


def test_start_acknowledges_with_nothing_marked_and_not_finished():
    session = SessionStore()
    before = timezone.now()

    started(session)

    run = GuidedRun(reloaded(session), "practice")
    assert run.acknowledged
    assert outcomes(run) == [None] * 4
    assert run.resume_at(4) == 1
    assert run.finished_at is None
    assert before <= run.started_at <= timezone.now()
    assert session.modified


def test_start_acknowledges_one_routine_only():
    session = SessionStore()

    started(session)

    again = reloaded(session)
    assert GuidedRun(again, "practice").acknowledged
    for slug in ["other", "Practice", "practice-2", ""]:
        assert not GuidedRun(again, slug).acknowledged, slug


def test_marks_survive_a_reload():
    session = SessionStore()
    run = started(session)

    run.mark(2, StepOutcome.DONE)
    run.mark(3, "skipped")
    run.mark(4, StepOutcome.SKIPPED_FOR_SAFETY)

    again = GuidedRun(reloaded(session), "practice")
    assert outcomes(again) == [
        None,
        StepOutcome.DONE,
        StepOutcome.SKIPPED,
        StepOutcome.SKIPPED_FOR_SAFETY,
    ]
    assert again.resume_at(4) == 1


def test_mark_replaces_an_earlier_outcome():
    run = started()

    run.mark(1, StepOutcome.SKIPPED)
    run.mark(1, StepOutcome.DONE)

    assert run.outcome(1) is StepOutcome.DONE


def test_mark_refuses_an_unknown_outcome():
    session = SessionStore()
    run = started(session)

    with pytest.raises(ValueError):
        run.mark(1, "explode")

    assert outcomes(GuidedRun(reloaded(session), "practice")) == [None] * 4


@pytest.mark.parametrize(
    ("marked", "resume"),
    [({}, 1), ({1: "done", 2: "skipped"}, 3), ({1: "done", 3: "done"}, 2)],
)
def test_resume_at_is_the_first_step_not_yet_marked(marked, resume):
    run = started()
    for number, outcome in marked.items():
        run.mark(number, outcome)

    assert run.resume_at(4) == resume


def test_a_run_with_every_step_marked_resumes_nowhere():
    run = started()
    for number in range(1, 5):
        run.mark(number, StepOutcome.SKIPPED)

    assert run.resume_at(4) is None


def test_a_run_round_trips_through_the_database(db):
    session = DatabaseSession()
    run = started(session)
    run.mark(2, StepOutcome.SKIPPED)
    session.save()

    again = GuidedRun(DatabaseSession(session.session_key), "practice")

    assert again.acknowledged
    assert again.outcome(2) is StepOutcome.SKIPPED
    assert again.started_at == run.started_at


def test_start_again_forgets_the_outcomes_and_the_finish():
    run = started()
    run.mark(1, StepOutcome.DONE)
    run.finish()

    run.start()

    assert run.outcome(1) is None
    assert run.finished_at is None


def test_a_token_names_one_run_of_the_routine():
    session = SessionStore()
    run = started(session)
    token = run.token

    assert GuidedRun(reloaded(session), "practice").token == token
    run.start()
    assert run.token != token


# Overrides: the person's clinician cleared them for a flagged step


def test_an_override_after_start_is_remembered():
    session = SessionStore()
    started(session).override(3)

    again = GuidedRun(reloaded(session), "practice")
    assert again.is_overridden(3)
    assert not again.is_overridden(2)
    summary = again.summary(steps("A", "B", "C", "D"), flagged={3})
    assert summary[2][2] is StepOutcome.SKIPPED


def test_nothing_is_overridden_in_a_run_never_started():
    assert not GuidedRun(SessionStore(), "practice").is_overridden(1)


# The summary and the record


def test_the_summary_counts_unmarked_steps_as_skipped():
    run = started()
    run.mark(1, StepOutcome.DONE)
    run.mark(3, StepOutcome.SKIPPED_FOR_SAFETY)
    routine = steps("Knee rocks", "Bridge", "Leg stretch")

    summary = run.summary(routine)

    assert summary == [
        (1, routine[0], StepOutcome.DONE, ""),
        (2, routine[1], StepOutcome.SKIPPED, ""),
        (3, routine[2], StepOutcome.SKIPPED_FOR_SAFETY, ""),
    ]


def test_the_summary_counts_unmarked_flagged_steps_skipped_for_safety():
    run = started()
    run.mark(1, StepOutcome.DONE)
    run.override(2)
    routine = steps("Knee rocks", "Bridge", "Leg stretch")

    summary = run.summary(routine, flagged={2, 3})

    assert [outcome for _, _, outcome, _ in summary] == [
        StepOutcome.DONE,
        StepOutcome.SKIPPED,
        StepOutcome.SKIPPED_FOR_SAFETY,
    ]


def test_a_step_marked_done_then_flagged_by_the_screening_is_skipped_for_safety():
    # Marked done, then the person answered the screening on another device:
    # recorded by the one rule (screened_outcome), as the offline save is.
    run = started()
    run.mark(1, StepOutcome.DONE, seconds=40)
    run.mark(2, StepOutcome.DONE, seconds=50)
    run.override(2)
    routine = steps("Knee rocks", "Bridge")

    record = run.record(routine, flagged={1, 2})

    assert [
        (step["outcome"], step["cleared_by_clinician"], step["seconds"])
        for step in record["steps"]
    ] == [("skipped_for_safety", False, None), ("done", True, 50)]


def test_the_summary_of_no_steps_is_empty():
    assert started().summary([]) == []


def test_the_record_is_plain_data_for_an_account():
    with clock_at(STARTED):
        run = started()
    run.mark(1, StepOutcome.DONE)
    run.override(2)
    with clock_at(STARTED + timedelta(minutes=20)):
        run.finish()

    record = run.record(steps("Knee rocks", "Bridge"), flagged={2})

    assert record == {
        "routine": "practice",
        "title": "Practice",
        "started": STARTED.isoformat(),
        "finished": (STARTED + timedelta(minutes=20)).isoformat(),
        "token": run.token,
        "pain_before": None,
        "steps": [
            {
                "exercise": "knee-rocks",
                "name": "Knee rocks",
                "order": 1,
                "outcome": "done",
                "cleared_by_clinician": False,
                "seconds": None,
            },
            {
                "exercise": "bridge",
                "name": "Bridge",
                "order": 2,
                "outcome": "skipped",
                "cleared_by_clinician": True,
                "seconds": None,
            },
        ],
    }
    assert all(type(step["outcome"]) is str for step in record["steps"])
    assert json.loads(json.dumps(record)) == record


def test_the_record_of_an_unfinished_run_finishes_now():
    with clock_at(STARTED):
        run = started()

    with clock_at(STARTED + timedelta(minutes=5)):
        record = run.record(steps("Knee rocks"))

    assert record["finished"] == (STARTED + timedelta(minutes=5)).isoformat()
    assert run.finished_at is None


def test_the_record_of_no_steps_is_titled_by_the_slug():
    record = started().record([])

    assert record["title"] == "practice"
    assert record["steps"] == []


# Times


def test_finish_keeps_the_first_finish_time():
    session = SessionStore()
    with clock_at(STARTED):
        run = started(session)
    with clock_at(STARTED + timedelta(minutes=12)):
        run.finish()

    with clock_at(STARTED + timedelta(hours=2)):
        run.finish()

    again = GuidedRun(reloaded(session), "practice")
    assert again.finished_at == STARTED + timedelta(minutes=12)


def test_the_duration_runs_from_start_to_finish():
    with clock_at(STARTED):
        run = started()
    with clock_at(STARTED + timedelta(hours=1, minutes=5)):
        run.finish()

    assert run.started_at == STARTED
    assert run.duration == timedelta(hours=1, minutes=5)
    assert run.duration_text == "1 h 5 min"


def test_the_duration_of_an_unfinished_run_runs_until_now():
    with clock_at(timezone.now() - timedelta(minutes=12)):
        run = started()

    assert timedelta(minutes=12) <= run.duration < timedelta(minutes=13)
    assert run.duration_text.startswith("12 min")


# Where a saved run lives


def test_forget_saved_clears_only_the_run_kept_at_that_address():
    session = SessionStore()
    started(session).mark_saved("/progress/sessions/1/")
    started(session, "other").mark_saved("/progress/sessions/2/")

    GuidedRun.forget_saved(session, "/progress/sessions/1/")

    assert GuidedRun(reloaded(session), "practice").saved_url is None
    assert GuidedRun(session, "other").saved_url == "/progress/sessions/2/"


# Whether a person may run the routine now


@pytest.fixture
def plan(practice):
    return RoutinePlan.of("practice")


def screened(*slugs, **fields):
    """A screening that answered “yes” to the warnings at ``slugs``."""
    warnings = Contraindication.objects.filter(slug__in=slugs)
    return Screening(
        signed_in=True,
        answered=True,
        applies=frozenset(warning.pk for warning in warnings),
        **fields,
    )


def test_a_run_not_started_is_refused_until_the_safety_check_is_read(plan):
    run = GuidedRun(SessionStore(), "practice")

    assert refusal(run, UNSCREENED, plan) is Refusal.NOT_ACKNOWLEDGED
    run.start()
    assert refusal(run, UNSCREENED, plan) is None
    assert Refusal.NOT_ACKNOWLEDGED.value == (
        "Please read the safety check before you start."
    )


@pytest.mark.parametrize(
    ("answered", "cleared", "refused"),
    [
        ((), None, None),
        (("sciatica",), None, None),  # an avoid-warning skips a step instead
        (("recent-surgery",), None, Refusal.NEEDS_CLEARANCE),
        (("recent-surgery",), date(2025, 3, 1), None),
    ],
)
def test_a_consult_warning_that_applies_needs_the_doctors_clearance_first(
    plan, answered, cleared, refused
):
    run = started()

    assert refusal(run, screened(*answered, doctor_cleared_on=cleared), plan) is (
        refused
    )


def test_a_red_flag_needs_the_doctors_clearance_even_before_the_safety_check(plan):
    red_flag = Contraindication(slug="red", title="Red", severity="red_flag")

    assert (
        refusal(
            GuidedRun(SessionStore(), "practice"),
            Screening(answered=True, red_flags=(red_flag,)),
            plan,
        )
        is Refusal.NEEDS_CLEARANCE
    )


# Pain before and the time on each step


def test_pain_said_at_the_start_is_kept_and_recorded():
    session = SessionStore()
    GuidedRun(session, "practice").start(pain_before=3)

    again = GuidedRun(reloaded(session), "practice")
    assert again.pain_before == 3
    assert again.record(steps("Knee rocks"))["pain_before"] == 3


def test_pain_not_said_is_none_and_a_new_start_forgets_it():
    run = started()
    assert run.pain_before is None
    run.start(pain_before=7)
    run.start()
    assert run.pain_before is None
    assert GuidedRun(SessionStore(), "practice").pain_before is None


def test_the_time_on_a_step_is_kept_shown_and_recorded():
    session = SessionStore()
    run = started(session)
    run.mark(1, StepOutcome.DONE, seconds=34 * 60 + 12)
    run.mark(2, StepOutcome.DONE)
    routine = steps("Treadmill", "Bridge")

    again = GuidedRun(reloaded(session), "practice")
    assert again.seconds(1) == 2052
    assert again.seconds(2) is None
    assert [time for *_, time in again.summary(routine)] == ["34 min 12 s", ""]
    assert [s["seconds"] for s in again.record(routine)["steps"]] == [2052, None]


def test_marking_a_step_again_replaces_its_time():
    run = started()
    run.mark(1, StepOutcome.DONE, seconds=90)
    run.mark(1, StepOutcome.DONE, seconds=0)
    assert run.seconds(1) == 0
    run.mark(1, StepOutcome.SKIPPED)
    assert run.seconds(1) is None


# A run of one step picked among alternatives (issue 27.9)


def test_a_picked_step_is_the_only_step_of_its_run():
    run = GuidedRun(SessionStore(), "cardio")
    run.start(chosen=2)

    assert run.place(2, 2) == (1, 1)
    assert run.next_after(2, 2) is None
    assert run.last(2) == 2


def test_the_first_step_picked_is_the_last_of_its_run():
    run = GuidedRun(SessionStore(), "cardio")
    run.start(chosen=1)

    assert run.place(1, 2) == (1, 1)
    assert run.last(2) == 1


def test_a_run_of_every_step_places_each_in_order():
    run = started()

    assert [run.place(n, 4) for n in range(1, 5)] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert run.last(4) == 4
