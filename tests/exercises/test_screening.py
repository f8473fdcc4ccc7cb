"""
What a person's health screening decides (``exercises.screening.Screening``),
and how the catalogue's pages act on it: the steps it advises against, the
doctor's clearance it asks for, and the red flags said before any exercise.

The pages are driven by a person signed in through the accounts app, whose
middleware hands each request its ``Screening``.
"""

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from accounts import services
from exercises.cache import cached_plan
from exercises.guide import GuidedRun, Refusal, refusal
from exercises.models import Contraindication, RoutineStep, Severity, StepOutcome
from exercises.screening import UNSCREENED, Screening
from tests.factories import (
    ContraindicationFactory,
    RoutineFactory,
    RoutineStepFactory,
    UserFactory,
    person_with,
    red_flag,
    urgent_flag,
)
from tests.helpers import (
    articles_of,
    assert_summary,
    edit_warning,
    html,
    text_of,
)

GUIDE = "/routines/practice/guide/"
ROUTINE = "/routines/practice/"
AVOID_QUESTION = "Do you have pain running down one leg?"
AVOID_REASON = "Avoid this exercise if you have pain running down one leg."
NOT_RECOMMENDED = "Not recommended for you"
OVERRIDE = "My clinician has cleared me — show it anyway"
SHOWN_ANYWAY = "Shown because you said your clinician has cleared you for it."
FLAGGED_DONE = "This exercise is not recommended for you."
NOTHING_TO_OVERRIDE = "This step is not flagged by your screening."
NEEDS_CLEARANCE = (
    "Your screening says to talk to your doctor first: please confirm that "
    "your doctor has cleared you before you start."
)
REFUSED = "Please confirm your doctor's clearance on the safety check"
CONTINUE = "Continue at step 3 of 4"
URGENT = "Get medical help urgently, before any exercise"
SEE_A_DOCTOR = "See a doctor before you exercise"
RED_FLAG_LIST = "see a doctor instead if you have any of these"


@pytest.fixture
def flagged(avoid_warning):
    """A person who answered yes to the avoid-warning of step 3 only."""
    return person_with(avoid_warning)[0]


@pytest.fixture
def consulting(consult_warning):
    """A person who answered yes to the routine's consult-warning, not cleared."""
    return person_with(consult_warning)[0]


def step_cards(response):
    """Step number → the text of its card on the routine page."""
    return {
        int(id_.removeprefix("step-")): text
        for id_, text in articles_of(response).items()
        if id_ and id_.startswith("step-")
    }


def start(client, path=GUIDE):
    response = client.post(path, {"acknowledged": "on"})
    assert response.status_code == 302
    assert response.url == f"{path}1/"


def do_steps(client, numbers):
    for number in numbers:
        response = client.post(f"{GUIDE}{number}/", {"action": "done"})
        assert response.status_code == 302


def run_of(client):
    return GuidedRun(client.session, "practice")


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def assert_sent_to_the_safety_check(response):
    assert response.status_code == 302
    assert response.url == GUIDE
    assert any(REFUSED in message for message in messages_of(response))


# The Screening itself


def test_only_avoid_answers_flag_steps(avoid_warning, consult_warning):
    steps = list(RoutineStep.objects.in_routine("practice"))

    assert UNSCREENED.flagged_numbers(steps) == frozenset()
    consult = Screening(applies=frozenset({consult_warning.pk}))
    assert consult.flagged_numbers(steps) == set()
    screening = Screening(applies=frozenset({avoid_warning.pk}))
    assert screening.flagged_numbers(steps) == {3}
    assert screening.reasons_to_avoid(steps[2]) == [avoid_warning]
    assert screening.reasons_to_avoid(steps[0]) == []


def test_only_consult_answers_ask_for_a_clearance(avoid_warning, consult_warning):
    warnings = [avoid_warning, consult_warning]
    both = Screening(applies=frozenset({avoid_warning.pk, consult_warning.pk}))
    avoid = Screening(applies=frozenset({avoid_warning.pk}))

    assert both.consult_warnings(warnings) == [consult_warning]
    assert both.needs_clearance(warnings) is True
    assert avoid.consult_warnings(warnings) == []
    assert avoid.needs_clearance(warnings) is False


def test_a_red_flag_asks_for_a_clearance_whatever_the_routine(db):
    urgent, other = urgent_flag(), red_flag()
    screening = Screening(
        applies=frozenset({urgent.pk, other.pk}), red_flags=(urgent, other)
    )

    assert screening.clearance_asked_for([]) == [urgent, other]
    assert screening.needs_clearance([]) is True
    assert screening.urgent_flags == [urgent]
    assert screening.other_flags == [other]


def test_a_clearance_answers_what_it_asks_for(consult_warning):
    flag = urgent_flag()
    cleared = Screening(
        applies=frozenset({consult_warning.pk, flag.pk}),
        red_flags=(flag,),
        doctor_cleared_on="2026-11-27",
    )

    assert cleared.clearance_asked_for([consult_warning]) == [flag, consult_warning]
    assert cleared.needs_clearance([consult_warning]) is False


def test_a_confirmed_clearance_must_cover_all_that_is_asked_now(consult_warning):
    flag = urgent_flag()
    consult_only = Screening(applies=frozenset({consult_warning.pk}))
    with_a_flag = Screening(
        applies=frozenset({consult_warning.pk, flag.pk}), red_flags=(flag,)
    )
    warnings = [consult_warning]

    assert consult_only.clearance_covered_by(warnings, [consult_warning.pk])
    # A red flag answered since the page showed only the consult warning.
    assert not with_a_flag.clearance_covered_by(warnings, [consult_warning.pk])
    assert with_a_flag.clearance_covered_by(warnings, [flag.pk, consult_warning.pk])
    # Nothing asked: nothing to confirm.
    assert not UNSCREENED.clearance_covered_by(warnings, [consult_warning.pk])


# The guide's one rule, as the screening decides it


class Guide:
    def __init__(self, acknowledged):
        self.acknowledged = acknowledged


def test_the_rule_asks_for_the_clearance_before_anything_else(consult_warning):
    plan = cached_plan("practice")
    consulting = Screening(
        signed_in=True, answered=True, applies=frozenset({consult_warning.pk})
    )

    assert refusal(Guide(False), consulting, plan) is Refusal.NEEDS_CLEARANCE
    assert refusal(Guide(True), consulting, plan) is Refusal.NEEDS_CLEARANCE
    assert refusal(Guide(False), UNSCREENED, plan) is Refusal.NOT_ACKNOWLEDGED
    assert refusal(Guide(True), UNSCREENED, plan) is None


def test_the_rule_lets_a_cleared_person_run(consult_warning):
    flag = urgent_flag()
    plan = cached_plan("practice")
    cleared = Screening(
        signed_in=True,
        answered=True,
        applies=frozenset({consult_warning.pk, flag.pk}),
        red_flags=(flag,),
        doctor_cleared_on="2026-11-27",
    )

    assert refusal(Guide(True), cleared, plan) is None


def test_a_red_flag_alone_asks_for_the_clearance(db):
    flag = urgent_flag()
    routine = RoutineFactory(slug="gentle")
    RoutineStepFactory(routine=routine, order=1)
    flagged = Screening(
        signed_in=True, answered=True, applies=frozenset({flag.pk}), red_flags=(flag,)
    )

    assert refusal(Guide(True), flagged, cached_plan("gentle")) is (
        Refusal.NEEDS_CLEARANCE
    )


# The routine page


def test_the_routine_page_marks_step_3_not_recommended_with_the_reason(flagged):
    response = flagged.get(ROUTINE)

    cards = step_cards(response)
    assert response.status_code == 200
    assert sorted(cards) == [1, 2, 3, 4]
    assert f"You told us: {AVOID_QUESTION} Yes. {AVOID_REASON}" in cards[3]
    assert [n for n, card in cards.items() if NOT_RECOMMENDED in card] == [3]
    assert text_of(response).count(NOT_RECOMMENDED) == 1


def test_the_mark_is_personal_to_whoever_answered_yes(flagged):
    anonymous = Client()
    other, _ = person_with()

    # Each order: a page kept for one must not be shown to another.
    first_visitor = anonymous.get(ROUTINE)
    mine = flagged.get(ROUTINE)
    theirs = other.get(ROUTINE)
    second_visitor = anonymous.get(ROUTINE)

    assert NOT_RECOMMENDED in text_of(mine)
    for response in (first_visitor, theirs, second_visitor):
        assert response.status_code == 200
        assert NOT_RECOMMENDED not in text_of(response)


def test_a_visitor_sees_every_warning_and_an_invitation_to_the_screening(
    client, practice
):
    response = client.get(ROUTINE)

    page = text_of(response)
    assert '<a href="/accounts/signup/">Create an account</a>' in html(response)
    assert "answer a few health questions" in page
    assert (
        "Consult a doctor: Talk to your doctor first if you had back surgery "
        "this year." in page
    )
    assert f"Avoid: {AVOID_REASON}" in step_cards(response)[3]
    assert NOT_RECOMMENDED not in page


def test_a_person_who_answered_no_sees_the_warning_without_the_mark(practice):
    client, _ = person_with()

    response = client.get(ROUTINE)

    page = text_of(response)
    assert f"Avoid: {AVOID_REASON}" in step_cards(response)[3]
    assert NOT_RECOMMENDED not in page
    assert "Create an account" not in page
    assert "Answer the health screening" not in page


def test_a_consult_answer_alone_marks_no_step(consulting):
    assert NOT_RECOMMENDED not in text_of(consulting.get(ROUTINE))


def test_every_step_is_flagged_when_every_exercise_is_advised_against(practice):
    extra = [
        ContraindicationFactory(
            severity=Severity.AVOID, screening_question=f"Question {n}?"
        )
        for n in range(10)
    ]
    for step in RoutineStep.objects.in_routine("practice"):
        step.exercise.contraindications.add(*extra)
    client, _ = person_with(*extra)

    cards = step_cards(client.get(ROUTINE))

    assert all(NOT_RECOMMENDED in card for card in cards.values())
    assert "You told us: Question 9? Yes." in cards[1]


# A step the screening advises against, in the guided run


def test_the_flagged_step_is_shown_skipped_for_safety_with_the_reason(flagged):
    start(flagged)

    response = flagged.get(f"{GUIDE}3/")

    page = text_of(response)
    assert response.status_code == 200
    assert "Leg stretch" in page
    assert "Skipped for safety" in page
    assert NOT_RECOMMENDED in page
    assert f"You told us: {AVOID_QUESTION} Yes. {AVOID_REASON}" in page
    assert "marked as skipped for safety because of your health screening" in page
    assert OVERRIDE in page
    assert "Continue to the next step →" in page
    assert "Done, next step →" not in page
    assert "How to do it" not in page


def test_the_other_steps_of_a_flagged_person_are_ordinary(flagged):
    start(flagged)

    for number in (1, 2, 4):
        page = text_of(flagged.get(f"{GUIDE}{number}/"))
        assert "Skipped for safety" not in page
        assert OVERRIDE not in page
        assert "How to do it" in page
        assert "Done, next step →" in page or "Done, finish →" in page


def test_done_on_the_flagged_step_without_the_override_answers_400(flagged):
    start(flagged)
    do_steps(flagged, [1, 2])

    response = flagged.post(f"{GUIDE}3/", {"action": "done"})

    assert response.status_code == 400
    assert FLAGGED_DONE in text_of(response)
    assert "Skipped for safety" in text_of(response)
    assert run_of(flagged).outcome(3) is None


def test_continuing_past_the_flagged_step_records_it_skipped_for_safety(flagged):
    start(flagged)
    do_steps(flagged, [1, 2])

    response = flagged.post(f"{GUIDE}3/", {"action": "skip"})
    do_steps(flagged, [4])

    assert response.status_code == 302
    assert response.url == f"{GUIDE}4/"
    assert run_of(flagged).outcome(3) is StepOutcome.SKIPPED_FOR_SAFETY
    assert "Marked: Skipped for safety" in text_of(flagged.get(f"{GUIDE}3/"))
    finish = html(flagged.get(f"{GUIDE}finish/"))
    assert finish.count("outcome-done") == 3
    assert 'outcome-skipped_for_safety">Skipped for safety</span>' in finish


def test_the_override_shows_the_ordinary_step_and_done_is_recorded(flagged):
    start(flagged)
    do_steps(flagged, [1, 2])

    override = flagged.post(f"{GUIDE}3/", {"action": "override"})
    shown = flagged.get(f"{GUIDE}3/")
    done = flagged.post(f"{GUIDE}3/", {"action": "done"})

    assert override.status_code == 302
    assert override.url == f"{GUIDE}3/"
    page = text_of(shown)
    assert SHOWN_ANYWAY in page
    assert "How to do it" in page
    assert "Done, next step →" in page
    assert OVERRIDE not in page
    assert done.status_code == 302
    assert done.url == f"{GUIDE}4/"
    run = run_of(flagged)
    assert run.outcome(3) is StepOutcome.DONE
    assert [n for n in range(1, 5) if run.is_overridden(n)] == [3]


@pytest.mark.parametrize("number", [1, 4])
def test_override_on_a_step_that_is_not_flagged_answers_400(flagged, number):
    start(flagged)

    response = flagged.post(f"{GUIDE}{number}/", {"action": "override"})

    assert response.status_code == 400
    assert NOTHING_TO_OVERRIDE in text_of(response)
    run = run_of(flagged)
    assert run.outcome(number) is None
    assert not any(run.is_overridden(n) for n in range(1, 5))


def test_override_answers_400_for_someone_whose_screening_flags_nothing(practice):
    client, _ = person_with()
    start(client)

    response = client.post(f"{GUIDE}3/", {"action": "override"})

    assert response.status_code == 400
    assert NOTHING_TO_OVERRIDE in text_of(response)


def test_a_visitor_gets_the_ordinary_step_3_with_its_warning(client, practice):
    start(client)

    page = text_of(client.get(f"{GUIDE}3/"))

    assert f"Avoid: {AVOID_REASON}" in page
    assert "Skip this exercise" in page
    assert "How to do it" in page
    assert "Skipped for safety" not in page
    assert OVERRIDE not in page


def test_a_question_edited_in_admin_is_the_reason_given_on_the_flagged_step(
    flagged, avoid_warning, content_editor, django_capture_on_commit_callbacks
):
    # The guide's steps come from the cache: an admin save must renew them.
    assert AVOID_QUESTION in text_of(flagged.get(ROUTINE))
    start(flagged)
    assert AVOID_QUESTION in text_of(flagged.get(f"{GUIDE}3/"))
    new_question = "Does pain shoot down the back of your leg?"
    editor = Client()
    editor.force_login(content_editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = edit_warning(editor, avoid_warning, screening_question=new_question)

    assert response.status_code == 302
    assert new_question in step_cards(flagged.get(ROUTINE))[3]
    assert f"You told us: {new_question} Yes." in text_of(flagged.get(f"{GUIDE}3/"))


# The doctor's clearance, asked on the safety check and held on every step


def test_the_safety_check_asks_to_confirm_the_doctors_clearance(
    consulting, consult_warning
):
    response = consulting.get(GUIDE)

    page = text_of(response)
    assert response.status_code == 200
    assert "Your doctor's clearance" in page
    assert f"Your health screening says: {consult_warning.description}" in page
    assert "Please confirm that your doctor has cleared you before you start." in page
    assert 'action="/accounts/doctor-clearance/"' in html(response)
    assert f'name="next" value="{GUIDE}"' in html(response)
    assert "My doctor has cleared me to do these exercises" in page


def test_starting_without_the_doctors_clearance_answers_400(consulting):
    response = consulting.post(GUIDE, {"acknowledged": "on"})

    assert response.status_code == 400
    assert NEEDS_CLEARANCE in text_of(response)
    assert run_of(consulting).acknowledged is False
    redirected = consulting.get(f"{GUIDE}1/")
    assert redirected.status_code == 302
    assert redirected.url == GUIDE


@pytest.fixture
def consulting_mid_run(client, consult_warning):
    """A visitor did steps 1 and 2, then logged in: yes to the consult-warning."""
    start(client)
    do_steps(client, [1, 2])
    user = UserFactory(username="robin")
    services.screening_update(user=user, conditions=[consult_warning])
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", ["1/", "3/", "4/", "finish/"])
def test_a_step_or_the_finish_page_sends_an_uncleared_person_to_the_safety_check(
    consulting_mid_run, path
):
    assert_sent_to_the_safety_check(consulting_mid_run.get(f"{GUIDE}{path}"))


def test_marking_a_step_is_refused_and_records_nothing(consulting_mid_run):
    response = consulting_mid_run.post(f"{GUIDE}3/", {"action": "done"})

    assert_sent_to_the_safety_check(response)
    assert run_of(consulting_mid_run).outcome(3) is None


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


def test_a_red_flag_asks_for_the_clearance_on_a_routine_without_a_consult_warning(
    db,
):
    flag = urgent_flag()
    routine = RoutineFactory(slug="gentle", title="Gentle")
    RoutineStepFactory(routine=routine, order=1)
    client, user = person_with()
    start(client, "/routines/gentle/guide/")

    services.screening_update(user=user, conditions=[flag])

    response = client.get("/routines/gentle/guide/1/")
    assert response.status_code == 302
    assert response.url == "/routines/gentle/guide/"
    gate = text_of(client.get("/routines/gentle/guide/"))
    assert "Your doctor's clearance" in gate
    assert flag.description in gate


def test_a_consult_warning_of_another_routine_asks_nothing_here(db):
    elsewhere = ContraindicationFactory(
        severity=Severity.CONSULT, screening_question="Pregnant?"
    )
    RoutineFactory(slug="other", contraindications=[elsewhere])
    routine = RoutineFactory(slug="gentle")
    RoutineStepFactory(routine=routine, order=1)
    client, _ = person_with(elsewhere)
    start(client, "/routines/gentle/guide/")

    assert client.get("/routines/gentle/guide/1/").status_code == 200


def test_no_clearance_is_asked_of_someone_who_answered_no(practice):
    client, _ = person_with()

    gate = client.get(GUIDE)

    assert "Your doctor's clearance" not in text_of(gate)
    start(client)


def test_a_visitor_can_start_without_a_clearance(client, practice):
    gate = client.get(GUIDE)

    assert "Consult a doctor" in text_of(gate)
    assert '<a href="/accounts/signup/">Create an account</a>' in html(gate)
    assert "Your doctor's clearance" not in text_of(gate)
    assert "data-error-summary" not in html(gate)
    start(client)


def test_the_safety_check_unticked_has_an_error_summary(client, practice):
    response = client.post(GUIDE, {})

    assert_summary(
        response,
        ["id_acknowledged"],
        after="<h1>Before you start: safety check</h1>",
        messages=["Please confirm that you have read the warnings."],
        described=["acknowledged"],
    )


# Red flags: said first, before any exercise


def test_an_urgent_yes_is_said_first_on_the_routine_page(practice):
    client, _ = person_with(urgent_flag())

    page = text_of(client.get(ROUTINE))

    assert URGENT in page
    assert page.index(URGENT) < page.index("Consult a doctor:")
    assert page.index(URGENT) < page.index("Steps")


def test_an_urgent_yes_is_said_first_on_the_safety_check(practice):
    client, _ = person_with(urgent_flag())

    page = text_of(client.get(GUIDE))

    assert URGENT in page
    assert page.index(URGENT) < page.index("Please read every warning below")
    # Their own answers replace the general list they were asked already.
    assert RED_FLAG_LIST not in page


@pytest.mark.parametrize("path", [ROUTINE, GUIDE])
def test_an_other_red_flag_says_to_see_a_doctor_before_exercising(practice, path):
    flag = red_flag()
    client, _ = person_with(flag)

    page = text_of(client.get(path))

    assert SEE_A_DOCTOR in page
    assert URGENT not in page
    assert flag.title in page


@pytest.mark.parametrize("path", [ROUTINE, GUIDE])
def test_no_red_flag_no_alert(avoid_warning, consult_warning, path):
    urgent_flag()
    client, _ = person_with(avoid_warning, consult_warning)

    page = text_of(client.get(path))

    assert URGENT not in page
    assert SEE_A_DOCTOR not in page


def test_a_person_who_has_not_answered_the_screening_sees_the_red_flag_list(practice):
    flag = urgent_flag()
    client = Client()
    client.force_login(UserFactory())

    page = text_of(client.get(GUIDE))

    assert RED_FLAG_LIST in page
    assert flag.title in page


def test_an_editor_changes_a_red_flag_in_admin_and_the_safety_check_shows_it(
    client, practice, content_editor, django_capture_on_commit_callbacks
):
    flag = red_flag()
    editor = Client()
    editor.force_login(content_editor)
    assert flag.title in text_of(client.get(GUIDE))  # warms the cache

    with django_capture_on_commit_callbacks(execute=True):
        response = edit_warning(
            editor, flag, title="A high temperature, or feeling unwell"
        )

    assert response.status_code == 302
    page = text_of(client.get(GUIDE))
    assert "A high temperature, or feeling unwell" in page
    assert flag.title not in page


# The seed's screening: the NICE red flags, then its two questions

NICE_RED_FLAGS = {
    "bladder-bowel": Severity.URGENT,
    "saddle-numbness": Severity.URGENT,
    "leg-weakness": Severity.RED_FLAG,
    "fever-unwell": Severity.RED_FLAG,
    "cancer-history": Severity.RED_FLAG,
    "weight-loss": Severity.RED_FLAG,
    "fall-injury": Severity.RED_FLAG,
}


@pytest.fixture
def seed_flags(catalogue):
    return {warning.slug: warning for warning in Contraindication.objects.red_flags()}


def test_the_seed_carries_the_seven_nice_red_flags_urgent_first(seed_flags):
    assert {slug: flag.severity for slug, flag in seed_flags.items()} == NICE_RED_FLAGS
    assert list(seed_flags)[:2] == ["bladder-bowel", "saddle-numbness"]
    for flag in seed_flags.values():
        assert flag.screening_question.endswith("?")
        assert flag.description
    # Not attached to one routine: they are asked of everyone, before any routine.
    assert not Contraindication.objects.general().filter(slug__in=NICE_RED_FLAGS)


def test_the_seed_asks_the_red_flags_first_then_its_two_questions(seed_flags):
    nerve_pain = Contraindication.objects.get(slug="nerve-pain-legs")
    disc = Contraindication.objects.get(slug="disc-damage")

    screened = list(Contraindication.objects.screened())

    assert nerve_pain.severity == Severity.AVOID
    assert nerve_pain.screening_question == (
        "Do you have nerve pain that runs down into your legs?"
    )
    assert disc.severity == Severity.CONSULT
    assert disc.screening_question == (
        "Have you been told you have damage to a spinal disc?"
    )
    assert len(screened) == 9
    assert all(warning.is_red_flag for warning in screened[:7])
    assert screened[7:] == [nerve_pain, disc]


@pytest.mark.parametrize("slug", ["beginner", "intermediate", "advanced", "aerobic"])
def test_a_visitor_sees_every_red_flag_on_the_safety_check(seed_flags, client, slug):
    response = client.get(f"/routines/{slug}/guide/")

    page = text_of(response)
    assert response.status_code == 200
    assert RED_FLAG_LIST in page
    for flag in seed_flags.values():
        assert flag.title in page
    assert page.count("Emergency:") == 2
    assert "go to an emergency department now, or call the emergency number" in page
    # The red flags come before the routine's own warnings.
    assert page.index(seed_flags["fall-injury"].title) < page.index("Consult a doctor")
    section = re.search(
        r'<section class="[^"]*red-flag-list[^"]*".*?</section>',
        html(response),
        re.DOTALL,
    ).group(0)
    assert 'aria-labelledby="red-flag-list-title"' in section
    assert section.count("<li>") == len(NICE_RED_FLAGS)


GO_NOW = "go to an emergency department now, or call the emergency number"


@pytest.mark.parametrize("urgent", [0, 1, 2])
def test_the_red_flag_list_says_go_now_once_when_any_sign_is_urgent(
    practice, client, urgent
):
    red_flag()
    for number in range(urgent):
        urgent_flag(slug=f"urgent-{number}", title=f"Urgent sign {number}")

    page = text_of(client.get("/routines/practice/guide/"))

    assert RED_FLAG_LIST in page
    assert page.count("Emergency:") == urgent
    assert page.count(GO_NOW) == min(urgent, 1)


def test_the_about_page_names_the_nice_summary(client, catalogue):
    page = text_of(client.get("/about/"))

    assert "NICE" in page
    assert "Clinical Knowledge Summary “Back pain – low (without radiculopathy)”" in (
        page
    )
    assert "“Simple back massage technique”" in page
