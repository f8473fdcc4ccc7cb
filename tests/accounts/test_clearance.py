"""
The doctor's clearance holds on every guided page: one rule, asked everywhere.

A person whose screening says to see a doctor first (a consult-a-doctor
warning of the routine, or any red flag) and who has not confirmed their
doctor's clearance cannot run a guided step, open the finish page or save the
session, however they got there: the safety check is where they are sent.
"""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from accounts import services
from accounts.models import CompletedSession
from exercises.cache import cached_plan
from exercises.guide import GuidedSession, Refusal, refusal
from exercises.models import Contraindication, Severity
from exercises.screening import UNSCREENED, Screening
from tests.factories import (
    ContraindicationFactory,
    RoutineFactory,
    RoutineStepFactory,
    UserFactory,
)
from tests.helpers import text_of

GUIDE = "/routines/beginner/guide/"
FINISH = f"{GUIDE}finish/"
SAVE = "/progress/save/beginner/"
CONTINUE = "Continue at step 3 of 6"
REFUSED = "Please confirm your doctor's clearance on the safety check"


@pytest.fixture
def bladder(catalogue):
    return Contraindication.objects.get(slug="bladder-bowel")


@pytest.fixture
def mid_run(catalogue):
    """A visitor who acknowledged the safety check and did steps 1 and 2."""
    client = Client()
    assert client.post(GUIDE, {"acknowledged": "on"}).status_code == 302
    for number in (1, 2):
        assert client.post(f"{GUIDE}{number}/", {"action": "done"}).status_code == 302
    return client


def answer_screening(client, yes=()):
    """Post the screening form: yes to ``yes``, no to every other question."""
    data = {
        f"condition_{warning.pk}": "yes" if warning in yes else "no"
        for warning in Contraindication.objects.screened()
    }
    response = client.post("/accounts/screening/", data)
    assert response.status_code == 302
    return response


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def assert_sent_to_the_safety_check(response):
    assert response.status_code == 302
    assert response.url == GUIDE
    assert any(REFUSED in message for message in messages_of(response))


@pytest.fixture
def consulting_mid_run(mid_run, disc):
    """The visitor logs in mid-run and answers yes to disc damage, no clearance."""
    user = UserFactory(username="robin")
    mid_run.force_login(user)
    answer_screening(mid_run, yes=[disc])
    return mid_run


@pytest.mark.parametrize("path", [f"{GUIDE}1/", f"{GUIDE}3/", f"{GUIDE}6/", FINISH])
def test_a_step_or_the_finish_page_sends_an_uncleared_person_to_the_safety_check(
    consulting_mid_run, path
):
    assert_sent_to_the_safety_check(consulting_mid_run.get(path))


def test_marking_a_step_is_refused_and_records_nothing(consulting_mid_run):
    response = consulting_mid_run.post(f"{GUIDE}3/", {"action": "done"})

    assert_sent_to_the_safety_check(response)
    guide = GuidedSession(consulting_mid_run.session, "beginner")
    assert guide.outcome(3) is None


def test_the_save_is_refused_and_keeps_nothing(consulting_mid_run):
    response = consulting_mid_run.post(SAVE, {"pain_before": "4", "pain_after": "3"})

    assert_sent_to_the_safety_check(response)
    assert CompletedSession.objects.count() == 0


def test_the_safety_check_asks_for_the_clearance_and_hides_continue(
    consulting_mid_run,
):
    response = consulting_mid_run.get(GUIDE)

    page = text_of(response)
    assert response.status_code == 200
    assert "Your doctor's clearance" in page
    assert "My doctor has cleared me to do these exercises" in page
    assert CONTINUE not in page
    refused = consulting_mid_run.post(GUIDE, {"acknowledged": "on"})
    assert refused.status_code == 400
    assert "please confirm that your doctor has cleared you" in text_of(refused)


def test_after_the_clearance_the_run_goes_on_where_it_was(consulting_mid_run):
    cleared = consulting_mid_run.post(
        "/accounts/doctor-clearance/", {"cleared": "on", "next": GUIDE}
    )
    assert cleared.status_code == 302

    assert CONTINUE in text_of(consulting_mid_run.get(GUIDE))
    assert consulting_mid_run.get(f"{GUIDE}3/").status_code == 200
    assert consulting_mid_run.post(f"{GUIDE}3/", {"action": "done"}).status_code == 302
    assert consulting_mid_run.get(FINISH).status_code == 200
    saved = consulting_mid_run.post(SAVE, {"pain_before": "4", "pain_after": "3"})
    assert saved.status_code == 302
    assert CompletedSession.objects.get().user.username == "robin"


def test_a_red_flag_answered_after_the_clearance_asks_for_it_again(
    consulting_mid_run, disc, bladder
):
    consulting_mid_run.post(
        "/accounts/doctor-clearance/", {"cleared": "on", "next": GUIDE}
    )
    assert consulting_mid_run.get(f"{GUIDE}3/").status_code == 200

    response = answer_screening(consulting_mid_run, yes=[disc, bladder])

    assert any(
        "confirm your doctor's clearance again" in message
        for message in messages_of(response)
    )
    assert_sent_to_the_safety_check(consulting_mid_run.get(f"{GUIDE}3/"))


def test_answers_unchanged_keep_the_clearance(consulting_mid_run, disc):
    consulting_mid_run.post(
        "/accounts/doctor-clearance/", {"cleared": "on", "next": GUIDE}
    )

    answer_screening(consulting_mid_run, yes=[disc])

    assert consulting_mid_run.get(f"{GUIDE}3/").status_code == 200


def test_a_red_flag_asks_for_the_clearance_on_a_routine_without_a_consult_warning(
    db, catalogue, bladder
):
    routine = RoutineFactory(slug="gentle", title="Gentle")
    RoutineStepFactory(routine=routine, order=1)
    client = Client()
    client.force_login(UserFactory())
    assert client.post("/routines/gentle/guide/", {"acknowledged": "on"}).url == (
        "/routines/gentle/guide/1/"
    )

    answer_screening(client, yes=[bladder])

    response = client.get("/routines/gentle/guide/1/")
    assert response.status_code == 302
    assert response.url == "/routines/gentle/guide/"
    gate = text_of(client.get("/routines/gentle/guide/"))
    assert "Your doctor's clearance" in gate
    assert bladder.description in gate


def test_a_consult_warning_of_another_routine_asks_nothing_here(db):
    elsewhere = ContraindicationFactory(
        severity=Severity.CONSULT, screening_question="Pregnant?"
    )
    RoutineFactory(slug="other", contraindications=[elsewhere])
    routine = RoutineFactory(slug="gentle")
    RoutineStepFactory(routine=routine, order=1)
    client = Client()
    user = UserFactory()
    client.force_login(user)
    services.screening_update(user=user, conditions=[elsewhere])
    client.post("/routines/gentle/guide/", {"acknowledged": "on"})

    assert client.get("/routines/gentle/guide/1/").status_code == 200


def test_a_session_finished_as_a_visitor_waits_for_the_clearance_at_log_in(
    catalogue, disc
):
    user = UserFactory(username="robin")
    services.screening_update(user=user, conditions=[disc])
    client = Client()
    client.post(GUIDE, {"acknowledged": "on"})
    for number in range(1, 7):
        client.post(f"{GUIDE}{number}/", {"action": "done"})
    assert client.post(SAVE, {"pain_before": "5"}).url == "/accounts/signup/"

    response = client.post(
        "/accounts/login/",
        {"username": "robin", "password": "correct horse battery staple"},
    )

    assert response.status_code == 302
    assert CompletedSession.objects.count() == 0
    assert any(
        "confirm your doctor's clearance first" in message
        for message in messages_of(response)
    )
    client.post("/accounts/doctor-clearance/", {"cleared": "on", "next": GUIDE})
    assert client.get(FINISH).status_code == 200
    assert client.post(SAVE, {"pain_before": "5"}).status_code == 302
    assert CompletedSession.objects.get().pain_before == 5


# The rule itself


class Guide:
    def __init__(self, acknowledged):
        self.acknowledged = acknowledged


def test_the_rule_asks_for_the_clearance_before_anything_else(catalogue, disc):
    plan = cached_plan("beginner")
    consulting = Screening(signed_in=True, answered=True, applies=frozenset({disc.pk}))

    assert refusal(Guide(False), consulting, plan) is Refusal.NEEDS_CLEARANCE
    assert refusal(Guide(True), consulting, plan) is Refusal.NEEDS_CLEARANCE
    assert refusal(Guide(False), UNSCREENED, plan) is Refusal.NOT_ACKNOWLEDGED
    assert refusal(Guide(True), UNSCREENED, plan) is None


def test_the_rule_lets_a_cleared_person_run(catalogue, disc, bladder):
    plan = cached_plan("beginner")
    cleared = Screening(
        signed_in=True,
        answered=True,
        applies=frozenset({disc.pk, bladder.pk}),
        red_flags=(bladder,),
        doctor_cleared_on="2026-11-27",
    )

    assert refusal(Guide(True), cleared, plan) is None


def test_a_red_flag_alone_asks_for_the_clearance(catalogue, bladder):
    plan = cached_plan("aerobic")
    flagged = Screening(
        signed_in=True,
        answered=True,
        applies=frozenset({bladder.pk}),
        red_flags=(bladder,),
    )

    assert refusal(Guide(True), flagged, plan) is Refusal.NEEDS_CLEARANCE
