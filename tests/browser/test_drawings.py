"""Each exercise's drawing where a person needs it (issue 16): large on the
exercise page, beside each step of a routine, large on the guided step (under
the timer on a phone, beside it on a laptop) and turned to the side the timer
is on, still with reduced motion, on paper, without JavaScript, and no broken
image where there is no drawing."""

import io
import re

import pytest
from django.templatetags.static import static
from PIL import Image
from playwright.sync_api import expect

from exercises.drawings import DRAWINGS
from exercises.models import Routine
from tests.browser.flows import (
    NO_LEAD_IN,
    assert_no_horizontal_scroll,
    open_step,
    player_of,
    press,
    start_guide,
    stubbed_player,
)
from tests.factories import ExerciseFactory, RoutineFactory, RoutineStepFactory
from tests.servers import gunicorn

SEED_ROUTINES = ["beginner", "intermediate", "advanced", "aerobic"]
VIEWPORT_BOTTOM = 800
MIRRORED = re.compile(r"\bis-mirrored\b")


# ----- helpers (general ones could move to flows.py) -------------------------


def expect_loaded(img):
    """An image, lazy or not, fetched once scrolled to and decoded: not broken."""
    img.scroll_into_view_if_needed()
    img.page.wait_for_function("img => img.complete", arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") > 0, img.get_attribute("src")


def computed(locator, name):
    return locator.evaluate("(el, name) => getComputedStyle(el)[name]", name)


def x_scale(img):
    """The moving drawing's horizontal scale: -1 when mirrored, 1 when not."""
    transform = computed(img, "transform")
    if transform == "none":
        return 1.0
    return float(re.fullmatch(r"matrix\(([-\d.e]+),.*\)", transform)[1])


def slug_of(step):
    href = step.locator("h3 a").get_attribute("href")
    return re.fullmatch(r"/exercises/([\w-]+)/", href)[1]


def is_phone(page):
    return page.viewport_size["width"] == 360


def assert_fits_the_width(page):
    if is_phone(page):
        assert_no_horizontal_scroll(page)
    else:
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )


def assert_inside_first_screen(locator, what):
    box = locator.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT_BOTTOM, (what, box)


# ----- the exercise page ---------------------------------------------------


def test_every_seed_exercise_page_shows_its_drawing_large(screen, catalogue):
    page = screen
    for slug, drawing in DRAWINGS.items():
        page.goto(f"/exercises/{slug}/")
        figure = page.locator("figure.illustration.illustration-large")
        expect(figure).to_have_count(1)
        img = figure.locator("img.illustration-moving")
        expect(img).to_be_visible()
        expect(img).to_have_attribute("alt", drawing.alt)
        expect(img).to_have_attribute("src", static(drawing.path))
        expect(figure.locator("img.illustration-print")).to_be_hidden()
        expect_loaded(img)
        width = img.bounding_box()["width"]
        if is_phone(page):
            assert width >= 0.8 * 360, (slug, width)
        else:
            assert width >= 280, (slug, width)
        caption = figure.locator("figcaption")
        if drawing.sided:
            expect(caption).to_have_text("Right side shown")
        else:
            expect(caption).to_have_count(0)
        assert_fits_the_width(page)


# ----- the routine page ----------------------------------------------------


def test_each_step_of_every_seed_routine_shows_its_drawing(screen, catalogue):
    page = screen
    for routine in SEED_ROUTINES:
        page.goto(f"/routines/{routine}/")
        steps = page.locator("article.step")
        expect(steps).to_have_count(Routine.objects.get(slug=routine).steps.count())
        for step in steps.all():
            slug = slug_of(step)
            figure = step.locator("figure.illustration-step")
            img = figure.locator("img.illustration-moving")
            expect(img).to_have_attribute("loading", "lazy")
            expect(img).to_have_attribute("alt", DRAWINGS[slug].alt)
            expect_loaded(img)
            expect(img).to_be_visible()
            # Beside the instructions on a laptop, above them on a phone.
            assert computed(figure, "float") == ("none" if is_phone(page) else "right")
            assert_fits_the_width(page)


# ----- the guided step -----------------------------------------------------


def test_guided_step_shows_a_large_drawing_and_start_in_the_first_screen(
    screen, catalogue
):
    page = screen
    for routine in ("beginner", "intermediate", "advanced"):
        start_guide(page, routine)
        steps = Routine.objects.get(slug=routine).steps.select_related("exercise")
        for step in steps:
            page.goto(f"/routines/{routine}/guide/{step.order}/")
            player = player_of(page)
            where = (routine, step.order)
            if (routine, step.order) == ("beginner", 6):
                # The worst case: the avoid-warning and its Skip button too.
                expect(page.locator(".warning-avoid")).to_be_visible()
                expect(
                    page.get_by_role("button", name="Skip this exercise")
                ).to_be_visible()
            assert page.evaluate("scrollY") == 0, where
            assert_inside_first_screen(player.locator("[data-player-toggle]"), where)
            figure = page.locator("figure.illustration-guide")
            img = figure.locator("img.illustration-moving")
            expect(img).to_have_attribute("alt", step.exercise.drawing.alt)
            expect(figure.locator(".illustration-print")).to_have_count(0)
            timer = player.bounding_box()
            box = img.bounding_box()
            if is_phone(page):
                # Under the player, as wide as the page.
                assert box["y"] >= timer["y"] + timer["height"], where
                assert box["width"] >= 300, where
            else:
                # Beside the timer, in the first screen.
                assert box["x"] >= timer["x"] + timer["width"], where
                assert box["y"] < timer["y"] + timer["height"], where
                assert_inside_first_screen(img, where)
            expect_loaded(img)
            assert_fits_the_width(page)


@pytest.fixture
def player_screen(screen):
    """Each screen with the player's calls recorded, on a fake clock, with no
    lead-in; no script error may happen."""
    yield from stubbed_player(screen, NO_LEAD_IN)


def test_guided_drawing_turns_to_the_left_side_with_the_timer(player_screen, catalogue):
    page = player_screen
    player = open_step(page, "intermediate", 1)  # Knee to chest, each side.
    figure = page.locator("figure[data-guide-drawing]")
    img = figure.locator("img.illustration-moving")
    caption = figure.locator("figcaption[data-guide-drawing-side]")
    side = player.locator("[data-player-side]")
    expect_loaded(img)
    expect(side).to_have_text("Now: right side")
    expect(caption).to_have_text("Right side shown")
    expect(figure).not_to_have_class(MIRRORED)
    assert x_scale(img) > 0

    press(player, "Start")
    for _ in range(40):
        page.clock.run_for(5_000)
        if side.inner_text() == "Now: left side":
            break
        expect(caption).to_have_text("Right side shown")
        expect(figure).not_to_have_class(MIRRORED)
    expect(side).to_have_text("Now: left side")
    expect(figure).to_have_class(MIRRORED)
    expect(caption).to_have_text("Left side shown")
    assert x_scale(img) < 0
    expect(img).to_be_visible()


def test_guided_drawing_of_a_step_without_sides_never_turns(player_screen, catalogue):
    page = player_screen
    player = open_step(page, "beginner", 3)  # Abdominal contraction, held.
    figure = page.locator("figure.illustration-guide")
    img = figure.locator("img.illustration-moving")
    expect_loaded(img)
    expect(figure.locator("figcaption")).to_have_count(0)
    expect(page.locator("[data-guide-drawing]")).to_have_count(0)

    press(player, "Start")
    for _ in range(6):
        page.clock.run_for(15_000)
        expect(figure).not_to_have_class(MIRRORED)
        assert x_scale(img) > 0
    expect(player.get_by_role("status")).to_contain_text("Exercise done")


# ----- the drawing itself: motion and reduced motion -----------------------


# The left and right edges of the shapes in each of the two still poses.
SPANS = """[...document.querySelectorAll('.fr > g')].map(pose => {
  const boxes = [...pose.querySelectorAll('line, path, circle, rect, ellipse')]
    .map(shape => shape.getBoundingClientRect());
  return [Math.min(...boxes.map(b => b.left)), Math.max(...boxes.map(b => b.right))];
})"""


def test_drawings_move_unless_motion_is_reduced(open_screen, live_server):
    moving = open_screen("laptop", reduced_motion="no-preference")
    still = open_screen("laptop", reduced_motion="reduce")
    for slug, drawing in DRAWINGS.items():
        moving.goto(static(drawing.path))
        assert moving.evaluate("document.getAnimations().length") > 0, slug
        assert computed(moving.locator(".mv"), "display") != "none", slug
        assert computed(moving.locator(".fr"), "display") == "none", slug

        still.goto(static(drawing.path))
        assert computed(still.locator(".mv"), "display") == "none", slug
        assert computed(still.locator(".fr"), "display") == "inline", slug
        rendered = still.evaluate(
            "document.getAnimations()"
            ".filter(a => a.effect.target.getClientRects().length).length"
        )
        assert rendered == 0, slug
        # Start and end side by side, each in its half of the drawing (the
        # shapes' own geometry: a rotated group's box is wider than its lines).
        (start, end), width = still.evaluate(SPANS), drawing.width
        assert start[0] >= 0 and start[1] <= width / 2, (slug, start, width)
        assert end[0] >= width / 2 and end[1] <= width, (slug, end, width)

        # The printed pair: no motion, only black, white and greys.
        still.goto(static(drawing.frames_path))
        assert still.evaluate("document.getAnimations().length") == 0, slug
        colours = still.evaluate(
            "[...document.querySelectorAll('*')].flatMap(el => {"
            " const style = getComputedStyle(el); return [style.fill, style.stroke]; })"
        )
        for colour in set(colours):
            channels = (
                re.findall(r"\d+", colour)[:3] if colour.startswith("rgb") else []
            )
            assert colour == "none" or len(set(channels)) == 1, (slug, colour)


# ----- a drawing opened on its own (issue 27.8) ----------------------------


@pytest.fixture(scope="module")
def served_as_in_production(tmp_path_factory):
    """gunicorn as production runs it: WhiteNoise serves the collected files
    through the site's middleware, its Content Security Policy included (the
    live server hands static files out without either)."""
    database = tmp_path_factory.mktemp("drawings") / "db.sqlite3"
    with gunicorn(workers=1, database_url=f"sqlite:///{database}") as server:
        yield server


def shares(picture):
    """The shares of a picture's pixels that are near black, near white, and
    coloured (one channel apart from the others)."""
    channels = iter(picture.convert("RGB").tobytes())
    pixels = list(zip(channels, channels, channels, strict=True))
    dark = sum(1 for p in pixels if max(p) < 60) / len(pixels)
    light = sum(1 for p in pixels if min(p) > 230) / len(pixels)
    coloured = sum(1 for p in pixels if max(p) - min(p) > 60) / len(pixels)
    return dark, light, coloured


@pytest.mark.servers
def test_a_drawing_opened_on_its_own_is_drawn_under_the_sites_policy(
    screen, served_as_in_production
):
    for drawing in DRAWINGS.values():
        for path in (drawing.path, drawing.frames_path):
            url = f"{served_as_in_production.base}/static/{path}"
            response = screen.goto(url)
            # As "open image in new tab" gets it: the site's policy with it.
            assert response.status == 200, url
            assert "style-src 'self'" in response.headers["content-security-policy"]
            picture = Image.open(io.BytesIO(screen.locator("svg").screenshot()))

            dark, light, coloured = shares(picture)

            # A white card with a figure on it, not a black box: the figure's
            # dark lines are a small part of it, most of it is white.
            assert dark < 0.15, (url, dark)
            assert light > 0.6, (url, light)
            assert dark > 0.002, (url, dark)  # the figure is there
            if path == drawing.path and drawing.figure.working:
                assert coloured > 0.002, (url, coloured)  # working limbs, blue


# ----- the printed handout -------------------------------------------------


def test_printed_routine_shows_start_and_end_frames(page, catalogue):
    for routine in SEED_ROUTINES:
        page.goto(f"/routines/{routine}/")
        # Printing fetches the lazy start-and-end pictures, unscrolled.
        page.pdf()
        assert page.evaluate(
            "[...document.querySelectorAll('img.illustration-print')]"
            ".every(img => img.complete && img.naturalWidth > 0)"
        ), routine
        page.emulate_media(media="print")
        for step in page.locator("article.step").all():
            slug = slug_of(step)
            printed = step.locator("img.illustration-print")
            moving = step.locator("img.illustration-moving")
            expect(printed).to_be_visible()
            expect(moving).to_be_hidden()
            expect(printed).to_have_attribute("src", static(DRAWINGS[slug].frames_path))
            expect(printed).to_have_attribute(
                "alt", f"Start and end positions. {DRAWINGS[slug].alt}"
            )
            expect_loaded(printed)

        page.emulate_media(media="screen")
        for step in page.locator("article.step").all():
            expect(step.locator("img.illustration-print")).to_be_hidden()
            expect(step.locator("img.illustration-moving")).to_be_visible()


# ----- without JavaScript ----------------------------------------------------


def test_drawings_show_without_javascript(no_js_page, catalogue):
    page = no_js_page
    start_guide(page, "intermediate")
    figure = page.locator("figure.illustration-guide")
    expect_loaded(figure.locator("img.illustration-moving"))
    expect(figure.locator("figcaption")).to_have_text("Right side shown")
    expect(figure).not_to_have_class(MIRRORED)

    page.goto("/exercises/knee-to-chest/")
    expect_loaded(page.locator(".illustration-large img.illustration-moving"))

    page.goto("/routines/beginner/")
    for img in page.locator("article.step img.illustration-moving").all():
        expect_loaded(img)


# ----- an exercise with no drawing -----------------------------------------


@pytest.fixture
def undrawn(db):
    assert "bird-dog" not in DRAWINGS
    routine = RoutineFactory(slug="undrawn", title="Undrawn")
    exercise = ExerciseFactory(slug="bird-dog", name="Bird dog")
    RoutineStepFactory(routine=routine, exercise=exercise, order=1)
    return routine


def assert_no_image(page):
    expect(page.locator(".illustration")).to_have_count(0)
    expect(page.locator("main img")).to_have_count(0)
    broken = page.evaluate(
        "[...document.images].filter(img => !img.complete || !img.naturalWidth)"
        ".map(img => img.src)"
    )
    assert broken == []


def test_an_exercise_without_a_drawing_shows_no_image(page, undrawn):
    page.goto("/exercises/bird-dog/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bird dog")
    assert_no_image(page)

    page.goto("/routines/undrawn/")
    expect(page.locator("article.step")).to_have_count(1)
    assert_no_image(page)

    start_guide(page, "undrawn")
    player_of(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bird dog")
    assert_no_image(page)
