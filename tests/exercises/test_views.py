import re
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.staticfiles import finders
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from exercises.models import Exercise, Routine, Severity
from tests.factories import (
    ContraindicationFactory,
    ExerciseFactory,
    RoutineStepFactory,
)

BLOCK_TAGS = {
    "article",
    "br",
    "div",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "section",
    "td",
    "th",
    "tr",
    "ul",
}

SKIPPED_TAGS = {"head", "script", "style", "template"}

DISC_WARNING = (
    "Consult a doctor: If you have damage to an intervertebral disc, "
    "talk to your doctor before you start these exercises."
)
NERVE_WARNING = (
    "Avoid: Avoid this exercise if you have nerve pain that runs down into your legs."
)
AEROBIC_CUE = (
    "Tip: Keep your spine straight and your abdominal muscles braced "
    "to protect your back."
)

ROUTINE_SLUGS = ["beginner", "intermediate", "advanced", "aerobic"]
EXERCISE_SLUGS = [
    "ankle-pumps",
    "heel-slides",
    "abdominal-contraction",
    "wall-squats",
    "heel-raises",
    "straight-leg-raises",
    "knee-to-chest",
    "hip-flexor-stretch",
    "piriformis-stretch",
    "stationary-bike",
    "treadmill",
]
PUBLIC_URLS = [
    "/",
    "/about/",
    "/healthz",
    *(f"/routines/{slug}/" for slug in ROUTINE_SLUGS),
    *(f"/exercises/{slug}/" for slug in EXERCISE_SLUGS),
]


class TextParser(HTMLParser):
    """The text a person reads, and the text of each step article by its id."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks = []
        self.articles = {}
        self.open_articles = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self.skip += 1
        if tag in BLOCK_TAGS:
            self.chunks.append(" ")
        if tag == "article":
            self.open_articles.append((dict(attrs).get("id"), len(self.chunks)))

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS:
            self.skip -= 1
        if tag in BLOCK_TAGS:
            self.chunks.append(" ")
        if tag == "article" and self.open_articles:
            article_id, start = self.open_articles.pop()
            self.articles[article_id] = collapse("".join(self.chunks[start:]))

    def handle_data(self, data):
        if not self.skip:
            self.chunks.append(data)


def collapse(text):
    return re.sub(r"\s+", " ", text).strip()


def parse(response):
    parser = TextParser()
    parser.feed(response.content.decode())
    parser.close()
    return parser


def text_of(response):
    return collapse("".join(parse(response).chunks))


def assert_in_order(text, phrases):
    positions = [text.index(phrase) for phrase in phrases]
    assert positions == sorted(positions), phrases


def assert_steps(response, steps):
    """Every step is its own article, in order, carrying every one of its facts."""
    articles = parse(response).articles
    assert sorted(articles) == [f"step-{n}" for n in range(1, len(steps) + 1)]
    text = text_of(response)
    for number, (name, facts) in enumerate(steps, start=1):
        article = articles[f"step-{number}"]
        assert article.startswith(f"{number}. {name} "), article
        for fact in facts:
            assert fact in article, (number, fact)
    assert_in_order(
        text, [f"{number}. {name}" for number, (name, _) in enumerate(steps, 1)]
    )


def assert_site_look(text):
    assert text.startswith("Skip to main content BackCare Routines About")
    assert "BackCare is not medical advice." in text


@pytest.fixture
def grown_catalogue(catalogue, many_routines):
    """The seed catalogue with thirty more routines, some steps reusing seed rows."""
    beginner = Routine.objects.get(slug="beginner")
    ankle_pumps = Exercise.objects.get(slug="ankle-pumps")
    for n, routine in enumerate(many_routines):
        RoutineStepFactory(routine=routine, exercise=ankle_pumps, order=3)
        RoutineStepFactory(
            routine=beginner,
            exercise=ExerciseFactory(contraindications=[ContraindicationFactory()]),
            order=7 + n,
        )
    return many_routines


# One routine page per seed routine, with every fact of DESIGN.md §1.


def test_beginner_routine_page_has_every_fact_of_the_seed(client, catalogue):
    response = client.get("/routines/beginner/")

    assert response.status_code == 200
    text = text_of(response)
    assert "Beginner routine" in text
    assert DISC_WARNING in text
    assert_steps(
        response,
        [
            (
                "Ankle pumps",
                [
                    "Dose: 10 repetitions",
                    "Position: Lying flat on your back",
                    "Move your ankles up and down",
                ],
            ),
            (
                "Heel slides",
                [
                    "Dose: 10 repetitions",
                    "Position: Lying on your back",
                    "Slowly bend one knee",
                    "Slowly straighten the knee again.",
                ],
            ),
            (
                "Abdominal contraction",
                [
                    "Dose: 10 repetitions, hold 5 seconds each",
                    "Position: Lying on your back, knees bent, hands resting below your ribs",
                    "Tighten your abdominal muscles, drawing your ribs down towards your back.",
                    "Relax.",
                    "Tip: Do not hold your breath.",
                ],
            ),
            (
                "Wall squats",
                [
                    "Dose: 10 repetitions, hold 5 seconds each",
                    "Position: Standing with your back against a wall, "
                    "feet about 12 in (30 cm) in front of you",
                    "Keep your abdominal muscles tight.",
                    "Slowly bend your knees to 45 degrees.",
                    "Slowly return to standing.",
                ],
            ),
            (
                "Heel raises",
                [
                    "Dose: 10 repetitions",
                    "Position: Standing, weight even on both feet",
                    "Slowly raise your heels.",
                    "Lower them again.",
                ],
            ),
            (
                "Straight-leg raises",
                [
                    "Dose: 10 repetitions, hold 5 seconds each",
                    NERVE_WARNING,
                    "Position: Lying on your back, one leg straight and the other knee bent",
                    "Tighten your abdominal muscles to steady your back.",
                    "Slowly lift the straight leg 6–12 in (15–30 cm).",
                    "Slowly lower it.",
                ],
            ),
        ],
    )


def test_the_beginner_doses_are_not_mixed_up(client, catalogue):
    articles = parse(client.get("/routines/beginner/")).articles
    held = "10 repetitions, hold 5 seconds each"

    assert [held in articles[f"step-{n}"] for n in range(1, 7)] == [
        False,
        False,
        True,
        True,
        False,
        True,
    ]


def test_intermediate_routine_page_has_every_fact_of_the_seed(client, catalogue):
    response = client.get("/routines/intermediate/")

    assert response.status_code == 200
    text = text_of(response)
    assert "Intermediate routine" in text
    assert DISC_WARNING in text
    assert_steps(
        response,
        [
            (
                "Single knee-to-chest stretch",
                [
                    "Dose: 5 repetitions each side, hold 20 seconds",
                    "Position: Lying on your back, knees bent",
                    "Hold one thigh and draw the knee to your chest.",
                    "Hold.",
                    "Relax.",
                ],
            ),
        ],
    )


def test_advanced_routine_page_has_every_fact_of_the_seed(client, catalogue):
    response = client.get("/routines/advanced/")

    assert response.status_code == 200
    text = text_of(response)
    assert "Advanced routine" in text
    assert DISC_WARNING in text
    assert_steps(
        response,
        [
            (
                "Hip flexor stretch",
                [
                    "Dose: 5 repetitions each side, hold 20 seconds",
                    "Position: Lying on a bed",
                    "draw both knees to your chest",
                    "Slowly lower one leg, keeping the knee bent, until you feel "
                    "the stretch in your hip and thigh.",
                    "Hold.",
                    "Relax.",
                ],
            ),
            (
                "Piriformis stretch",
                [
                    "Dose: 5 repetitions each side, hold 20 seconds",
                    "Position: Lying on your back",
                    "Cross one leg over the other.",
                    "Draw the opposite knee towards your chest until you feel "
                    "the stretch in your hip.",
                    "Hold.",
                    "Relax.",
                ],
            ),
        ],
    )
    assert "lie on your knees" not in text.lower()


def test_aerobic_routine_page_has_every_fact_of_the_seed(client, catalogue):
    response = client.get("/routines/aerobic/")

    assert response.status_code == 200
    text = text_of(response)
    assert "Aerobic routine" in text
    assert DISC_WARNING in text
    assert_steps(
        response,
        [
            (
                "Stationary bike",
                ["Dose: 20–30 minutes", "Position: Seated on the bike", AEROBIC_CUE],
            ),
            (
                "Treadmill",
                ["Dose: 20–30 minutes", "Position: On the treadmill", AEROBIC_CUE],
            ),
        ],
    )


def test_the_nerve_pain_warning_is_only_on_straight_leg_raises(client, catalogue):
    articles = parse(client.get("/routines/beginner/")).articles

    with_warning = [id_ for id_, text in articles.items() if "nerve pain" in text]

    assert with_warning == ["step-6"]
    assert "Straight-leg raises" in articles["step-6"]


@pytest.mark.parametrize("slug", ["intermediate", "advanced", "aerobic"])
def test_other_routines_carry_no_nerve_pain_warning(client, catalogue, slug):
    text = text_of(client.get(f"/routines/{slug}/"))

    assert "nerve pain" not in text
    assert DISC_WARNING in text


def test_a_warning_comes_before_the_instructions_of_its_step(client, catalogue):
    article = parse(client.get("/routines/beginner/")).articles["step-6"]

    assert_in_order(
        article,
        [
            "Straight-leg raises",
            "10 repetitions, hold 5 seconds each",
            NERVE_WARNING,
            "Tighten your abdominal muscles to steady your back.",
        ],
    )


def test_a_routine_page_links_each_exercise(client, catalogue):
    response = client.get("/routines/advanced/")

    assert '<a href="/exercises/hip-flexor-stretch/">Hip flexor stretch</a>' in (
        response.content.decode()
    )
    assert '<a href="/exercises/piriformis-stretch/">Piriformis stretch</a>' in (
        response.content.decode()
    )


def test_a_routine_with_no_steps_says_so(client, routine):
    response = client.get("/routines/gentle/")

    assert response.status_code == 200
    assert "This routine has no steps yet." in text_of(response)


def test_user_text_is_escaped(client, step):
    Exercise.objects.filter(pk=step.exercise.pk).update(name="<b>Bold</b> move")

    body = client.get("/routines/gentle/").content.decode()

    assert "&lt;b&gt;Bold&lt;/b&gt; move" in body
    assert "<b>Bold</b>" not in body


# Every public page: status, content, query budget.


def test_home_page_shows_the_ladder_purpose_and_consult_warning(client, catalogue):
    response = client.get("/")

    assert response.status_code == 200
    text = text_of(response)
    assert_site_look(text)
    links = re.findall(r'href="(/routines/[^"]+)"', response.content.decode())
    assert links == [f"/routines/{slug}/" for slug in ROUTINE_SLUGS]
    assert_in_order(
        text,
        [
            "Beginner Six gentle exercises",
            "Intermediate A knee-to-chest stretch",
            "Advanced Two stretches",
            "Aerobic Steady exercise",
        ],
    )
    assert "stretch and strengthen the muscles of your back" in text
    assert "help prevent back problems" in text
    assert "good posture" in text
    assert "spine in a good position" in text
    assert DISC_WARNING in text
    assert text.count("intervertebral disc") == 1


def test_home_page_lists_each_routines_exercises(client, catalogue):
    text = text_of(client.get("/"))

    assert (
        "6 exercises: Ankle pumps, Heel slides, Abdominal contraction, "
        "Wall squats, Heel raises, Straight-leg raises" in text
    )
    assert "1 exercise: Single knee-to-chest stretch" in text
    assert "2 exercises: Hip flexor stretch, Piriformis stretch" in text
    assert "2 exercises: Stationary bike, Treadmill" in text


def test_home_page_with_an_empty_catalogue(client, db):
    response = client.get("/")

    assert response.status_code == 200
    assert "No routines yet." in text_of(response)


def test_about_page(client, db):
    response = client.get("/about/")

    assert response.status_code == 200
    text = text_of(response)
    assert_site_look(text)
    assert "Simple back massage technique" in text
    assert "Health Preservation Learning Network" in text
    assert "not medical advice" in text
    assert "Stop if your pain gets worse" in text
    assert "damage to an intervertebral disc, talk to your doctor" in text
    assert "stretch and strengthen the muscles of the back" in text


@pytest.mark.parametrize(
    ("slug", "name", "position", "used_in"),
    [
        (
            "ankle-pumps",
            "Ankle pumps",
            "Lying flat on your back",
            "Beginner, step 1: 10 repetitions",
        ),
        (
            "heel-slides",
            "Heel slides",
            "Lying on your back",
            "Beginner, step 2: 10 repetitions",
        ),
        (
            "abdominal-contraction",
            "Abdominal contraction",
            "Lying on your back, knees bent, hands resting below your ribs",
            "Beginner, step 3: 10 repetitions, hold 5 seconds each",
        ),
        (
            "wall-squats",
            "Wall squats",
            "Standing with your back against a wall, feet about 12 in (30 cm) in front of you",
            "Beginner, step 4: 10 repetitions, hold 5 seconds each",
        ),
        (
            "heel-raises",
            "Heel raises",
            "Standing, weight even on both feet",
            "Beginner, step 5: 10 repetitions",
        ),
        (
            "straight-leg-raises",
            "Straight-leg raises",
            "Lying on your back, one leg straight and the other knee bent",
            "Beginner, step 6: 10 repetitions, hold 5 seconds each",
        ),
        (
            "knee-to-chest",
            "Single knee-to-chest stretch",
            "Lying on your back, knees bent",
            "Intermediate, step 1: 5 repetitions each side, hold 20 seconds",
        ),
        (
            "hip-flexor-stretch",
            "Hip flexor stretch",
            "Lying on a bed",
            "Advanced, step 1: 5 repetitions each side, hold 20 seconds",
        ),
        (
            "piriformis-stretch",
            "Piriformis stretch",
            "Lying on your back",
            "Advanced, step 2: 5 repetitions each side, hold 20 seconds",
        ),
        (
            "stationary-bike",
            "Stationary bike",
            "Seated on the bike",
            "Aerobic, step 1: 20–30 minutes",
        ),
        (
            "treadmill",
            "Treadmill",
            "On the treadmill",
            "Aerobic, step 2: 20–30 minutes",
        ),
    ],
)
def test_exercise_page(client, catalogue, slug, name, position, used_in):
    response = client.get(f"/exercises/{slug}/")

    assert response.status_code == 200
    text = text_of(response)
    assert_site_look(text)
    assert f"Routines {name} {name} " in text
    assert f"Position: {position}" in text
    assert f"In these routines {used_in}" in text
    assert ("nerve pain" in text) == (slug == "straight-leg-raises")


def test_exercise_page_lists_every_routine_using_it_in_ladder_order(client, catalogue):
    ankle_pumps = Exercise.objects.get(slug="ankle-pumps")
    RoutineStepFactory(
        routine=Routine.objects.get(slug="aerobic"), exercise=ankle_pumps, order=3
    )
    RoutineStepFactory(
        routine=Routine.objects.get(slug="intermediate"),
        exercise=ankle_pumps,
        order=2,
        repetitions=5,
        hold_seconds=3,
        each_side=True,
    )

    text = text_of(client.get("/exercises/ankle-pumps/"))

    assert_in_order(
        text,
        [
            "Beginner, step 1: 10 repetitions",
            "Intermediate, step 2: 5 repetitions each side, hold 3 seconds",
            "Aerobic, step 3: 10 repetitions",
        ],
    )


def test_an_unused_exercise_says_so(client, exercise):
    text = text_of(client.get("/exercises/pelvic-tilt/"))

    assert "No routine uses this exercise yet." in text


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_page_stays_within_the_query_budget(
    client, catalogue, django_assert_max_num_queries, url
):
    with django_assert_max_num_queries(4):
        response = client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_the_query_budget_does_not_grow_with_the_catalogue(
    client, grown_catalogue, django_assert_max_num_queries, url
):
    with django_assert_max_num_queries(4):
        response = client.get(url)

    assert response.status_code == 200


def test_grown_pages_show_the_extra_rows(client, grown_catalogue):
    home = text_of(client.get("/"))
    beginner = parse(client.get("/routines/beginner/")).articles
    ankle_pumps = text_of(client.get("/exercises/ankle-pumps/"))

    assert "Extra routine 29" in home
    assert len(beginner) == 36
    assert ankle_pumps.count(", step 3: 10 repetitions") == 30


# Pages that do not exist.


@pytest.mark.parametrize(
    "url",
    [
        "/routines/no-such-routine/",
        "/exercises/no-such-exercise/",
        "/routines/beginner/guide/99/",
        "/routines/bad%20slug!/",
        "/no/such/page/",
    ],
)
def test_missing_pages_answer_with_the_sites_404_page(client, catalogue, url):
    response = client.get(url)

    assert response.status_code == 404
    text = text_of(response)
    assert "Page not found" in text
    assert_site_look(text)
    assert '<nav class="navbar' in response.content.decode()


# /healthz


def test_healthz_answers_ok_with_the_database_up(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content.startswith(b"ok\ndatabase: ok\ncache: ")


def test_healthz_answers_503_when_the_database_fails(client, db):
    failure = OperationalError("could not connect to server")

    with mock.patch.object(
        BaseDatabaseWrapper, "ensure_connection", side_effect=failure
    ):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert b"database unavailable\ndatabase: down\n" in response.content


# Printing a routine.


def test_the_routine_page_prints_without_navigation_and_buttons(client, catalogue):
    body = client.get("/routines/beginner/").content.decode()
    assert '<link rel="stylesheet" href="/static/css/site.css">' in body

    css = Path(finders.find("css/site.css")).read_text(encoding="utf-8")
    hidden = {
        selector.strip()
        for selectors, declarations in css_rules(media_block(css, "print"))
        if re.search(r"display:\s*none", declarations)
        for selector in selectors.split(",")
    }

    assert {".site-header", ".btn"} <= hidden


def media_block(css, media):
    start = css.index("{", css.index(f"@media {media}")) + 1
    depth = 1
    for end in range(start, len(css)):
        depth += {"{": 1, "}": -1}.get(css[end], 0)
        if depth == 0:
            return css[start:end]
    raise AssertionError(f"@media {media} is not closed")


def css_rules(css):
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return re.findall(r"([^{}]+)\{([^{}]*)\}", css)


@pytest.mark.parametrize(
    ("severity", "label", "style"),
    [
        (Severity.AVOID, "Avoid:", "alert-danger"),
        (Severity.CONSULT, "Consult a doctor:", "alert-warning"),
        (Severity.CAUTION, "Caution:", "alert-info"),
    ],
)
def test_each_severity_has_its_own_style_beside_its_step(
    client, routine, exercise, step, severity, label, style
):
    exercise.contraindications.add(
        ContraindicationFactory(severity=severity, description="Mind the knees.")
    )

    page = client.get(routine.get_absolute_url()).content.decode()

    warning = re.search(
        r'<div class="alert warning ([^"]*)"[^>]*>(.*?)</div>', page, re.S
    )
    assert warning, "no warning on the routine page"
    assert warning.group(1).split() == [f"warning-{severity}", style]
    assert label in warning.group(2)
    assert "Mind the knees." in warning.group(2)
    assert page.index('id="step-1"') < page.index("Mind the knees.")
