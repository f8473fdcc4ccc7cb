"""The seed catalogue (fixtures/catalogue.json) as DESIGN.md §1 gives it.

Every number, side and warning of the seed, in the database and on the pages
that show it. Behaviour is tested on factory routines in the other files.
"""

import re

import pytest
from django.utils.html import escape

from exercises.cache import cached_plan
from exercises.models import Contraindication, Exercise, Routine
from tests.helpers import articles_of, assert_in_order, html, text_of

NERVE_PAIN = "Avoid this exercise if you have nerve pain that runs down into your legs."
NERVE_WARNING = f"Avoid: {NERVE_PAIN}"
DISC = (
    "If you have damage to an intervertebral disc, talk to your doctor before "
    "you start these exercises."
)
DISC_WARNING = f"Consult a doctor: {DISC}"
AEROBIC_CUE = (
    "Tip: Keep your spine straight and your abdominal muscles braced "
    "to protect your back."
)
ROUTINE_SLUGS = ["beginner", "intermediate", "advanced", "aerobic"]

# (exercise, dose) of each step of each seed routine, in order.
SEED_STEPS = {
    "beginner": [
        ("ankle-pumps", "10 repetitions"),
        ("heel-slides", "10 repetitions"),
        ("abdominal-contraction", "10 repetitions, hold 5 seconds each"),
        ("wall-squats", "10 repetitions, hold 5 seconds each"),
        ("heel-raises", "10 repetitions"),
        ("straight-leg-raises", "10 repetitions, hold 5 seconds each"),
    ],
    "intermediate": [
        ("knee-to-chest", "5 repetitions each side, hold 20 seconds"),
    ],
    "advanced": [
        ("hip-flexor-stretch", "5 repetitions each side, hold 20 seconds"),
        ("piriformis-stretch", "5 repetitions each side, hold 20 seconds"),
    ],
    "aerobic": [
        ("stationary-bike", "20–30 minutes"),
        ("treadmill", "20–30 minutes"),
    ],
}


# The steps of each seed routine: (name, facts its page shows), in order.
SEED_PAGES = {
    "beginner": [
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
    "intermediate": [
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
    "advanced": [
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
    "aerobic": [
        (
            "Stationary bike",
            ["Dose: 20–30 minutes", "Position: Seated on the bike", AEROBIC_CUE],
        ),
        (
            "Treadmill",
            ["Dose: 20–30 minutes", "Position: On the treadmill", AEROBIC_CUE],
        ),
    ],
}


SEED_EXERCISES = {slug for steps in SEED_STEPS.values() for slug, _ in steps}


def assert_steps(response, steps):
    """Every step is its own article, in order, carrying every one of its facts."""
    articles = articles_of(response)
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
    assert text.startswith("Skip to main content BackCare Menu Routines About")
    assert "BackCare is not medical advice." in text


def gate(slug="beginner"):
    return f"/routines/{slug}/guide/"


def step(n, slug="beginner"):
    return f"/routines/{slug}/guide/{n}/"


def acknowledge(client, slug="beginner", **picked):
    """Read the safety check; ``step=n`` picks step n of alternatives."""
    data = {"acknowledged": "on", **picked}
    assert client.post(gate(slug), data).status_code == 302


def instructions(response):
    """The numbered instructions of a step page, in order."""
    block = re.search(r'<ol class="instructions">(.*?)</ol>', html(response), re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1), re.S)


# The rows


def test_the_seed_catalogue_has_every_routine_in_ladder_order(catalogue):
    routines = [(r.slug, r.title, r.kind) for r in Routine.objects.ladder()]

    assert routines == [
        ("beginner", "Beginner", "strength"),
        ("intermediate", "Intermediate", "strength"),
        ("advanced", "Advanced", "strength"),
        ("aerobic", "Aerobic", "aerobic"),
    ]


def test_the_seed_catalogue_has_all_eleven_exercises(catalogue):
    assert set(Exercise.objects.values_list("slug", flat=True)) == SEED_EXERCISES
    assert len(SEED_EXERCISES) == 11


@pytest.mark.parametrize("slug", SEED_STEPS)
def test_each_seed_routine_has_its_steps_in_order_with_their_doses(catalogue, slug):
    routine = Routine.objects.get(slug=slug)

    steps = [
        (step.order, step.exercise.slug, step.dose_text)
        for step in routine.steps.select_related("exercise")
    ]

    assert steps == [
        (order, exercise, dose)
        for order, (exercise, dose) in enumerate(SEED_STEPS[slug], start=1)
    ]


def test_every_seed_routine_carries_the_disc_consult_warning(catalogue):
    for routine in Routine.objects.all():
        assert [c.slug for c in routine.contraindications.all()] == ["disc-damage"]
    disc = Contraindication.objects.get(slug="disc-damage")
    assert disc.severity == "consult"
    assert "damage to an intervertebral disc" in disc.description
    assert "talk to your doctor" in disc.description


def test_only_straight_leg_raises_carries_the_nerve_pain_warning(catalogue):
    nerve = Contraindication.objects.get(slug="nerve-pain-legs")

    assert nerve.severity == "avoid"
    assert "nerve pain that runs down into your legs" in nerve.description
    assert nerve.screening_question
    assert [e.slug for e in nerve.exercises.all()] == ["straight-leg-raises"]


def test_the_seed_numbers_are_kept_exactly(catalogue):
    wall_squats = Exercise.objects.get(slug="wall-squats")
    leg_raises = Exercise.objects.get(slug="straight-leg-raises")

    assert "12 in (30 cm)" in wall_squats.position
    assert "45 degrees" in wall_squats.instructions
    assert "6–12 in (15–30 cm)" in leg_raises.instructions


def test_general_contraindications_of_the_seed_catalogue(catalogue):
    slugs = [c.slug for c in Contraindication.objects.general()]

    assert slugs == ["disc-damage"]


def test_the_beginner_plan_groups_the_seed_warnings(catalogue):
    groups = cached_plan("beginner").warnings_by_severity()

    assert [
        (severity, [(warning.slug, targets) for warning, targets in warnings])
        for severity, warnings in groups
    ] == [
        ("Avoid", [("nerve-pain-legs", ["step 6, Straight-leg raises"])]),
        ("Consult a doctor", [("disc-damage", ["the whole routine"])]),
    ]


def test_the_aerobic_plan_has_only_the_routines_own_warning(catalogue):
    groups = cached_plan("aerobic").warnings_by_severity()

    assert [(severity, len(warnings)) for severity, warnings in groups] == [
        ("Consult a doctor", 1)
    ]


# The public pages


@pytest.mark.parametrize("slug", SEED_PAGES)
def test_each_routine_page_has_every_fact_of_the_seed(client, catalogue, slug):
    response = client.get(f"/routines/{slug}/")

    assert response.status_code == 200
    text = text_of(response)
    assert f"{slug.capitalize()} routine" in text
    assert DISC_WARNING in text
    assert ("nerve pain" in text) == (slug == "beginner")
    assert "lie on your knees" not in text.lower()
    assert_steps(response, SEED_PAGES[slug])


def test_the_beginner_doses_are_not_mixed_up(client, catalogue):
    articles = articles_of(client.get("/routines/beginner/"))
    held = "10 repetitions, hold 5 seconds each"

    assert [held in articles[f"step-{n}"] for n in range(1, 7)] == [
        False,
        False,
        True,
        True,
        False,
        True,
    ]


def test_the_nerve_pain_warning_is_only_on_straight_leg_raises(client, catalogue):
    articles = articles_of(client.get("/routines/beginner/"))

    with_warning = [id_ for id_, text in articles.items() if "nerve pain" in text]

    assert with_warning == ["step-6"]
    assert "Straight-leg raises" in articles["step-6"]


def test_home_page_shows_the_ladder_purpose_and_consult_warning(client, catalogue):
    response = client.get("/")

    assert response.status_code == 200
    text = text_of(response)
    assert_site_look(text)
    links = re.findall(r'href="(/routines/[^"]+)"', html(response))
    # The first action (the beginner's safety check), then the ladder.
    assert links == ["/routines/beginner/guide/"] + [
        f"/routines/{slug}/" for slug in ROUTINE_SLUGS
    ]
    assert_in_order(
        text,
        [
            "Beginner About 7 minutes Six gentle exercises",
            "Intermediate About 4 minutes A knee-to-chest stretch",
            "Advanced About 9 minutes Two stretches",
            "Aerobic About 20–30 minutes Steady exercise",
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
    assert "One of: Stationary bike or Treadmill" in text


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


# The guided run


def test_the_beginner_safety_check_groups_the_seed_warnings(client, catalogue):
    response = client.get(gate())

    page = html(response)
    assert response.status_code == 200
    assert_in_order(
        page,
        [
            ">Avoid</h2>",
            NERVE_PAIN,
            "Applies to step 6, Straight-leg raises.",
            ">Consult a doctor</h2>",
            DISC,
            "Applies to the whole routine.",
        ],
    )


@pytest.mark.parametrize(
    ("slug", "n"),
    [(slug, n) for slug, steps in SEED_PAGES.items() for n in range(1, len(steps) + 1)],
)
def test_each_guided_step_has_every_fact_of_the_seed(client, catalogue, slug, n):
    name, facts = SEED_PAGES[slug][n - 1]
    total = len(SEED_PAGES[slug])
    exercise = Exercise.objects.get(name=name)
    # The aerobic routine runs the one of its steps picked at the safety check.
    acknowledge(client, slug, **({"step": n} if slug == "aerobic" else {}))
    # The one picked is the only step of its session (issue 27.9).
    place, total = (1, 1) if slug == "aerobic" else (n, total)

    response = client.get(step(n, slug))

    page = html(response)
    text = text_of(response)
    assert response.status_code == 200
    assert f"Step {place} of {total}" in page
    assert re.search(rf"<h1\b[^>]*>{re.escape(escape(name))}</h1>", page)
    assert re.search(rf'<progress [^>]*value="{place}" max="{total}"', page)
    for fact in facts:
        assert fact in text, fact
    assert instructions(response) == [
        escape(line) for line in exercise.instruction_list
    ]
    assert ("nerve pain" in text) == (name == "Straight-leg raises")
    assert ("Skip this exercise" in text) == (name == "Straight-leg raises")
    sides = "on your right side, then on your left side"
    assert (sides in text) == ("each side" in facts[0])
