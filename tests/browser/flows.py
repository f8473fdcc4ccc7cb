"""What several browser tests do the same way: sign up, log in, run axe."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from exercises.models import Contraindication
from tests.factories import PASSWORD

NEW_PASSWORD = "quiet-river-lantern-42"
NERVE_QUESTION = "Do you have nerve pain that runs down into your legs?"
DISC_QUESTION = "Have you been told you have damage to a spinal disc?"


def sign_up(page, username, password=NEW_PASSWORD):
    page.goto("/accounts/signup/")
    fill_signup_form(page, username, password)


def fill_signup_form(page, username, password=NEW_PASSWORD):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email (optional)").fill(f"{username}@example.com")
    page.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_label("I agree that BackCare keeps my health information").check()
    page.get_by_role("button", name="Create account").click()
    # A new account is asked the health screening questions first; it may skip.
    expect(page).to_have_url(re.compile(r"/accounts/screening/$"))
    expect(page.get_by_text(f"Welcome, {username}.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Health screening")
    expect(page.get_by_role("link", name="Skip for now")).to_be_visible()


def answer(page, question, reply):
    page.get_by_role("group", name=question).get_by_label(reply, exact=True).check()


def answer_screening(page, *, nerve_pain, disc, red_flags=()):
    """Answer every question: yes to the red flags named by slug, no to the rest."""
    for flag in Contraindication.objects.red_flags():
        answer(page, flag.screening_question, "Yes" if flag.slug in red_flags else "No")
    answer(page, NERVE_QUESTION, nerve_pain)
    answer(page, DISC_QUESTION, disc)
    page.get_by_role("button", name="Save my answers").click()
    expect(page).to_have_url(re.compile(r"/progress/$"))
    expect(page.get_by_text("Your screening answers were saved.")).to_be_visible()


def log_in(page, username, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def assert_no_axe_violations(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def assert_no_horizontal_scroll(page):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    client_width = page.evaluate("document.documentElement.clientWidth")
    assert client_width == 360
    assert scroll_width <= client_width, f"{scroll_width}px wide on a 360px screen"
