"""An editor reorders a routine's steps in admin with the up and down buttons."""

import re

import pytest
from playwright.sync_api import expect

from exercises.models import Routine
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def log_in_to_admin(page):
    UserFactory(username="edith", is_staff=True, is_superuser=True)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("edith")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def step_slugs():
    routine = Routine.objects.get(slug="beginner")
    return list(
        routine.steps.order_by("order").values_list("exercise__slug", flat=True)
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_an_editor_moves_steps_with_the_buttons_and_saves_once(page, catalogue, width):
    page.set_viewport_size({"width": width, "height": 800})
    log_in_to_admin(page)
    routine = Routine.objects.get(slug="beginner")
    page.goto(f"/admin/exercises/routine/{routine.pk}/change/")

    # Step 4 (wall squats) goes down twice, to the end; step 6 (straight-leg
    # raises) moves up once in the process, then once more: 4 and 6 swapped
    # and 5 kept, as the swap.
    page.get_by_role("button", name="Move Wall squats down").click()
    page.get_by_role("button", name="Move Wall squats down").click()
    page.get_by_role("button", name="Move Straight-leg raises up").click()
    # The rows are in their new order, numbered 1 to 6 from the top.
    orders = page.locator('#steps-group tr.has_original input[name$="-order"]')
    values = orders.evaluate_all("inputs => inputs.map((input) => input.value)")
    assert values == ["1", "2", "3", "4", "5", "6"]
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert step_slugs() == [
        "ankle-pumps",
        "heel-slides",
        "abdominal-contraction",
        "straight-leg-raises",
        "heel-raises",
        "wall-squats",
    ]
    page.goto("/routines/beginner/")
    expect(page.locator("article.step h3").nth(3)).to_contain_text(
        "Straight-leg raises"
    )
    expect(page.locator("article.step h3").nth(5)).to_contain_text("Wall squats")


def test_typing_a_swap_of_two_order_numbers_saves(page, catalogue):
    log_in_to_admin(page)
    routine = Routine.objects.get(slug="beginner")
    page.goto(f"/admin/exercises/routine/{routine.pk}/change/")

    page.locator('input[name="steps-3-order"]').fill("6")
    page.locator('input[name="steps-5-order"]').fill("4")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert step_slugs()[3] == "straight-leg-raises"
    assert step_slugs()[5] == "wall-squats"
