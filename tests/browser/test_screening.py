"""The health screening in a real browser: its answers change the beginner routine."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from accounts import services
from accounts.models import StepResult
from exercises.models import Contraindication, StepOutcome
from tests.browser.flows import (
    answer_screening,
    assert_no_axe_violations,
    choose_pain,
    confirm_clearance,
    expect_finish,
    sign_in,
    sign_up,
    tick_and_start,
    walk_to_step,
)

NERVE_QUESTION = "Do you have nerve pain that runs down into your legs?"
DISC_QUESTION = "Have you been told you have damage to a spinal disc?"
OVERRIDE = "My clinician has cleared me — show it anyway"
CLEARANCE_NOTE = "(shown after you said your clinician cleared you)"


def walk_to_step_6(page):
    """Safety check, then “Done” on steps 1 to 5."""
    walk_to_step(page, "beginner", 6)
    expect(page.get_by_role("heading", level=1)).to_have_text("Straight-leg raises")


@pytest.fixture
def screened(catalogue, user):
    """A person who answered yes to the nerve-pain question and no to disc damage."""
    services.screening_update(
        user=user, conditions=[Contraindication.objects.get(slug="nerve-pain-legs")]
    )
    return user


def test_yes_to_nerve_pain_pre_skips_step_6_with_its_reason(page, catalogue):
    sign_up(page, "maya")
    answer_screening(page, yes=["nerve-pain-legs"])

    page.goto("/routines/beginner/")
    expect(page.locator(".not-recommended")).to_have_count(1)
    expect(page.locator("#step-6")).to_contain_text("Not recommended for you")
    expect(page.locator("#step-6")).to_contain_text(NERVE_QUESTION)

    walk_to_step_6(page)
    panel = page.get_by_role("region", name="Skipped for safety")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Not recommended for you")
    expect(panel).to_contain_text("nerve pain that runs down into your legs")
    expect(panel).to_contain_text("skipped for safety because of your health screening")
    expect(page.get_by_role("button", name=OVERRIDE)).to_be_visible()
    expect(page.get_by_role("button", name="Done, finish →")).to_have_count(0)
    expect(page.get_by_role("heading", name="How to do it")).to_have_count(0)

    page.get_by_role("button", name="Continue to finish →").click()
    expect_finish(page, "beginner", ["Done"] * 5 + ["Skipped for safety"])
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Session saved.")).to_be_visible()
    step = StepResult.objects.get(session__user__username="maya", order=6)
    assert step.outcome == StepOutcome.SKIPPED_FOR_SAFETY
    assert step.cleared_by_clinician is False


def test_no_to_both_questions_gives_the_ordinary_step_6(page, catalogue):
    sign_up(page, "noor")
    answer_screening(page)

    page.goto("/routines/beginner/")
    expect(page.locator("#step-6")).to_contain_text("Avoid:")
    expect(page.get_by_text("Not recommended for you")).to_have_count(0)

    walk_to_step_6(page)
    expect(page.get_by_role("heading", name="Skipped for safety")).to_have_count(0)
    expect(page.get_by_role("button", name=OVERRIDE)).to_have_count(0)
    expect(page.get_by_role("heading", name="How to do it")).to_be_visible()
    expect(page.locator("ol.instructions li")).to_have_count(5)
    expect(page.locator(".warning-avoid")).to_contain_text("nerve pain")

    page.get_by_role("button", name="Done, finish →").click()
    expect_finish(page, "beginner", ["Done"] * 6)
    assert get_user_model().objects.get(username="noor").conditions.count() == 0


def test_the_clinician_override_shows_step_6_and_is_recorded(page, screened):
    sign_in(page, screened)
    walk_to_step_6(page)
    expect(page.get_by_role("heading", name="Skipped for safety")).to_be_visible()

    page.get_by_role("button", name=OVERRIDE).click()
    expect(page).to_have_url(re.compile(r"/routines/beginner/guide/6/$"))
    expect(page.locator(".overridden")).to_have_text(
        "Shown because you said your clinician has cleared you for it. "
        "Stop if it causes pain."
    )
    expect(page.get_by_role("heading", name="Skipped for safety")).to_have_count(0)
    expect(page.get_by_role("heading", name="How to do it")).to_be_visible()
    page.get_by_role("button", name="Done, finish →").click()

    expect_finish(page, "beginner", ["Done"] * 6)
    choose_pain(page, before=5, after=4)
    page.get_by_role("button", name="Save session").click()

    expect(page).to_have_url(re.compile(r"/progress/sessions/\d+/$"))
    expect(page.get_by_text("Session saved.")).to_be_visible()
    sixth = page.locator("ol.list-group > li").nth(5)
    expect(sixth).to_contain_text("Straight-leg raises")
    expect(sixth).to_contain_text(CLEARANCE_NOTE)
    expect(sixth.locator(".badge")).to_have_text("Done")
    expect(page.get_by_text(CLEARANCE_NOTE)).to_have_count(1)
    step = StepResult.objects.get(session__user=screened, order=6)
    assert step.outcome == StepOutcome.DONE
    assert step.cleared_by_clinician is True


def test_yes_to_disc_damage_asks_for_the_doctors_clearance_first(page, catalogue):
    sign_up(page, "iris")
    answer_screening(page, yes=["disc-damage"])

    page.goto("/routines/beginner/guide/")
    clearance = page.get_by_role("region", name="Your doctor's clearance")
    expect(clearance).to_contain_text(
        "Please confirm that your doctor has cleared you before you start."
    )
    tick_and_start(page)
    expect(
        page.get_by_text("Your screening says to talk to your doctor first")
    ).to_be_visible()
    expect(page).to_have_url(re.compile(r"/routines/beginner/guide/$"))

    confirm_clearance(clearance)
    expect(page).to_have_url(re.compile(r"/routines/beginner/guide/$"))
    expect(clearance).to_contain_text("You confirmed on")
    tick_and_start(page)
    expect(page).to_have_url(re.compile(r"/routines/beginner/guide/1/$"))

    page.goto("/accounts/profile/")
    expect(page.locator(".doctor-cleared")).to_contain_text(
        "that your doctor has cleared you to do these exercises"
    )


def test_axe_the_flagged_routine_page_and_step(page, screened):
    sign_in(page, screened)
    page.goto("/routines/beginner/")
    expect(page.locator(".not-recommended")).to_be_visible()
    assert_no_axe_violations(page)

    walk_to_step_6(page)
    expect(page.get_by_role("heading", name="Skipped for safety")).to_be_visible()
    assert_no_axe_violations(page)


def test_axe_the_health_screening_on_the_profile(page, screened):
    sign_in(page, screened)
    page.goto("/accounts/profile/")
    group = page.get_by_role("group", name=NERVE_QUESTION)
    expect(group.get_by_label("Yes", exact=True)).to_be_checked()
    expect(
        page.get_by_role("group", name=DISC_QUESTION).get_by_label("No", exact=True)
    ).to_be_checked()
    assert_no_axe_violations(page)


def test_signing_up_mid_run_and_answering_yes_closes_every_way_around_the_clearance(
    page, catalogue
):
    walk_to_step(page, "beginner", 2)
    sign_up(page, "jude")
    answer_screening(page, yes=["disc-damage"])

    for path in ("3/", "6/", "finish/"):
        page.goto(f"/routines/beginner/guide/{path}")
        expect(page).to_have_url(re.compile(r"/routines/beginner/guide/$"))
        expect(
            page.get_by_text("Please confirm your doctor's clearance")
        ).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Continue at step"))).to_have_count(
        0
    )

    clearance = page.get_by_role("region", name="Your doctor's clearance")
    confirm_clearance(clearance)
    page.get_by_role("link", name="Continue at step 2 of 6").click()
    expect(page.locator("#step-counter")).to_have_text("Step 2 of 6")
    page.goto("/routines/beginner/guide/3/")
    expect(page.locator("#step-counter")).to_have_text("Step 3 of 6")


def test_an_urgent_red_flag_is_the_first_thing_on_the_dashboard(screen, catalogue):
    page = screen
    sign_up(page, "kai")
    answer_screening(page, yes=["bladder-bowel"])

    alert = page.get_by_role("region", name="Get medical help urgently")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("loss of bladder or bowel control")
    box = alert.bounding_box()
    assert box["y"] + box["height"] <= 800, "the alert must be inside the first screen"
    assert_no_axe_violations(page)

    page.goto("/routines/beginner/guide/")
    alert = page.get_by_role("region", name="Get medical help urgently")
    expect(alert).to_be_visible()
    assert alert.bounding_box()["y"] < 800
