import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.html import escape

from exercises.guide import SESSION_KEY
from exercises.models import (
    Contraindication,
    Exercise,
    Routine,
    RoutineStep,
    Severity,
)
from tests.helpers import html, text_of

GATE = "/routines/{slug}/guide/"
STEP = "/routines/{slug}/guide/{n}/"
FINISH = "/routines/{slug}/guide/finish/"

NERVE_PAIN = "Avoid this exercise if you have nerve pain that runs down into your legs."
DISC = (
    "If you have damage to an intervertebral disc, talk to your doctor before "
    "you start these exercises."
)
NOT_READ = "Please confirm that you have read the warnings."
CHOOSE = escape("Choose “Done” or “Skip”.")
READ_FIRST = "Please read the safety check before you start."

# (name, position, dose) of each beginner step, as the seed prescribes them.
BEGINNER = [
    ("Ankle pumps", "Lying flat on your back", "10 repetitions"),
    ("Heel slides", "Lying on your back", "10 repetitions"),
    (
        "Abdominal contraction",
        "Lying on your back, knees bent, hands resting below your ribs",
        "10 repetitions, hold 5 seconds each",
    ),
    (
        "Wall squats",
        "Standing with your back against a wall, feet about 12 in (30 cm) in "
        "front of you",
        "10 repetitions, hold 5 seconds each",
    ),
    ("Heel raises", "Standing, weight even on both feet", "10 repetitions"),
    (
        "Straight-leg raises",
        "Lying on your back, one leg straight and the other knee bent",
        "10 repetitions, hold 5 seconds each",
    ),
]


def gate(slug="beginner"):
    return GATE.format(slug=slug)


def step(n, slug="beginner"):
    return STEP.format(slug=slug, n=n)


def finish(slug="beginner"):
    return FINISH.format(slug=slug)


def instructions(response):
    """The numbered instructions of a step page, in order."""
    block = re.search(r'<ol class="instructions">(.*?)</ol>', html(response), re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1), re.S)


def summary(response):
    """(exercise name, outcome label) for each row of the finish summary."""
    block = re.search(
        r'<ol class="[^"]*guide-summary">(.*?)</ol>', html(response), re.S
    )
    return re.findall(
        r'<span class="me-auto">([^<]*?) <span.*?outcome-\w+">([^<]*)</span>',
        block.group(1),
        re.S,
    )


def outcomes(client, slug="beginner"):
    return client.session[SESSION_KEY][slug]["outcomes"]


def acknowledge(client, slug="beginner"):
    response = client.post(gate(slug), {"acknowledged": "on"})
    assert response.status_code == 302
    return response


@pytest.fixture
def guided(client, catalogue):
    """A visitor who has read and acknowledged the beginner warnings."""
    acknowledge(client)
    return client


@pytest.fixture
def more_catalogue(catalogue):
    """20 more warnings on the beginner routine and its exercises, 20 more routines."""
    severities = list(Severity.values)
    warnings = [
        Contraindication.objects.create(
            slug=f"extra-warning-{n}",
            title=f"Extra warning {n:02}",
            description=f"Extra warning number {n:02}.",
            severity=severities[n % len(severities)],
        )
        for n in range(20)
    ]
    beginner = Routine.objects.get(slug="beginner")
    beginner.contraindications.add(*warnings)
    for exercise in Exercise.objects.filter(steps__routine=beginner):
        exercise.contraindications.add(*warnings)
    for n in range(20):
        routine = Routine.objects.create(
            slug=f"extra-routine-{n}",
            title=f"Extra routine {n:02}",
            summary="One more routine.",
            level=100 + n,
        )
        routine.contraindications.add(warnings[n])
        for order in (1, 2):
            exercise = Exercise.objects.create(
                slug=f"extra-exercise-{n}-{order}",
                name=f"Extra exercise {n:02}-{order}",
                position="Lying on your back",
                instructions="Lie on your back.\nRelax.",
            )
            exercise.contraindications.add(*warnings[:3])
            RoutineStep.objects.create(
                routine=routine, exercise=exercise, order=order, repetitions=10
            )


# The safety check


def test_gate_lists_every_warning_grouped_by_severity(client, catalogue):
    response = client.get(gate())

    page = html(response)
    assert response.status_code == 200
    assert "Before you start: safety check" in page
    assert NERVE_PAIN in page
    assert DISC in page
    assert page.index(">Avoid</h2>") < page.index(">Consult a doctor</h2>")
    assert page.index(">Avoid</h2>") < page.index(NERVE_PAIN)
    assert page.index(NERVE_PAIN) < page.index(">Consult a doctor</h2>")
    assert page.index(">Consult a doctor</h2>") < page.index(DISC)


def test_gate_says_which_step_each_warning_applies_to(client, catalogue):
    page = html(client.get(gate()))

    assert "Applies to step 6, Straight-leg raises." in page
    assert "Applies to the whole routine." in page
    assert page.index(NERVE_PAIN) < page.index("Applies to step 6")
    assert page.index(DISC) < page.index("Applies to the whole routine.")


def test_gate_has_the_acknowledgement_checkbox(client, catalogue):
    page = html(client.get(gate()))

    assert re.search(r'<input type="checkbox" name="acknowledged"', page)
    assert "I have read these warnings" in page
    assert "Start guided session" in page
    assert "Continue at step" not in page


def test_gate_without_the_checkbox_answers_400_and_stores_nothing(client, catalogue):
    response = client.post(gate(), {"acknowledged": ""})

    assert response.status_code == 400
    assert NOT_READ in html(response)
    assert NERVE_PAIN in html(response)
    assert SESSION_KEY not in client.session
    assert client.get(step(1)).url == gate()


def test_gate_with_only_other_fields_answers_400(client, catalogue):
    response = client.post(gate(), {"something": "else"})

    assert response.status_code == 400
    assert NOT_READ in html(response)
    assert SESSION_KEY not in client.session


def test_gate_post_with_an_empty_body_answers_400(client, catalogue):
    response = client.post(gate())

    assert response.status_code == 400
    assert NOT_READ in html(response)


def test_gate_with_the_checkbox_starts_at_step_1(client, catalogue):
    response = client.post(gate(), {"acknowledged": "on"})

    assert response.status_code == 302
    assert response.url == step(1)
    assert outcomes(client) == {}
    assert client.get(step(1)).status_code == 200


def test_gate_after_acknowledging_offers_to_continue(guided):
    page = html(guided.get(gate()))

    assert "Start again from step 1" in page
    assert f'href="{step(1)}">Continue at step 1 of 6' in page


# Reaching a step or the finish without the safety check


@pytest.mark.parametrize("n", [1, 3, 6])
def test_step_before_acknowledging_redirects_to_the_gate(client, catalogue, n):
    response = client.get(step(n))

    assert response.status_code == 302
    assert response.url == gate()


def test_redirect_to_the_gate_explains_why(client, catalogue):
    response = client.get(step(2), follow=True)

    assert response.redirect_chain == [(gate(), 302)]
    assert READ_FIRST in html(response)


def test_posting_a_step_before_acknowledging_records_nothing(client, catalogue):
    response = client.post(step(2), {"action": "done"})

    assert response.status_code == 302
    assert response.url == gate()
    assert SESSION_KEY not in client.session


def test_finish_before_acknowledging_redirects_to_the_gate(client, catalogue):
    response = client.get(finish())

    assert response.status_code == 302
    assert response.url == gate()


def test_acknowledging_one_routine_does_not_acknowledge_another(guided):
    assert guided.get(step(1)).status_code == 200

    response = guided.get(step(1, "advanced"))
    assert response.status_code == 302
    assert response.url == gate("advanced")
    response = guided.get(finish("advanced"))
    assert response.status_code == 302
    assert response.url == gate("advanced")


# The step pages


@pytest.mark.parametrize("n", range(1, 7))
def test_beginner_step_shows_what_to_do(guided, n):
    name, position, dose = BEGINNER[n - 1]
    exercise = Exercise.objects.get(name=name)

    response = guided.get(step(n))

    page = html(response)
    assert response.status_code == 200
    assert f"Step {n} of 6" in page
    assert f"<h1>{escape(name)}</h1>" in page
    assert f"<strong>Position:</strong> {escape(position)}" in page
    assert f'dose-badge">{dose}</span>' in page
    assert re.search(rf'<progress [^>]*value="{n}" max="6"', page)
    assert instructions(response) == [
        escape(line) for line in exercise.instruction_list
    ]
    assert len(instructions(response)) >= 1


def test_abdominal_contraction_step_shows_the_breathing_cue(guided):
    assert "Do not hold your breath" in html(guided.get(step(3)))


def test_straight_leg_raises_shows_the_avoid_warning_before_the_instructions(guided):
    page = html(guided.get(step(6)))

    assert NERVE_PAIN in page
    assert page.index(NERVE_PAIN) < page.index("How to do it")
    assert page.index(NERVE_PAIN) < page.index('<ol class="instructions">')
    assert "warning-avoid" in page
    assert "Skip this exercise" in page
    assert page.index("Skip this exercise") < page.index("How to do it")


def test_skip_this_exercise_records_a_skip_for_safety(guided):
    page = html(guided.get(step(6)))
    assert page.count("Skip this exercise") == 1
    assert 'value="skip_safety"' in page

    response = guided.post(step(6), {"action": "skip_safety"})

    assert response.status_code == 302
    assert outcomes(guided) == {"6": "skipped_for_safety"}
    finish = html(guided.get(response.url))
    assert "Skipped for safety" in finish


def test_a_step_without_an_avoid_warning_cannot_be_skipped_for_safety(guided):
    response = guided.post(step(1), {"action": "skip_safety"})

    assert response.status_code == 400
    assert "This step has no warning to skip it for." in html(response)
    assert outcomes(guided) == {}


@pytest.mark.parametrize("n", range(1, 6))
def test_other_beginner_steps_have_no_nerve_pain_warning(guided, n):
    page = html(guided.get(step(n)))

    assert "nerve pain" not in page
    assert "Skip this exercise" not in page


def test_each_side_step_says_right_side_then_left_side(client, catalogue):
    acknowledge(client, "intermediate")

    response = client.get(step(1, "intermediate"))

    page = html(response)
    assert response.status_code == 200
    assert "Step 1 of 1" in page
    assert "Single knee-to-chest stretch" in page
    assert "5 repetitions each side, hold 20 seconds" in page
    assert "on your right side, then on your left side" in page
    assert page.index("right side") < page.index("left side")


@pytest.mark.parametrize("n, name", [(1, "Stationary bike"), (2, "Treadmill")])
def test_aerobic_step_shows_the_duration(client, catalogue, n, name):
    acknowledge(client, "aerobic")

    response = client.get(step(n, "aerobic"))

    page = html(response)
    assert response.status_code == 200
    assert f"Step {n} of 2" in page
    assert f"<h1>{name}</h1>" in page
    assert "20–30 minutes" in page
    assert "Keep your spine straight" in page


# Marking steps


def test_done_marks_the_step_and_goes_to_the_next(guided):
    response = guided.post(step(2), {"action": "done"})

    assert response.status_code == 302
    assert response.url == step(3)
    assert outcomes(guided) == {"2": "done"}


def test_skip_marks_the_step_skipped(guided):
    response = guided.post(step(6), {"action": "skip"})

    assert response.status_code == 302
    assert response.url == finish()
    assert outcomes(guided) == {"6": "skipped"}


def test_done_on_the_last_step_goes_to_the_finish(guided):
    response = guided.post(step(6), {"action": "done"})

    assert response.status_code == 302
    assert response.url == finish()
    assert outcomes(guided) == {"6": "done"}


def test_marking_again_replaces_the_outcome(guided):
    guided.post(step(4), {"action": "skip"})
    guided.post(step(4), {"action": "done"})

    assert outcomes(guided) == {"4": "done"}


@pytest.mark.parametrize(
    "action",
    ["explode", "", " done", "DONE", "x" * 10_000, "dône", "✅", "skipped_for_safety"],
)
def test_bogus_action_answers_400_and_records_nothing(guided, action):
    response = guided.post(step(2), {"action": action})

    page = html(response)
    assert response.status_code == 400
    assert CHOOSE in page
    assert 'role="alert"' in page
    assert "Step 2 of 6" in page
    assert "<h1>Heel slides</h1>" in page
    assert outcomes(guided) == {}


def test_override_from_a_visitor_without_screening_is_not_a_server_error(guided):
    response = guided.post(step(6), {"action": "override"})

    assert response.status_code in (302, 400)
    assert outcomes(guided) == {}


def test_post_without_the_action_field_answers_400(guided):
    response = guided.post(step(2), {"other": "done"})

    assert response.status_code == 400
    assert CHOOSE in html(response)
    assert outcomes(guided) == {}


def test_step_post_with_an_empty_body_answers_400(guided):
    response = guided.post(step(2))

    assert response.status_code == 400
    assert CHOOSE in html(response)


def test_progress_survives_a_reload(guided):
    guided.post(step(2), {"action": "done"})
    guided.post(step(3), {"action": "skip"})

    assert "Marked: Done" in html(guided.get(step(2)))
    assert "Marked: Skipped" in html(guided.get(step(3)))
    assert "Marked:" not in html(guided.get(step(4)))


# Addresses that do not exist


@pytest.mark.parametrize("n", [0, 7, 99999])
def test_step_out_of_range_is_404(guided, n):
    assert guided.get(step(n)).status_code == 404
    assert guided.post(step(n), {"action": "done"}).status_code == 404
    assert outcomes(guided) == {}


@pytest.mark.parametrize("n", [0, 7, 99999])
def test_step_out_of_range_is_404_before_acknowledging(client, catalogue, n):
    assert client.get(step(n)).status_code == 404
    assert client.post(step(n), {"action": "done"}).status_code == 404


def test_unknown_routine_is_404(client, catalogue):
    assert client.get(gate("no-such-routine")).status_code == 404
    assert (
        client.post(gate("no-such-routine"), {"acknowledged": "on"}).status_code == 404
    )
    assert client.get(step(1, "no-such-routine")).status_code == 404
    assert (
        client.post(step(1, "no-such-routine"), {"action": "done"}).status_code == 404
    )
    assert client.get(finish("no-such-routine")).status_code == 404
    assert SESSION_KEY not in client.session


def test_routine_without_steps_is_404(client, db):
    Routine.objects.create(slug="empty", title="Empty", summary="Nothing yet.", level=1)

    assert client.get(gate("empty")).status_code == 404
    assert client.post(gate("empty"), {"acknowledged": "on"}).status_code == 404
    assert client.get(step(1, "empty")).status_code == 404
    assert client.get(finish("empty")).status_code == 404


# The finish page


def test_finish_lists_each_step_outcome(guided):
    guided.post(step(1), {"action": "done"})
    guided.post(step(2), {"action": "skip"})
    guided.post(step(3), {"action": "done"})
    guided.post(step(6), {"action": "done"})

    response = guided.get(finish())

    assert response.status_code == 200
    assert "Beginner routine finished" in html(response)
    assert summary(response) == [
        ("Ankle pumps", "Done"),
        ("Heel slides", "Skipped"),
        ("Abdominal contraction", "Done"),
        ("Wall squats", "Skipped"),
        ("Heel raises", "Skipped"),
        ("Straight-leg raises", "Done"),
    ]


def test_finish_without_any_step_counts_every_step_skipped(guided):
    response = guided.get(finish())

    assert [label for _, label in summary(response)] == ["Skipped"] * 6


def test_finish_shows_the_total_time(guided):
    response = guided.get(finish())

    assert re.search(
        r"Time from start to finish: <strong>\d+ s</strong>", html(response)
    )


def test_finish_shows_the_time_from_start_to_finish(guided):
    started = timezone.now() - timedelta(hours=1)
    session = guided.session
    session[SESSION_KEY] = {
        "beginner": {
            "started": started.isoformat(),
            "finished": (started + timedelta(minutes=12, seconds=30)).isoformat(),
            "outcomes": {"1": "done"},
        }
    }
    session.save()

    page = html(guided.get(finish()))

    assert "Time from start to finish: <strong>12 min 30 s</strong>" in page


def test_finish_keeps_the_first_finish_time(guided):
    guided.post(step(6), {"action": "done"})
    finished = guided.session[SESSION_KEY]["beginner"]["finished"]

    guided.get(finish())

    assert finished is not None
    assert guided.session[SESSION_KEY]["beginner"]["finished"] == finished


def test_finish_offers_to_do_the_routine_again(guided):
    page = html(guided.get(finish()))

    assert f'href="{gate()}">Do this routine again</a>' in page


def test_restarting_from_the_gate_clears_the_outcomes(guided):
    guided.post(step(1), {"action": "done"})
    guided.post(step(2), {"action": "done"})
    guided.get(finish())

    response = guided.post(gate(), {"acknowledged": "on"})

    assert response.url == step(1)
    assert outcomes(guided) == {}
    assert guided.session[SESSION_KEY]["beginner"]["finished"] is None
    assert "Marked:" not in html(guided.get(step(1)))
    assert [label for _, label in summary(guided.get(finish()))] == ["Skipped"] * 6


def test_restarting_one_routine_keeps_another(guided):
    acknowledge(guided, "advanced")
    guided.post(step(1, "advanced"), {"action": "done"})
    guided.post(step(1), {"action": "done"})

    acknowledge(guided)

    assert outcomes(guided) == {}
    assert outcomes(guided, "advanced") == {"1": "done"}


def test_finish_answers_head(guided):
    response = guided.head(finish())

    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_finish_refuses_other_methods(guided, method):
    response = getattr(guided, method)(finish())

    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "HEAD"]


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_gate_and_step_refuse_other_methods(guided, method):
    assert getattr(guided, method)(gate()).status_code == 405
    assert getattr(guided, method)(step(1)).status_code == 405


# Query budgets: a public page makes at most four queries, however large
# the catalogue. Measured with a cold cache, so that the acknowledged
# visitor's session row is read from the database even when sessions are
# cached (the cached_db engine): the worst case, after a cache restart.

PAGES = [gate(), *(step(n) for n in range(1, 7))]


@pytest.mark.parametrize("path", PAGES)
def test_guide_page_query_budget(guided, django_assert_max_num_queries, path):
    cache.clear()
    with django_assert_max_num_queries(4):
        response = guided.get(path)

    assert response.status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_guide_page_query_budget_with_more_data(
    guided, more_catalogue, django_assert_max_num_queries, path
):
    cache.clear()
    with django_assert_max_num_queries(4):
        response = guided.get(path)

    assert response.status_code == 200
    assert "Extra warning number 19." in html(response)


def test_finish_reload_query_budget(guided, django_assert_max_num_queries):
    guided.post(step(6), {"action": "done"})
    guided.get(finish())

    cache.clear()
    with django_assert_max_num_queries(4):
        response = guided.get(finish())

    assert response.status_code == 200


def test_finish_reload_query_budget_with_more_data(
    guided, more_catalogue, django_assert_max_num_queries
):
    guided.post(step(6), {"action": "done"})
    guided.get(finish())

    cache.clear()
    with django_assert_max_num_queries(4):
        response = guided.get(finish())

    assert response.status_code == 200
    assert len(summary(response)) == 6


def test_finish_after_the_last_step_query_budget(guided, django_assert_max_num_queries):
    guided.post(step(6), {"action": "done"})

    cache.clear()
    with django_assert_max_num_queries(4):
        response = guided.get(finish())

    assert response.status_code == 200


# Resume at the right step


def mark(client, actions):
    for number, action in actions.items():
        assert client.post(step(number), {"action": action}).status_code == 302


@pytest.mark.parametrize(
    ("actions", "resume"),
    [
        ({}, 1),
        ({1: "done", 2: "done"}, 3),
        ({1: "skip"}, 2),
        ({1: "done", 2: "done", 4: "done"}, 3),
    ],
)
def test_continue_goes_to_the_first_step_not_yet_marked(guided, actions, resume):
    mark(guided, actions)

    for path in (gate(), "/routines/beginner/"):
        page = html(guided.get(path))
        assert f'href="{step(resume)}">Continue at step {resume} of 6</a>' in page
    assert "Start again from step 1" in html(guided.get(gate()))


def test_a_finished_run_offers_start_again_instead(guided):
    mark(guided, {n: "done" for n in range(1, 7)})

    gate_page = text_of(guided.get(gate()))
    routine_page = text_of(guided.get("/routines/beginner/"))

    assert "Continue at step" not in gate_page
    assert "Start again from step 1" not in gate_page
    assert "Start again" in gate_page
    assert "Continue at step" not in routine_page
    assert "Start guided session" in routine_page


def test_the_routine_page_offers_no_continue_without_a_run(client, catalogue):
    page = text_of(client.get("/routines/beginner/"))

    assert "Continue at step" not in page
    assert "Start guided session" in page


def test_starting_again_clears_the_marks(guided):
    mark(guided, {1: "done", 2: "skip"})

    assert guided.post(gate(), {"acknowledged": "on"}).url == step(1)

    assert "Continue at step 1 of 6" in text_of(guided.get("/routines/beginner/"))


# A run in which nothing was done


def test_the_finish_page_of_a_run_with_every_step_skipped_says_no_exercise(guided):
    mark(guided, {n: "skip" for n in range(1, 7)})

    page = text_of(guided.get(finish()))

    assert "Well done" not in page
    assert "Beginner routine: no exercise done" in page
    assert "it will not count towards your weekly target" in page


def test_one_step_done_is_well_done(guided):
    mark(guided, {1: "done", **{n: "skip" for n in range(2, 7)}})

    page = text_of(guided.get(finish()))

    assert "Well done: Beginner routine finished" in page
    assert "no exercise done" not in page
