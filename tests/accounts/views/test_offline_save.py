"""A guided run saved on a phone offline, sent when it is back online (issue 18)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import CompletedSession, StepResult
from exercises.models import Contraindication, Routine
from tests.factories import UserFactory, red_flag
from tests.helpers import signed_in_client

SAVE = "/progress/save-offline/"
TOKEN = "offline:" + "a1" * 16


def run(**changes):
    """The practice routine's four steps, as the offline guide sends them."""
    finished = timezone.now() - timedelta(minutes=30)
    data = {
        "routine": "practice",
        "token": TOKEN,
        "acknowledged": True,
        "started": (finished - timedelta(minutes=12)).isoformat(),
        "finished": finished.isoformat(),
        "pain_before": 5,
        "pain_after": 3,
        "notes": "On the floor at the cabin.",
        "steps": [
            {"outcome": "done", "seconds": 95},
            {"outcome": "done", "seconds": 120},
            {"outcome": "skipped_for_safety", "seconds": None},
            {"outcome": "skipped", "seconds": None},
        ],
    }
    return {**data, **changes}


def send(client, data, *, token=None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(
        SAVE, json.dumps(data), content_type="application/json", headers=headers
    )


def csrf_checked(user):
    """A signed-in client that checks CSRF, and the token GET gave it."""
    client = signed_in_client(user, enforce_csrf_checks=True)
    answer = client.get(SAVE)
    return client, answer.json()["csrfToken"]


def test_a_run_sent_is_recorded_with_its_steps_and_the_page_is_told(practice, user):
    client, token = csrf_checked(user)

    response = send(client, run(), token=token)

    assert response.status_code == 201
    session = CompletedSession.objects.get()
    assert (session.user, session.routine, session.client_token) == (
        user,
        practice,
        TOKEN,
    )
    assert (session.pain_before, session.pain_after) == (5, 3)
    assert session.notes == "On the floor at the cabin."
    steps = StepResult.objects.filter(session=session).order_by("order")
    assert [(s.exercise_name, s.outcome, s.seconds) for s in steps] == [
        (step.exercise.name, outcome, seconds)
        for step, (outcome, seconds) in zip(
            practice.steps.all(),
            [
                ("done", 95),
                ("done", 120),
                ("skipped_for_safety", None),
                ("skipped", None),
            ],
            strict=True,
        )
    ]
    body = response.json()
    assert body["message"].startswith(f"Your {practice.title} session from ")
    assert body["message"].endswith("was added to your record.")
    assert body["url"] == session.get_absolute_url()
    assert client.get("/progress/history/").content.count(b"/progress/sessions/") >= 1


def test_the_same_run_sent_twice_or_from_two_devices_is_recorded_once(practice, user):
    phone, phone_token = csrf_checked(user)
    laptop, laptop_token = csrf_checked(user)

    first = send(phone, run(), token=phone_token)
    again = send(phone, run(), token=phone_token)
    elsewhere = send(laptop, run(), token=laptop_token)

    assert [first.status_code, again.status_code, elsewhere.status_code] == [
        201,
        200,
        200,
    ]
    assert CompletedSession.objects.count() == 1
    assert StepResult.objects.count() == 4
    assert again.json()["url"] == first.json()["url"]


def test_another_persons_run_with_the_same_token_is_their_own(practice, user):
    send(signed_in_client(user), run())
    other = UserFactory(username="sam")

    response = send(signed_in_client(other), run())

    assert response.status_code == 201
    assert CompletedSession.objects.filter(client_token=TOKEN).count() == 2
    assert CompletedSession.objects.filter(user=other).count() == 1


def test_the_get_gives_a_fresh_csrf_token_and_says_who_is_signed_in(practice, user):
    visitor = Client().get(SAVE)
    assert visitor.json()["signedIn"] is False
    assert visitor.json()["csrfToken"]
    assert "no-cache" in visitor["Cache-Control"]

    assert signed_in_client(user).get(SAVE).json()["signedIn"] is True


def test_the_get_names_the_person_signed_in_for_the_phone_to_keep(practice, user):
    assert signed_in_client(user).get(SAVE).json()["person"] == user.pk
    assert "person" not in Client().get(SAVE).json()


def test_a_run_saved_by_someone_else_on_the_phone_is_kept_for_them(practice, user):
    other = UserFactory(username="sam")
    client, token = csrf_checked(user)

    response = send(client, run(owner=other.pk), token=token)

    assert response.status_code == 409
    assert response.json()["code"] == "owner"
    assert response.json()["error"] == (
        "This session was saved on this phone by someone else: "
        "it will be added when they log in."
    )
    assert CompletedSession.objects.count() == 0


def test_a_run_saved_by_the_person_signed_in_is_recorded(practice, user):
    client, token = csrf_checked(user)

    response = send(client, run(owner=user.pk), token=token)

    assert response.status_code == 201
    assert CompletedSession.objects.get().user == user


def test_a_run_saved_by_a_visitor_is_recorded_for_who_logs_in(practice, user):
    client, token = csrf_checked(user)

    response = send(client, run(owner=None), token=token)

    assert response.status_code == 201
    assert CompletedSession.objects.get().user == user


def test_the_get_gives_a_visitor_no_screening(practice):
    assert "screening" not in Client().get(SAVE).json()


def test_the_get_gives_an_unscreened_person_nothing_to_skip(practice, user):
    screening = signed_in_client(user).get(SAVE).json()["screening"]

    assert screening == {"applies": [], "needsClearance": False, "routines": {}}


def test_the_get_gives_the_steps_to_skip_for_safety_with_their_reason(
    practice, user, avoid_warning
):
    services.screening_update(user=user, conditions=[avoid_warning])
    other = UserFactory()

    screening = signed_in_client(user).get(SAVE).json()["screening"]

    assert screening["applies"] == [avoid_warning.pk]
    assert screening["needsClearance"] is False
    assert screening["routines"]["practice"]["needsClearance"] is False
    skips = screening["routines"]["practice"]["skips"]
    assert list(skips) == ["3"]
    assert "Not recommended for you" in skips["3"]
    assert "You told us: Do you have pain running down one leg? Yes." in skips["3"]
    # Only the person's own answers.
    assert signed_in_client(other).get(SAVE).json()["screening"]["routines"] == {}


def test_the_get_says_when_the_doctors_clearance_is_needed_until_confirmed(
    practice, user, consult_warning
):
    services.screening_update(user=user, conditions=[consult_warning])
    client = signed_in_client(user)

    screening = client.get(SAVE).json()["screening"]

    assert screening["applies"] == [consult_warning.pk]
    # The routine's consult warning holds back the routine, not every one.
    assert screening["needsClearance"] is False
    # With what the safety check lists for the doctor to clear: the phone
    # sends back which ones the person confirmed.
    assert screening["routines"]["practice"] == {
        "needsClearance": True,
        "skips": {},
        "clearanceFor": [
            {"pk": consult_warning.pk, "description": consult_warning.description}
        ],
    }

    client.post("/accounts/doctor-clearance/", {"cleared": "on"})
    assert client.get(SAVE).json()["screening"]["routines"] == {}


def test_the_get_says_a_red_flag_needs_the_doctors_clearance_for_every_routine(
    practice, user
):
    flag = red_flag()
    services.screening_update(user=user, conditions=[flag])

    screening = signed_in_client(user).get(SAVE).json()["screening"]

    assert screening["applies"] == [flag.pk]
    assert screening["needsClearance"] is True
    assert screening["routines"]["practice"]["needsClearance"] is True


def test_without_the_csrf_token_nothing_is_saved(practice, user):
    client = signed_in_client(user, enforce_csrf_checks=True)
    client.get(SAVE)

    response = send(client, run())

    assert response.status_code == 403
    assert CompletedSession.objects.count() == 0


def test_a_visitor_is_told_to_log_in_and_nothing_is_saved(practice):
    client = Client(enforce_csrf_checks=True)
    token = client.get(SAVE).json()["csrfToken"]

    response = send(client, run(), token=token)

    assert response.status_code == 401
    assert response.json()["code"] == "login"
    assert "Log in" in response.json()["error"]
    assert CompletedSession.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ("not json", "not in a form BackCare reads"),
        ([1, 2], "not in a form BackCare reads"),
        (run(token="guided:" + "a" * 32), "no valid token"),
        (run(token="offline:" + "z" * 32), "no valid token"),
        (run(acknowledged=False), "safety check was not read"),
        (run(started="yesterday"), "start time is not a date and time"),
        (run(started="2026-01-01T10:00:00"), "start time has no time zone"),
        (
            run(steps=[{"outcome": "done"}] * 3 + [{"outcome": "cheered"}]),
            "Step 4 of the saved session is neither done nor skipped",
        ),
        (
            run(
                steps=[{"outcome": "done", "seconds": "ten"}]
                + [{"outcome": "done"}] * 3
            ),
            "Step 1's time is not a number of seconds",
        ),
        (
            run(steps=[{"outcome": "done", "seconds": -4}] * 4),
            "not a number of seconds",
        ),
        ({"routine": 4}, "names no routine"),
        (run(steps="all done"), "has no steps"),
        (run(steps=[]), "has no steps"),
        (run(overridden=[5]), "not step numbers"),
        (run(overridden=["3"]), "not step numbers"),
        (run(overridden=3), "not step numbers"),
        # Unreadable beside a changed routine: still unreadable.
        (run(token="x", steps=[{"outcome": "done"}]), "no valid token"),
        (run(owner="casey"), "not saved by a person"),
        (run(owner=True), "not saved by a person"),
        (run(pain_after=11), "Pain after"),
    ],
)
def test_bad_data_is_refused_with_a_clear_message_and_nothing_saved(
    practice, user, data, says
):
    client = signed_in_client(user)
    body = data if isinstance(data, str) else json.dumps(data)

    response = client.post(SAVE, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert says in response.json()["error"]
    assert CompletedSession.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "code", "says"),
    [
        # An editor added or removed a step since the phone kept the plan.
        (run(steps=[{"outcome": "done"}] * 3), "changed", "it now has 4 steps"),
        (run(steps=[{"outcome": "done"}] * 5), "changed", "it now has 4 steps"),
        ({**run(), "routine": "removed"}, "changed", "no longer in BackCare"),
        (
            run(finished=(timezone.now() + timedelta(days=2)).isoformat()),
            "clock",
            "more than a day ahead",
        ),
        (
            run(started=(timezone.now() - timedelta(days=91)).isoformat()),
            "too_old",
            "more than 90 days old",
        ),
    ],
)
def test_a_run_that_no_longer_fits_is_kept_on_the_phone_with_a_message(
    practice, user, data, code, says
):
    response = send(signed_in_client(user), data)

    # 409, not 400: the service worker keeps it queued and shows the message.
    assert response.status_code == 409
    assert response.json()["code"] == code
    assert says in response.json()["error"]
    assert CompletedSession.objects.count() == 0
    assert StepResult.objects.count() == 0


def cleared(user, data):
    assert send(signed_in_client(user), data).status_code == 201
    return list(
        StepResult.objects.order_by("order").values_list(
            "outcome", "cleared_by_clinician"
        )
    )


def test_a_flagged_step_shown_after_the_clinicians_clearance_is_recorded_so(
    practice, user, avoid_warning
):
    services.screening_update(user=user, conditions=[avoid_warning])
    steps = run()["steps"]
    steps[2] = {"outcome": "done", "seconds": 60}

    assert cleared(user, run(steps=steps, overridden=[3])) == [
        ("done", False),
        ("done", False),
        ("done", True),
        ("skipped", False),
    ]


def test_steps_not_overridden_or_not_flagged_are_not_recorded_as_cleared(
    practice, user, avoid_warning
):
    steps = run()["steps"]
    steps[2] = {"outcome": "done", "seconds": 60}
    # Flagged and not overridden (a phone from before the field, too): only
    # ever skipped for safety, as the online step's form has it.
    services.screening_update(user=user, conditions=[avoid_warning])
    assert cleared(user, run(steps=steps)) == [
        ("done", False),
        ("done", False),
        ("skipped_for_safety", False),
        ("skipped", False),
    ]
    StepResult.objects.all().delete()
    CompletedSession.objects.all().delete()
    # Overridden, but the person's screening flags no step: online it could
    # not have been overridden.
    services.screening_update(user=user, conditions=[])
    assert cleared(user, run(steps=steps, overridden=[1, 3])) == [
        ("done", False),
        ("done", False),
        ("done", False),
        ("skipped", False),
    ]


def test_a_step_the_screening_marks_sent_as_done_is_skipped_for_safety(catalogue, user):
    # Yes to nerve pain down the legs; the phone says every beginner step was
    # done and names no clinician's override.
    nerve_pain = Contraindication.objects.get(slug="nerve-pain-legs")
    services.screening_update(user=user, conditions=[nerve_pain])
    routine = Routine.objects.get(slug="beginner")
    names = [step.exercise.slug for step in routine.steps.all()]
    flagged = [slug for slug in names if slug == "straight-leg-raises"]
    assert flagged, names
    data = run(
        routine="beginner",
        steps=[{"outcome": "done", "seconds": 60} for _ in names],
    )

    response = send(signed_in_client(user), data)

    assert response.status_code == 201
    recorded = {
        step.exercise.slug: (step.outcome, step.cleared_by_clinician, step.seconds)
        for step in StepResult.objects.select_related("exercise")
    }
    assert recorded["straight-leg-raises"] == ("skipped_for_safety", False, None)
    assert [recorded[slug][0] for slug in names if slug not in flagged] == ["done"] * (
        len(names) - 1
    )
    # Not counted as exercised on the dashboard's figures either.
    session = CompletedSession.objects.get()
    assert session.steps.filter(outcome="done").count() == len(names) - 1


def test_a_step_the_screening_marks_is_done_with_the_clinicians_override(
    catalogue, user
):
    nerve_pain = Contraindication.objects.get(slug="nerve-pain-legs")
    services.screening_update(user=user, conditions=[nerve_pain])
    names = [
        step.exercise.slug for step in Routine.objects.get(slug="beginner").steps.all()
    ]
    number = names.index("straight-leg-raises") + 1
    data = run(
        routine="beginner",
        steps=[{"outcome": "done", "seconds": 60} for _ in names],
        overridden=[number],
    )

    assert send(signed_in_client(user), data).status_code == 201

    step = StepResult.objects.get(exercise__slug="straight-leg-raises")
    assert (step.outcome, step.cleared_by_clinician, step.seconds) == (
        "done",
        True,
        60,
    )


def test_pain_errors_name_the_rating(practice, user):
    response = send(signed_in_client(user), run(pain_after=11))

    assert "10" in response.json()["error"]


def test_a_screening_asking_for_the_doctors_clearance_refuses_until_confirmed(
    practice, user, consult_warning
):
    services.screening_update(user=user, conditions=[consult_warning])
    client = signed_in_client(user)

    refused = send(client, run())

    assert refused.status_code == 409
    assert refused.json()["code"] == "refused"
    assert "talk to your doctor" in refused.json()["error"]
    assert CompletedSession.objects.count() == 0

    client.post("/accounts/doctor-clearance/", {"cleared": "on"})
    assert send(client, run()).status_code == 201
    assert CompletedSession.objects.count() == 1


def test_a_clearance_confirmed_offline_is_recorded_with_the_session(
    practice, user, consult_warning
):
    services.screening_update(user=user, conditions=[consult_warning])
    client = signed_in_client(user)

    shown = client.get(SAVE).json()["screening"]["routines"]["practice"]

    answer = send(client, confirmed(user, shown))

    assert answer.status_code == 201
    user.refresh_from_db()
    # As the safety check's form records it (accounts:doctor_clearance).
    assert user.doctor_cleared_on == timezone.localdate()
    assert CompletedSession.objects.get().client_token == TOKEN
    assert client.get(SAVE).json()["screening"]["routines"] == {}


def confirmed(user, shown, **changes):
    """A run of the person's whose offline safety check showed ``shown``."""
    pks = [warning["pk"] for warning in shown["clearanceFor"]]
    data = {"owner": user.pk, "doctor_cleared": True, "doctor_cleared_for": pks}
    return run(**{**data, **changes})


def test_a_red_flag_answered_elsewhere_after_the_offline_clearance_refuses_it(
    practice, user, consult_warning
):
    # The phone kept the screening: the safety check asks the doctor to clear
    # the consult warning, and the person confirms it offline.
    services.screening_update(user=user, conditions=[consult_warning])
    client = signed_in_client(user)
    # Meanwhile, on another device, they answer yes to a red flag.
    services.screening_update(user=user, conditions=[consult_warning, red_flag()])

    answer = send(
        client,
        run(
            owner=user.pk, doctor_cleared=True, doctor_cleared_for=[consult_warning.pk]
        ),
    )

    # Kept on the phone: the red flag was never shown to be cleared.
    assert answer.status_code == 409
    assert answer.json()["code"] == "refused"
    user.refresh_from_db()
    assert user.doctor_cleared_on is None
    assert CompletedSession.objects.count() == 0


def test_a_clearance_not_covering_all_the_screening_asks_now_is_refused(practice, user):
    first, second = red_flag(), red_flag(slug="night-pain", title="Pain at night")
    services.screening_update(user=user, conditions=[first, second])
    client = signed_in_client(user)

    def sent(**changes):
        return send(client, run(doctor_cleared=True, **changes))

    one_missing = sent(owner=user.pk, doctor_cleared_for=[first.pk])
    without_owner = sent(doctor_cleared_for=[first.pk, second.pk])
    none_shown = sent(owner=user.pk)
    not_pks = sent(owner=user.pk, doctor_cleared_for="all")
    yes_for_pks = sent(owner=user.pk, doctor_cleared_for=[True, True])

    refused = [one_missing, without_owner, none_shown]
    assert [answer.status_code for answer in refused] == [409] * 3
    # Not a list of warnings: no phone sends it, it never will be recorded.
    assert [not_pks.status_code, yes_for_pks.status_code] == [400, 400]
    user.refresh_from_db()
    assert user.doctor_cleared_on is None
    assert CompletedSession.objects.count() == 0
    assert (
        sent(owner=user.pk, doctor_cleared_for=[second.pk, first.pk]).status_code == 201
    )


def test_a_clearance_sent_with_a_run_refused_otherwise_is_not_recorded(
    practice, user, consult_warning
):
    services.screening_update(user=user, conditions=[consult_warning])
    client = signed_in_client(user)
    shown = client.get(SAVE).json()["screening"]["routines"]["practice"]

    bad_pain = send(client, confirmed(user, shown, pain_after=11))
    # Only what the safety check showed clears: a bare "yes" does not.
    not_listed = send(client, run(owner=user.pk, doctor_cleared=True))
    someone_elses = send(client, confirmed(user, shown, owner=user.pk + 1))

    assert bad_pain.status_code == 400
    assert not_listed.status_code == 409
    assert someone_elses.json()["code"] == "owner"
    user.refresh_from_db()
    assert user.doctor_cleared_on is None
    assert CompletedSession.objects.count() == 0


def test_a_clearance_sent_by_someone_cleared_already_keeps_its_date(
    practice, user, consult_warning
):
    services.screening_update(user=user, conditions=[consult_warning])
    type(user).objects.filter(pk=user.pk).update(
        doctor_cleared_on=timezone.localdate() - timedelta(days=30)
    )

    answer = send(
        signed_in_client(user),
        run(owner=user.pk, doctor_cleared_for=[consult_warning.pk]),
    )

    assert answer.status_code == 201
    user.refresh_from_db()
    assert user.doctor_cleared_on == timezone.localdate() - timedelta(days=30)


def test_only_get_and_post_are_answered(practice, user):
    assert signed_in_client(user).put(SAVE).status_code == 405


# A routine whose steps are alternatives: one picked per session (issue 27.9)


def aerobic(**changes):
    """The seed's aerobic routine run offline: the treadmill picked, done."""
    picked = {
        "routine": "aerobic",
        "chosen": 2,
        "steps": [{"outcome": "done", "seconds": 1500}],
    }
    return run(**{**picked, **changes})


def test_a_session_of_the_step_picked_among_alternatives_records_it_alone(
    catalogue, user
):
    response = send(signed_in_client(user), aerobic())

    assert response.status_code == 201
    session = CompletedSession.objects.get()
    assert session.routine.slug == "aerobic"
    assert [
        (step.exercise_name, step.order, step.outcome, step.seconds)
        for step in session.steps.order_by("order")
    ] == [("Treadmill", 2, "done", 1500)]


def assert_not_saved(response, status, code, says):
    """Answered with ``status`` and ``code``, an error that ``says`` why, and
    nothing saved."""
    assert response.status_code == status
    assert response.json()["code"] == code
    assert says in response.json()["error"]
    assert CompletedSession.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (
            aerobic(steps=[{"outcome": "done", "seconds": 1500}] * 2),
            "one of its steps",
        ),
        (aerobic(chosen=0), "not a step number"),
        (aerobic(chosen="2"), "not a step number"),
        (aerobic(chosen=True), "not a step number"),
        (aerobic(overridden=[1]), "not step numbers"),
    ],
)
def test_a_session_of_alternatives_is_the_one_picked_or_refused(
    catalogue, user, data, says
):
    assert_not_saved(send(signed_in_client(user), data), 400, "invalid", says)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        # Both steps run one after the other: a phone that kept the plan
        # from before the steps became alternatives.
        (
            run(
                routine="aerobic",
                steps=[{"outcome": "done", "seconds": 1500}] * 2,
            ),
            "one of them, picked on the safety check",
        ),
        (aerobic(chosen=3), "it now has 2 steps"),
        (aerobic(routine="beginner"), "are no longer alternatives"),
    ],
)
def test_a_session_of_alternatives_that_no_longer_fits_is_kept_on_the_phone(
    catalogue, user, data, says
):
    assert_not_saved(send(signed_in_client(user), data), 409, "changed", says)
