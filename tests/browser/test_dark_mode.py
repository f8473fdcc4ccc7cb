"""Dark mode: the system's colour scheme followed, a switch remembered, and
every kind of page legible (axe) in both."""

from datetime import timedelta
from io import BytesIO

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from PIL import Image, ImageStat
from playwright.sync_api import expect

from exercises.models import Routine
from tests.browser.flows import (
    expect_finish,
    open_step,
    record_session,
    sign_in,
    start_guide,
    stub_player_apis,
    walk_to_step,
)

SCHEMES = ["light", "dark"]
# Bootstrap 5.3's body backgrounds.
BODY_BG = {"light": "rgb(255, 255, 255)", "dark": "rgb(33, 37, 41)"}


@pytest.fixture
def person(user, catalogue):
    """Eight beginner sessions over five weeks, pain falling from 7 to 3, one with
    a step skipped for safety: the calendar and the chart have something to draw."""
    beginner = Routine.objects.get(slug="beginner")
    steps = list(beginner.steps.select_related("exercise"))
    now = timezone.now()
    for n, days_back in enumerate([34, 27, 22, 15, 12, 8, 3, 0]):
        started = now - timedelta(days=days_back, minutes=30)
        outcomes = ["done"] * len(steps)
        if n == 5:
            outcomes[-1] = "skipped_for_safety"
        session = record_session(
            user,
            beginner,
            started,
            minutes=15,
            outcomes=outcomes,
            pain_before=7 - n // 2,
            pain_after=6 - n // 2,
            notes="Felt loose afterwards." if n == 7 else "",
        )
    user.last_session = session
    return user


def theme_of(page):
    return page.evaluate("document.documentElement.dataset.bsTheme ?? null")


def body_background(page):
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def theme_switch(page):
    """The switch, in the header's menu: opened first on a phone."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible() and menu.get_attribute("aria-expanded") != "true":
        menu.click()
    switch = page.get_by_role("group", name="Theme")
    expect(switch).to_be_visible()
    return switch


def pressed(page):
    """The names of the switch's pressed buttons, shown or folded in the menu."""
    return page.locator("[data-theme-switch] [aria-pressed=true]").all_text_contents()


def axe_findings(page, path, findings):
    """Run axe (every rule the other axe tests run) on the page open at `path`."""
    results = Axe().run(page)
    if results.violations_count:
        findings[path] = results.generate_report()


def assert_none(findings):
    assert not findings, "\n\n".join(
        f"{path}\n{report}" for path, report in findings.items()
    )


# ----- the system's scheme, and the switch ---------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_with_nothing_chosen_the_page_follows_the_system(open_screen, practice, scheme):
    page = open_screen("laptop", color_scheme=scheme)
    page.goto("/")

    assert theme_of(page) == scheme
    assert body_background(page) == BODY_BG[scheme]
    expect(theme_switch(page).get_by_role("button", name="Auto")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_the_page_changes_with_the_system_while_on_auto(open_screen, practice):
    page = open_screen("laptop", color_scheme="light")
    page.goto("/")
    assert theme_of(page) == "light"

    page.emulate_media(color_scheme="dark")

    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    assert body_background(page) == BODY_BG["dark"]


def test_a_chosen_theme_is_remembered_and_auto_follows_the_system_again(
    open_screen, practice
):
    page = open_screen("phone", color_scheme="light")
    page.goto("/")

    theme_switch(page).get_by_role("button", name="Dark").click()

    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    assert pressed(page) == ["Dark"]
    page.reload()
    assert theme_of(page) == "dark"
    assert body_background(page) == BODY_BG["dark"]
    assert pressed(page) == ["Dark"]
    # The system changing does not undo a choice.
    page.emulate_media(color_scheme="light")
    page.goto("/about/")
    assert theme_of(page) == "dark"

    theme_switch(page).get_by_role("button", name="Auto").click()

    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    assert pressed(page) == ["Auto"]
    page.emulate_media(color_scheme="dark")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    page.reload()
    assert theme_of(page) == "dark"
    assert pressed(page) == ["Auto"]


def test_choosing_light_on_a_dark_system(open_screen, practice):
    page = open_screen("laptop", color_scheme="dark")
    page.goto("/")
    theme_switch(page).get_by_role("button", name="Light").click()

    page.goto("/about/")

    assert theme_of(page) == "light"
    assert body_background(page) == BODY_BG["light"]


def test_a_dark_page_prints_light(open_screen, practice):
    page = open_screen("laptop", color_scheme="dark")
    page.goto("/routines/practice/")

    page.evaluate("dispatchEvent(new Event('beforeprint'))")
    assert theme_of(page) == "light"
    page.evaluate("dispatchEvent(new Event('afterprint'))")
    assert theme_of(page) == "dark"


def test_each_theme_button_is_a_44px_target(open_screen, practice):
    page = open_screen("phone", color_scheme="dark")
    page.goto("/")
    buttons = theme_switch(page).get_by_role("button")
    expect(buttons).to_have_count(3)
    for button in buttons.all():
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box


@pytest.mark.parametrize("scheme", SCHEMES)
def test_without_javascript_the_switch_is_hidden_and_css_follows_the_system(
    open_screen, practice, scheme
):
    page = open_screen("laptop", color_scheme=scheme, java_script_enabled=False)
    page.goto("/")

    assert theme_of(page) is None
    assert body_background(page) == BODY_BG[scheme]
    expect(page.locator("[data-theme-switch]")).to_be_hidden()


# ----- legible in both: axe ------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_axe_public_pages_in_both_themes(open_screen, catalogue, scheme):
    page = open_screen("laptop", color_scheme=scheme)
    findings = {}
    for path in [
        "/",
        "/routines/beginner/",
        "/exercises/straight-leg-raises/",
        "/about/",
        "/privacy/",
        "/offline/",
        "/routines/beginner/guide/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/not-a-token/",  # the expired-link page
        "/accounts/reset/done/",
        "/no/such/page/",
    ]:
        page.goto(path)
        assert theme_of(page) == scheme
        axe_findings(page, path, findings)

    walk_to_step(page, "beginner", 6)  # Straight-leg raises: an avoid-warning.
    expect(page.locator(".warning-avoid")).to_be_visible()
    axe_findings(page, "step 6", findings)
    page.get_by_role("button", name="Done, finish →").click()
    expect_finish(page, "beginner", ["Done"] * 6)
    axe_findings(page, "finish", findings)

    assert_none(findings)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_axe_signed_in_pages_in_both_themes(open_screen, person, scheme):
    page = open_screen("laptop", color_scheme=scheme)
    sign_in(page, person)
    expect(page.locator("svg.calendar-chart")).to_be_visible()
    expect(page.locator("svg.pain-chart")).to_be_visible()
    findings = {}
    for path in [
        "/progress/",
        "/progress/history/",
        person.last_session.get_absolute_url(),
        "/accounts/profile/",
        "/accounts/screening/",
        "/progress/log/",
        f"{person.last_session.get_absolute_url()}delete/",
        "/accounts/password_change/",
        "/accounts/password_change/done/",
        "/",
        "/routines/beginner/",
        "/exercises/straight-leg-raises/",
    ]:
        page.goto(path)
        assert theme_of(page) == scheme
        axe_findings(page, path, findings)

    page.goto("/progress/")
    page.get_by_text("Sessions per week as a table").click()
    axe_findings(page, "dashboard, table open", findings)

    assert_none(findings)


def test_axe_the_player_in_the_dark(open_screen, catalogue):
    page = open_screen("phone", color_scheme="dark")
    stub_player_apis(page)
    player = open_step(page, "beginner", 3)  # Abdominal contraction, held.
    findings = {}
    axe_findings(page, "player, ready", findings)

    toggle = player.locator("[data-player-toggle]")
    toggle.click()
    expect(player).to_have_attribute("data-phase", "leadin")
    # Start turns into Pause: axe reads the colours once the fade is over.
    expect(toggle).to_have_css("color", "rgb(0, 0, 0)")
    axe_findings(page, "player, lead-in", findings)
    page.clock.run_for(6_000)
    expect(player).to_have_attribute("data-phase", "hold")
    axe_findings(page, "player, hold", findings)

    assert_none(findings)


def test_axe_css_alone_in_the_dark(open_screen, catalogue):
    """The colours without theme.js (as without JavaScript, when site.css
    follows the system alone); axe itself needs JavaScript, so the script is
    blocked instead of JavaScript turned off."""
    # The service worker would serve the script past the route.
    page = open_screen("laptop", color_scheme="dark", service_workers="block")
    page.route("**/js/theme.js", lambda route: route.abort())
    findings = {}
    for path in [
        "/",
        "/routines/beginner/",
        "/routines/beginner/guide/",
        "/accounts/login/",
    ]:
        page.goto(path)
        assert theme_of(page) is None
        assert body_background(page) == BODY_BG["dark"]
        axe_findings(page, path, findings)

    assert_none(findings)


# ----- the drawings --------------------------------------------------------

# Where a drawing is shown: the exercise page, a routine's step, a guided step.
DRAWN = [
    ("/exercises/wall-squats/", ".illustration-large"),
    ("/routines/beginner/", ".illustration-step"),
    ("/routines/beginner/guide/4/", ".illustration-guide"),
]


def drawing_light(img):
    """The drawing as shown: its mean grey level and that of its brightest
    pixels (its lines in the dark), each 0–255."""
    img.scroll_into_view_if_needed()
    img.page.wait_for_function("img => img.complete", arg=img.element_handle())
    shot = Image.open(BytesIO(img.screenshot(scale="css"))).convert("L")
    levels = sorted(shot.tobytes())  # one byte a pixel in "L"
    return ImageStat.Stat(shot).mean[0], levels[int(len(levels) * 0.995)]


def assert_drawings_suit(page, scheme):
    start_guide(page, "beginner")
    for path, figure in DRAWN:
        page.goto(path)
        img = page.locator(f"{figure} img.illustration-moving").first
        mean, brightest = drawing_light(img)
        if scheme == "dark":
            # No white card on a dark page; the figure's lines still show.
            assert mean < 80, (path, mean)
            assert brightest > 150, (path, brightest)
        else:
            assert mean > 200, (path, mean)


@pytest.mark.parametrize("name", ["phone", "laptop"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_drawings_are_dark_in_the_dark_and_light_in_the_light(
    open_screen, catalogue, name, scheme
):
    assert_drawings_suit(open_screen(name, color_scheme=scheme), scheme)


def test_drawings_are_dark_in_the_dark_with_css_alone(open_screen, catalogue):
    page = open_screen("laptop", color_scheme="dark", service_workers="block")
    page.route("**/js/theme.js", lambda route: route.abort())
    assert_drawings_suit(page, "dark")
