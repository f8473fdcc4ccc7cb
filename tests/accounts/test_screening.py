"""The personal safety screening: questions, answers, and what they change."""

import csv
import io
import re
from html import unescape

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import dateformat, timezone

from accounts import services
from accounts.middleware import screening_of
from accounts.models import StepResult
from exercises.guide import SESSION_KEY
from exercises.models import Contraindication, Routine, Severity, StepOutcome
from exercises.screening import UNSCREENED, Screening
from tests.factories import (
    CompletedSessionFactory,
    ContraindicationFactory,
    StepResultFactory,
    UserFactory,
)
from tests.helpers import html, text_of

NERVE_QUESTION = "Do you have nerve pain that runs down into your legs?"
DISC_QUESTION = "Have you been told you have damage to a spinal disc?"
NERVE_REASON = (
    "Avoid this exercise if you have nerve pain that runs down into your legs."
)
WHY_ASKED = (
    "These questions let BackCare point out exercises that are not right for you"
)
CHANGE_ANY_TIME = "you can change them at any time"
NOT_RECOMMENDED = "Not recommended for you"
OVERRIDE = "My clinician has cleared me — show it anyway"
SHOWN_ANYWAY = "Shown because you said your clinician has cleared you for it."
FLAGGED_DONE = "This exercise is not recommended for you."
NOTHING_TO_OVERRIDE = "This step is not flagged by your screening."
NEEDS_CLEARANCE = (
    "Your screening says to talk to your doctor first: please confirm that "
    "your doctor has cleared you before you start."
)
TICK_THE_BOX = "Please tick the box to confirm."
ANSWER_YES_OR_NO = "Please answer yes or no."
GUIDE = "/routines/beginner/guide/"
SAVE_URL = "/progress/save/beginner/"


def step_cards(response):
    """Step number → the text of its card on the routine page."""
    cards = re.findall(
        r'<article class="step card[^"]*" id="step-(\d+)"(.*?)</article>',
        html(response),
        flags=re.DOTALL,
    )
    return {
        int(number): re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]*>", " ", body)))
        for number, body in cards
    }


def checked(response):
    """Radio name → the value checked on the page."""
    answers = {}
    for tag in re.findall(r'<input type="radio"[^>]*>', html(response)):
        if re.search(r"\bchecked\b", tag):
            name = re.search(r'name="([^"]+)"', tag).group(1)
            answers[name] = re.search(r'value="([^"]+)"', tag).group(1)
    return answers


def long_date(day):
    return dateformat.format(day, "j F Y")


def guide_outcomes(client):
    return client.session[SESSION_KEY]["beginner"]["outcomes"]


def answers(nerve_pain, disc, *, nerve="no", disc_damage="no", **extra):
    """The screening form's answers: no to every red flag unless ``extra`` says."""
    return {
        **{
            f"condition_{flag.pk}": "no"
            for flag in Contraindication.objects.red_flags()
        },
        f"condition_{nerve_pain.pk}": nerve,
        f"condition_{disc.pk}": disc_damage,
        **extra,
    }


@pytest.fixture
def flagged(signed_in, user, nerve_pain):
    """Alex answered yes to nerve pain, no to disc damage."""
    services.screening_update(user=user, conditions=[nerve_pain])
    return signed_in


@pytest.fixture
def consulting(signed_in, user, disc):
    """Alex answered yes to disc damage, no to nerve pain."""
    services.screening_update(user=user, conditions=[disc])
    return signed_in


@pytest.fixture
def editor(db):
    editor = Client()
    editor.force_login(UserFactory(is_staff=True, is_superuser=True))
    return editor


def start(client):
    response = client.post(GUIDE, {"acknowledged": "on"})
    assert response.status_code == 302
    assert response.url == f"{GUIDE}1/"


def do_steps(client, numbers):
    for number in numbers:
        response = client.post(f"{GUIDE}{number}/", {"action": "done"})
        assert response.status_code == 302


# The catalogue's questions, editable in admin


def edit_question(editor, warning, question):
    """Post the warning's admin change form with a new screening question."""
    return editor.post(
        f"/admin/exercises/contraindication/{warning.pk}/change/",
        {
            "slug": warning.slug,
            "title": warning.title,
            "description": warning.description,
            "severity": warning.severity,
            "screening_question": question,
            "_save": "Save",
        },
    )


def test_the_catalogue_asks_the_red_flags_first_then_its_two_questions(
    nerve_pain, disc
):
    assert nerve_pain.severity == Severity.AVOID
    assert nerve_pain.screening_question == NERVE_QUESTION
    assert disc.severity == Severity.CONSULT
    assert disc.screening_question == DISC_QUESTION
    screened = list(Contraindication.objects.screened())
    assert len(screened) == 9
    assert all(warning.is_red_flag for warning in screened[:7])
    assert screened[7:] == [nerve_pain, disc]


def test_the_admin_change_form_shows_the_screening_question(editor, nerve_pain):
    response = editor.get(f"/admin/exercises/contraindication/{nerve_pain.pk}/change/")

    assert response.status_code == 200
    assert 'name="screening_question"' in html(response)
    assert f'value="{NERVE_QUESTION}"' in html(response)


def test_a_question_edited_in_admin_is_asked_on_the_profile_at_once(
    editor, signed_in, nerve_pain, django_capture_on_commit_callbacks
):
    new_question = "Does pain shoot down the back of your leg?"
    with django_capture_on_commit_callbacks(execute=True):
        response = edit_question(editor, nerve_pain, new_question)

    assert response.status_code == 302
    nerve_pain.refresh_from_db()
    assert nerve_pain.screening_question == new_question
    page = text_of(signed_in.get("/accounts/profile/"))
    assert new_question in page
    assert NERVE_QUESTION not in page


def test_a_question_edited_in_admin_is_the_reason_given_on_the_flagged_step(
    editor, flagged, nerve_pain, django_capture_on_commit_callbacks
):
    # The guide's steps come from the cache: an admin save must renew them.
    assert NERVE_QUESTION in text_of(flagged.get("/routines/beginner/"))
    start(flagged)
    assert NERVE_QUESTION in text_of(flagged.get(f"{GUIDE}6/"))
    new_question = "Does pain shoot down the back of your leg?"

    with django_capture_on_commit_callbacks(execute=True):
        edit_question(editor, nerve_pain, new_question)

    assert new_question in step_cards(flagged.get("/routines/beginner/"))[6]
    assert f"You told us: {new_question} Yes." in text_of(flagged.get(f"{GUIDE}6/"))


def test_a_warning_added_in_admin_with_a_question_is_asked_too(
    editor, signed_in, catalogue
):
    question = "Have you had back surgery in the last six months?"
    response = editor.post(
        "/admin/exercises/contraindication/add/",
        {
            "slug": "recent-surgery",
            "title": "Recent surgery",
            "description": "Avoid this exercise for six months after back surgery.",
            "severity": Severity.AVOID,
            "screening_question": question,
            "_save": "Save",
        },
    )
    ContraindicationFactory(title="No question here", screening_question="")

    assert response.status_code == 302
    page = text_of(signed_in.get("/accounts/profile/"))
    assert question in page
    assert "No question here" not in page
    # Yes and no for the seven red flags, the seed's two questions and this one.
    assert html(signed_in.get("/accounts/profile/")).count('type="radio"') == 20


def test_questions_are_asked_most_serious_first(signed_in, nerve_pain, disc):
    caution = ContraindicationFactory(
        title="A caution",
        severity=Severity.CAUTION,
        screening_question="Are your knees sore when you kneel?",
    )

    page = text_of(signed_in.get("/accounts/profile/"))

    positions = [
        page.index(question)
        for question in (NERVE_QUESTION, DISC_QUESTION, caution.screening_question)
    ]
    assert positions == sorted(positions)


# The profile's "Health screening" section


def test_profile_has_the_health_screening_section(signed_in, nerve_pain, disc):
    response = signed_in.get("/accounts/profile/")

    page = text_of(response)
    assert response.status_code == 200
    assert "Health screening" in page
    assert NERVE_QUESTION in page
    assert DISC_QUESTION in page
    assert WHY_ASKED in page
    assert CHANGE_ANY_TIME in page
    for condition in (nerve_pain, disc):
        for value in ("yes", "no"):
            assert f'name="condition_{condition.pk}" value="{value}"' in html(response)
    assert "Save my answers" in page


def test_saving_from_the_profile_keeps_the_answers_and_shows_them(
    signed_in, user, nerve_pain, disc
):
    response = signed_in.post(
        "/accounts/screening/",
        answers(nerve_pain, disc, nerve="yes", **{"from": "profile"}),
    )

    assert response.status_code == 302
    assert response.url == "/accounts/profile/"
    assert list(user.conditions.all()) == [nerve_pain]
    user.refresh_from_db()
    assert user.screening_answered_at is not None
    profile = signed_in.get(response.url)
    assert "Your screening answers were saved." in text_of(profile)
    assert checked(profile) == answers(nerve_pain, disc, nerve="yes")
    assert f"Last answered on {long_date(timezone.localdate())}." in text_of(profile)


def test_answers_can_be_changed_back_from_the_profile(flagged, user, nerve_pain, disc):
    response = flagged.post(
        "/accounts/screening/",
        answers(nerve_pain, disc, disc_damage="yes", **{"from": "profile"}),
    )

    assert response.status_code == 302
    assert list(user.conditions.all()) == [disc]
    assert checked(flagged.get("/accounts/profile/")) == answers(
        nerve_pain, disc, disc_damage="yes"
    )


@pytest.mark.parametrize(
    ("nerve", "message"),
    [
        (None, ANSWER_YES_OR_NO),
        ("maybe", "Select a valid choice. maybe is not one of the available choices."),
    ],
    ids=["missing", "bogus"],
)
def test_an_invalid_answer_from_the_profile_answers_400_and_changes_nothing(
    flagged, user, nerve_pain, disc, nerve, message
):
    user.refresh_from_db()
    answered_at = user.screening_answered_at
    data = answers(nerve_pain, disc, disc_damage="yes", **{"from": "profile"})
    if nerve is None:
        del data[f"condition_{nerve_pain.pk}"]
    else:
        data[f"condition_{nerve_pain.pk}"] = nerve

    response = flagged.post("/accounts/screening/", data)

    assert response.status_code == 400
    assert "Your profile" in text_of(response)
    assert message in text_of(response)
    assert list(user.conditions.all()) == [nerve_pain]
    user.refresh_from_db()
    assert user.screening_answered_at == answered_at


def test_an_invalid_answer_on_the_screening_page_answers_400(signed_in, user, disc):
    data = {f"condition_{disc.pk}": "perhaps"}

    response = signed_in.post("/accounts/screening/", data)

    assert response.status_code == 400
    assert "Health screening" in text_of(response)
    assert ANSWER_YES_OR_NO in text_of(response)
    assert not user.conditions.exists()
    user.refresh_from_db()
    assert user.screening_answered_at is None


def test_signup_invites_to_the_screening_which_can_be_skipped(client, catalogue):
    password = "a much longer new passphrase 42"
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "",
            "password1": password,
            "password2": password,
            "health_data_consent": "on",
        },
    )

    assert response.status_code == 302
    assert response.url == "/accounts/screening/"
    screening = client.get(response.url)
    assert screening.status_code == 200
    assert NERVE_QUESTION in text_of(screening)
    assert DISC_QUESTION in text_of(screening)
    assert WHY_ASKED in text_of(screening)
    assert '<a href="/progress/">Skip for now</a>' in html(screening)
    assert client.get("/progress/").status_code == 200
    # Skipped: the routine page keeps inviting the person to answer.
    routine = client.get("/routines/beginner/")
    assert "Answer the health screening" in text_of(routine)
    assert NOT_RECOMMENDED not in text_of(routine)


def test_the_screening_page_saves_and_goes_to_the_dashboard(
    signed_in, user, nerve_pain, disc
):
    response = signed_in.post(
        "/accounts/screening/", answers(nerve_pain, disc, nerve="yes")
    )

    assert response.status_code == 302
    assert response.url == "/progress/"
    assert list(user.conditions.all()) == [nerve_pain]
    assert "Answer the health screening" not in text_of(
        signed_in.get("/routines/beginner/")
    )


def test_the_screening_needs_an_account(client, catalogue):
    response = client.get("/accounts/screening/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# Yes to an AVOID question: the routine page


def test_the_routine_page_marks_step_6_not_recommended_with_the_reason(flagged):
    response = flagged.get("/routines/beginner/")

    cards = step_cards(response)
    assert response.status_code == 200
    assert sorted(cards) == [1, 2, 3, 4, 5, 6]
    assert NOT_RECOMMENDED in cards[6]
    assert f"You told us: {NERVE_QUESTION} Yes. {NERVE_REASON}" in cards[6]
    assert [n for n, card in cards.items() if NOT_RECOMMENDED in card] == [6]
    assert text_of(response).count(NOT_RECOMMENDED) == 1


def test_the_mark_is_personal_to_whoever_answered_yes(flagged, other_user):
    anonymous = Client()
    other = Client()
    other.force_login(other_user)
    services.screening_update(user=other_user, conditions=[])

    # Each order: a page kept for one must not be shown to another.
    first_visitor = anonymous.get("/routines/beginner/")
    mine = flagged.get("/routines/beginner/")
    theirs = other.get("/routines/beginner/")
    second_visitor = anonymous.get("/routines/beginner/")

    assert NOT_RECOMMENDED in text_of(mine)
    for response in (first_visitor, theirs, second_visitor):
        assert response.status_code == 200
        assert NOT_RECOMMENDED not in text_of(response)


def test_a_visitor_sees_every_warning_and_an_invitation_to_the_screening(catalogue):
    response = Client().get("/routines/beginner/")

    page = text_of(response)
    cards = step_cards(response)
    assert '<a href="/accounts/signup/">Create an account</a>' in html(response)
    assert "answer a few health questions" in page
    assert "Consult a doctor: If you have damage to an intervertebral disc" in page
    assert f"Avoid: {NERVE_REASON}" in cards[6]
    assert NOT_RECOMMENDED not in page


def test_a_person_who_answered_no_sees_the_warning_without_the_mark(
    signed_in, user, catalogue
):
    services.screening_update(user=user, conditions=[])

    response = signed_in.get("/routines/beginner/")

    page = text_of(response)
    assert f"Avoid: {NERVE_REASON}" in step_cards(response)[6]
    assert NOT_RECOMMENDED not in page
    assert "Create an account" not in page
    assert "Answer the health screening" not in page


def test_disc_damage_alone_marks_no_step(consulting):
    response = consulting.get("/routines/beginner/")

    assert NOT_RECOMMENDED not in text_of(response)


# Yes to an AVOID question: the guided session


def test_the_flagged_step_is_shown_skipped_for_safety_with_the_reason(flagged):
    start(flagged)

    response = flagged.get(f"{GUIDE}6/")

    page = text_of(response)
    assert response.status_code == 200
    assert "Straight-leg raises" in page
    assert "Skipped for safety" in page
    assert NOT_RECOMMENDED in page
    assert f"You told us: {NERVE_QUESTION} Yes. {NERVE_REASON}" in page
    assert "marked as skipped for safety because of your health screening" in page
    assert OVERRIDE in page
    assert "Continue to finish →" in page
    assert "Done, finish →" not in page
    assert "How to do it" not in page


def test_the_other_steps_of_a_flagged_person_are_ordinary(flagged):
    start(flagged)

    for number in range(1, 6):
        page = text_of(flagged.get(f"{GUIDE}{number}/"))
        assert "Skipped for safety" not in page
        assert OVERRIDE not in page
        assert "How to do it" in page
        assert "Done, next step →" in page


def test_done_on_the_flagged_step_without_the_override_answers_400(flagged):
    start(flagged)
    do_steps(flagged, range(1, 6))

    response = flagged.post(f"{GUIDE}6/", {"action": "done"})

    assert response.status_code == 400
    assert FLAGGED_DONE in text_of(response)
    assert "Skipped for safety" in text_of(response)
    assert "6" not in guide_outcomes(flagged)


def test_continuing_past_the_flagged_step_records_it_skipped_for_safety(flagged):
    start(flagged)
    do_steps(flagged, range(1, 6))

    response = flagged.post(f"{GUIDE}6/", {"action": "skip"})

    assert response.status_code == 302
    assert response.url == f"{GUIDE}finish/"
    assert guide_outcomes(flagged)["6"] == StepOutcome.SKIPPED_FOR_SAFETY
    assert "Marked: Skipped for safety" in text_of(flagged.get(f"{GUIDE}6/"))
    finish = html(flagged.get(response.url))
    assert finish.count("outcome-done") == 5
    assert 'outcome-skipped_for_safety">Skipped for safety</span>' in finish


def test_a_flagged_step_never_visited_counts_as_skipped_for_safety(flagged):
    start(flagged)
    do_steps(flagged, range(1, 6))

    finish = flagged.get(f"{GUIDE}finish/")
    saved = flagged.post(SAVE_URL, {"pain_before": "4", "pain_after": "3"})

    assert 'outcome-skipped_for_safety">Skipped for safety</span>' in html(finish)
    assert saved.status_code == 302
    outcomes = dict(StepResult.objects.values_list("order", "outcome"))
    assert outcomes == {
        1: StepOutcome.DONE,
        2: StepOutcome.DONE,
        3: StepOutcome.DONE,
        4: StepOutcome.DONE,
        5: StepOutcome.DONE,
        6: StepOutcome.SKIPPED_FOR_SAFETY,
    }
    assert not StepResult.objects.filter(cleared_by_clinician=True).exists()


def test_an_unvisited_step_of_an_unflagged_person_is_only_skipped(
    signed_in, user, catalogue
):
    services.screening_update(user=user, conditions=[])
    start(signed_in)
    do_steps(signed_in, range(1, 6))

    signed_in.post(SAVE_URL, {})

    assert StepResult.objects.get(order=6).outcome == StepOutcome.SKIPPED


def test_the_override_shows_the_ordinary_step_and_done_is_recorded(flagged):
    start(flagged)
    do_steps(flagged, range(1, 6))

    override = flagged.post(f"{GUIDE}6/", {"action": "override"})
    shown = flagged.get(f"{GUIDE}6/")
    done = flagged.post(f"{GUIDE}6/", {"action": "done"})
    saved = flagged.post(SAVE_URL, {"pain_before": "5", "pain_after": "4"})

    assert override.status_code == 302
    assert override.url == f"{GUIDE}6/"
    page = text_of(shown)
    assert SHOWN_ANYWAY in page
    assert "How to do it" in page
    assert "Done, finish →" in page
    assert OVERRIDE not in page
    assert done.status_code == 302
    assert done.url == f"{GUIDE}finish/"
    assert saved.status_code == 302
    step = StepResult.objects.get(order=6)
    assert step.outcome == StepOutcome.DONE
    assert step.cleared_by_clinician is True
    assert not StepResult.objects.filter(order__lt=6, cleared_by_clinician=True)
    assert "(shown after you said your clinician cleared you)" in text_of(
        flagged.get(saved.url)
    )


@pytest.mark.parametrize("number", [1, 5])
def test_override_on_a_step_that_is_not_flagged_answers_400(flagged, number):
    start(flagged)

    response = flagged.post(f"{GUIDE}{number}/", {"action": "override"})

    assert response.status_code == 400
    assert NOTHING_TO_OVERRIDE in text_of(response)
    assert str(number) not in guide_outcomes(flagged)
    assert flagged.session[SESSION_KEY]["beginner"]["overrides"] == []


def test_override_answers_400_for_someone_whose_screening_flags_nothing(
    signed_in, user, catalogue
):
    services.screening_update(user=user, conditions=[])
    start(signed_in)

    response = signed_in.post(f"{GUIDE}6/", {"action": "override"})

    assert response.status_code == 400
    assert NOTHING_TO_OVERRIDE in text_of(response)


def test_a_visitor_gets_the_ordinary_step_6_with_its_warning(client, catalogue):
    start(client)

    page = text_of(client.get(f"{GUIDE}6/"))

    assert f"Avoid: {NERVE_REASON}" in page
    assert "Skip this exercise" in page
    assert "How to do it" in page
    assert "Skipped for safety" not in page
    assert OVERRIDE not in page


def test_a_visitor_gets_the_invitation_on_the_safety_check(client, catalogue):
    response = client.get(GUIDE)

    assert '<a href="/accounts/signup/">Create an account</a>' in html(response)
    assert "Your doctor's clearance" not in text_of(response)


# Yes to a CONSULT question: the doctor's clearance


def test_the_safety_check_asks_to_confirm_the_doctors_clearance(consulting):
    response = consulting.get(GUIDE)

    page = text_of(response)
    assert response.status_code == 200
    assert "Your doctor's clearance" in page
    assert "talk to your doctor before you start these exercises" in page
    assert "Please confirm that your doctor has cleared you before you start." in page
    assert 'action="/accounts/doctor-clearance/"' in html(response)
    assert f'name="next" value="{GUIDE}"' in html(response)
    assert "My doctor has cleared me to do these exercises" in page


def test_starting_without_the_doctors_clearance_answers_400(consulting):
    response = consulting.post(GUIDE, {"acknowledged": "on"})

    assert response.status_code == 400
    assert NEEDS_CLEARANCE in text_of(response)
    assert SESSION_KEY not in consulting.session
    redirected = consulting.get(f"{GUIDE}1/")
    assert redirected.status_code == 302
    assert redirected.url == GUIDE


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
    start(consulting)
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


def test_no_clearance_is_asked_of_someone_who_answered_no(signed_in, user, catalogue):
    services.screening_update(user=user, conditions=[])

    gate = signed_in.get(GUIDE)

    assert "Your doctor's clearance" not in text_of(gate)
    start(signed_in)


def test_a_visitor_can_start_without_a_clearance(client, catalogue):
    assert "Consult a doctor" in text_of(client.get(GUIDE))
    start(client)


# Skipped for safety: history, dashboard, CSV


@pytest.fixture
def safety_session(user):
    session = CompletedSessionFactory(user=user)
    for order in range(1, 6):
        StepResultFactory(session=session, order=order, outcome=StepOutcome.DONE)
    StepResultFactory(session=session, order=6, outcome=StepOutcome.SKIPPED_FOR_SAFETY)
    return session


def test_history_shows_steps_skipped_for_safety_apart(signed_in, safety_session):
    response = signed_in.get("/progress/history/")

    assert "5 done, 0 skipped, 1 skipped for safety" in text_of(response)
    assert '<span class="skipped-for-safety">1 skipped for safety</span>' in html(
        response
    )


def test_history_says_nothing_of_safety_when_nothing_was_skipped_for_it(
    signed_in, user
):
    session = CompletedSessionFactory(user=user)
    StepResultFactory(session=session, order=1, outcome=StepOutcome.SKIPPED)

    page = text_of(signed_in.get("/progress/history/"))

    assert "0 done, 1 skipped" in page
    assert "for safety" not in page


def test_the_dashboard_counts_steps_skipped_for_safety(signed_in, user, safety_session):
    page = text_of(signed_in.get("/progress/"))
    assert "1 step skipped for safety" in page

    StepResultFactory(
        session=CompletedSessionFactory(user=user),
        order=1,
        outcome=StepOutcome.SKIPPED_FOR_SAFETY,
    )
    assert "2 steps skipped for safety" in text_of(signed_in.get("/progress/"))


def test_the_dashboard_counts_only_ones_own_safety_skips(signed_in, user, other_user):
    theirs = CompletedSessionFactory(user=other_user)
    StepResultFactory(session=theirs, order=1, outcome=StepOutcome.SKIPPED_FOR_SAFETY)
    CompletedSessionFactory(user=user)

    page = text_of(signed_in.get("/progress/"))

    assert "skipped for safety" not in page


def test_the_csv_has_a_column_of_steps_skipped_for_safety(signed_in, safety_session):
    response = signed_in.get("/progress/export.csv")

    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 1
    assert rows[0]["steps_done"] == "5"
    assert rows[0]["steps_skipped"] == "0"
    assert rows[0]["steps_skipped_for_safety"] == "1"


def test_the_session_page_labels_the_step_skipped_for_safety(signed_in, safety_session):
    response = signed_in.get(safety_session.get_absolute_url())

    assert 'outcome-skipped_for_safety">Skipped for safety</span>' in html(response)


def test_a_walked_session_reaches_history_dashboard_and_csv(flagged):
    start(flagged)
    do_steps(flagged, range(1, 6))
    flagged.post(f"{GUIDE}6/", {"action": "skip"})
    flagged.post(SAVE_URL, {"pain_before": "5", "pain_after": "3"})

    history = text_of(flagged.get("/progress/history/"))
    dashboard = text_of(flagged.get("/progress/"))
    body = b"".join(flagged.get("/progress/export.csv").streaming_content).decode()
    row = next(csv.DictReader(io.StringIO(body)))

    assert "5 done, 0 skipped, 1 skipped for safety" in history
    assert "1 step skipped for safety" in dashboard
    assert row["steps_skipped_for_safety"] == "1"
    assert row["steps_skipped"] == "0"


# The contract between the catalogue and accounts


def test_a_visitor_is_unscreened():
    assert screening_of(AnonymousUser()) is UNSCREENED
    assert UNSCREENED.signed_in is False
    assert UNSCREENED.applies == frozenset()


def test_a_persons_screening_reflects_their_answers(user, nerve_pain, disc):
    assert screening_of(user) == Screening(signed_in=True)

    services.screening_update(user=user, conditions=[nerve_pain, disc])
    services.doctor_clearance_record(user=user)
    user.refresh_from_db()

    screening = screening_of(user)
    assert screening.signed_in is True
    assert screening.answered is True
    assert screening.applies == {nerve_pain.pk, disc.pk}
    assert screening.doctor_cleared_on == timezone.localdate()


def test_only_avoid_answers_flag_steps(nerve_pain, disc):
    steps = list(Routine.objects.get(slug="beginner").steps.select_related("exercise"))

    assert UNSCREENED.flagged_numbers(steps) == frozenset()
    assert Screening(applies=frozenset({disc.pk})).flagged_numbers(steps) == set()
    screening = Screening(applies=frozenset({nerve_pain.pk}))
    assert screening.flagged_numbers(steps) == {6}
    assert screening.reasons_to_avoid(steps[5]) == [nerve_pain]
    assert screening.reasons_to_avoid(steps[0]) == []


def test_only_consult_answers_ask_for_a_clearance(nerve_pain, disc):
    both = Screening(applies=frozenset({nerve_pain.pk, disc.pk}))

    assert both.consult_warnings([nerve_pain, disc]) == [disc]
    assert (
        Screening(applies=frozenset({nerve_pain.pk})).consult_warnings(
            [nerve_pain, disc]
        )
        == []
    )


def test_screening_update_replaces_the_answers(user, nerve_pain, disc):
    services.screening_update(user=user, conditions=[nerve_pain, disc])
    services.screening_update(user=user, conditions=[disc])

    assert list(user.conditions.all()) == [disc]
    user.refresh_from_db()
    assert user.screening_answered_at is not None


# Query budgets: answers add one query, however many there are


@pytest.fixture
def many_answers(signed_in, user, nerve_pain, disc):
    """Ten more AVOID questions, on every beginner exercise, all answered yes."""
    extra = [
        ContraindicationFactory(
            severity=Severity.AVOID, screening_question=f"Question {n}?"
        )
        for n in range(10)
    ]
    for step in Routine.objects.get(slug="beginner").steps.select_related("exercise"):
        step.exercise.contraindications.add(*extra)
    services.screening_update(user=user, conditions=[nerve_pain, disc, *extra])
    services.doctor_clearance_record(user=user)
    start(signed_in)
    return signed_in


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/routines/beginner/", 7),
        (GUIDE, 4),
        (f"{GUIDE}1/", 4),
        (f"{GUIDE}6/", 4),
        (f"{GUIDE}finish/", 4),
        ("/accounts/profile/", 4),
        ("/accounts/screening/", 4),
    ],
)
def test_screened_pages_stay_within_the_query_budget(
    many_answers, django_assert_max_num_queries, url, budget
):
    many_answers.get(url)  # Warms the catalogue cache the guide reads.

    with django_assert_max_num_queries(budget):
        response = many_answers.get(url)

    assert response.status_code == 200


def test_every_step_is_flagged_when_every_exercise_is_advised_against(many_answers):
    cards = step_cards(many_answers.get("/routines/beginner/"))

    assert all(NOT_RECOMMENDED in card for card in cards.values())
    assert "You told us: Question 9? Yes." in cards[1]
