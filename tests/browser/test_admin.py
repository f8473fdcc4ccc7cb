"""An editor reorders a routine's steps in admin with the up and down buttons."""

import re

from playwright.sync_api import expect

from tests.browser.flows import log_in


def open_routine_in_admin(page, admin_user, routine):
    log_in(page, admin_user.username, "password", path="/admin/login/")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.goto(f"/admin/exercises/routine/{routine.pk}/change/")


def step_slugs(routine):
    return list(
        routine.steps.order_by("order").values_list("exercise__slug", flat=True)
    )


def test_an_editor_moves_steps_with_the_buttons_and_saves_once(
    screen, admin_user, practice
):
    page = screen
    open_routine_in_admin(page, admin_user, practice)

    # Step 2 (bridge) goes down twice, to the end; step 4 (walk) moves up
    # once in the process, then once more: 2 and 4 swapped and 3 kept.
    page.get_by_role("button", name="Move Bridge down").click()
    page.get_by_role("button", name="Move Bridge down").click()
    page.get_by_role("button", name="Move Walk up").click()
    # The rows are in their new order, numbered 1 to 4 from the top.
    orders = page.locator('#steps-group tr.has_original input[name$="-order"]')
    values = orders.evaluate_all("inputs => inputs.map((input) => input.value)")
    assert values == ["1", "2", "3", "4"]
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert step_slugs(practice) == ["knee-rocks", "walk", "leg-stretch", "bridge"]
    page.goto("/routines/practice/")
    expect(page.locator("article.step h3").nth(1)).to_contain_text("Walk")
    expect(page.locator("article.step h3").nth(3)).to_contain_text("Bridge")


def test_typing_a_swap_of_two_order_numbers_saves(page, admin_user, practice):
    open_routine_in_admin(page, admin_user, practice)

    page.locator('input[name="steps-1-order"]').fill("4")
    page.locator('input[name="steps-3-order"]').fill("2")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert step_slugs(practice) == ["knee-rocks", "walk", "leg-stretch", "bridge"]
