"""The pain scale in a real browser: asked before the first step and after
the last, one tap each, big enough for a finger, with JavaScript or without."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import CompletedSession
from tests.browser.flows import assert_no_axe_violations, sign_in
from tests.factories import CompletedSessionFactory

GATE = "/routines/practice/guide/"
STEPS = 4
TARGET = 44  # px, the smallest touch target


def scale(page, legend):
    return page.get_by_role("group", name=legend)


def choose(page, legend, value):
    """Tap the number's box (its label), as a finger would."""
    scale(page, legend).locator(
        f"label.pain-scale-option:has(input[value='{value}'])"
    ).click()


def assert_scale_fits_a_finger(page, legend):
    group = scale(page, legend)
    options = group.locator("label.pain-scale-option")
    expect(options).to_have_count(11)
    for n in range(11):
        box = options.nth(n).bounding_box()
        assert box["width"] >= TARGET and box["height"] >= TARGET, (n, box)
    assert_legend_said_once(group)


# What a person sees of an element: its text less the words only a screen
# reader is given.
SHOWN_TEXT = """(el) => {
  const copy = el.cloneNode(true);
  copy.querySelectorAll('.visually-hidden').forEach((hidden) => hidden.remove());
  return copy.textContent.replace(/\\s+/g, ' ');
}"""


def assert_legend_said_once(group):
    """The words for 0 and 10 are shown once, under the eleven numbers."""
    shown = group.evaluate(SHOWN_TEXT)
    assert shown.count("no pain") == 1, shown
    assert shown.count("worst pain imaginable") == 1, shown
    legend = group.get_by_text("0 is no pain, 10 the worst pain imaginable.")
    expect(legend).to_be_visible()
    ten = group.locator("label.pain-scale-option").nth(10).bounding_box()
    assert legend.bounding_box()["y"] >= ten["y"] + ten["height"]


def walk_from_the_safety_check(page, pain_before):
    page.goto(GATE)
    assert_scale_fits_a_finger(page, "Pain now (before you start)")
    page.get_by_label("I have read these warnings").check()
    choose(page, "Pain now (before you start)", pain_before)
    expect(
        scale(page, "Pain now (before you start)").get_by_label(
            str(pain_before), exact=True
        )
    ).to_be_checked()
    page.get_by_role("button", name="Start guided session").click()
    for number in range(1, STEPS):
        expect(page).to_have_url(re.compile(rf"{GATE}{number}/$"))
        page.get_by_role("button", name="Done, next step →").click()
    expect(page).to_have_url(re.compile(rf"{GATE}{STEPS}/$"))
    page.get_by_role("button", name="Done, finish →").click()
    expect(page).to_have_url(re.compile(rf"{GATE}finish/$"))


def save_with_pain_after(page, pain_after):
    # Said on the safety check, pain before is not asked again.
    expect(page.get_by_role("group", name="Pain before (0–10)")).to_have_count(0)
    expect(page.locator(".pain-before-given")).to_contain_text("3")
    assert_scale_fits_a_finger(page, "Pain after (0–10)")
    choose(page, "Pain after (0–10)", pain_after)
    page.get_by_role("button", name="Save session").click()
    expect(page).to_have_url(re.compile(r"/progress/sessions/\d+/$"))
    expect(page.get_by_text("Session saved.")).to_be_visible()


def assert_session_page_shows(page, before, after):
    expect(page.locator("p.lead")).to_contain_text(f"Pain {before} → {after}")
    # Both stay editable on the same scale, the stored answers chosen.
    for legend, value in [("Pain before (0–10)", before), ("Pain after (0–10)", after)]:
        group = scale(page, legend)
        expect(group.locator("label.pain-scale-option")).to_have_count(11)
        expect(group.get_by_label(str(value), exact=True)).to_be_checked()
        assert_legend_said_once(group)
    completed = CompletedSession.objects.get()
    assert (completed.pain_before, completed.pain_after) == (before, after)


def test_pain_is_one_tap_before_and_after_on_every_screen(
    screen, live_server, user, practice
):
    sign_in(screen, user)
    walk_from_the_safety_check(screen, 3)
    save_with_pain_after(screen, 1)
    assert_session_page_shows(screen, 3, 1)


def test_the_pain_scale_works_without_javascript(
    no_js_page, live_server, user, practice
):
    sign_in(no_js_page, user)
    walk_from_the_safety_check(no_js_page, 3)
    save_with_pain_after(no_js_page, 1)
    assert_session_page_shows(no_js_page, 3, 1)


@pytest.mark.parametrize("key", ["ArrowRight"])
def test_the_scale_answers_the_keyboard(page, live_server, practice, key):
    page.goto(GATE)
    group = scale(page, "Pain now (before you start)")
    group.get_by_label("4", exact=True).focus()
    page.keyboard.press("Space")
    page.keyboard.press(key)
    expect(group.get_by_label("5", exact=True)).to_be_checked()
    outline = (
        group.locator("label.pain-scale-option")
        .nth(5)
        .evaluate("label => getComputedStyle(label).outlineStyle")
    )
    assert outline == "solid"


def test_the_scale_and_its_error_pass_axe(page, live_server, practice):
    page.goto(GATE)
    assert_no_axe_violations(page)
    # A refused safety check (the box not ticked) keeps the chosen pain.
    scale(page, "Pain now (before you start)").get_by_label("7", exact=True).check()
    page.get_by_role("button", name="Start guided session").click()
    expect(page.locator(".error-summary")).to_be_visible()
    group = scale(page, "Pain now (before you start)")
    expect(group.get_by_label("7", exact=True)).to_be_checked()
    assert_no_axe_violations(page)


def test_a_rating_can_be_taken_back_on_the_session_page(page, live_server, user):
    completed = CompletedSessionFactory(user=user, pain_before=6, pain_after=4)
    sign_in(page, user)
    page.goto(completed.get_absolute_url())
    before = scale(page, "Pain before (0–10)")
    expect(before.get_by_label("6", exact=True)).to_be_checked()

    not_rated = before.get_by_label("Not rated")
    box = before.locator("label.pain-scale-clear").bounding_box()
    assert box["width"] >= TARGET and box["height"] >= TARGET, box
    not_rated.check()
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text("Your changes were saved.")).to_be_visible()
    expect(scale(page, "Pain before (0–10)").get_by_label("Not rated")).to_be_checked()
    completed.refresh_from_db()
    assert (completed.pain_before, completed.pain_after) == (None, 4)
