"""What the server hands the guided player, and says without it: the sides."""

import re

import pytest

from exercises.models import RoutineStep
from tests.exercises.test_guide import acknowledge, step
from tests.factories import ExerciseFactory, RoutineFactory, RoutineStepFactory
from tests.helpers import html, text

SIDES = "Sides: do the {} on your right side, then on your left side."


def player(response):
    """The opening tag and the content of the player section."""
    found = re.search(r"<section [^>]*data-player\b.*?</section>", html(response), re.S)
    assert found, "no player on the page"
    return found.group(0)


@pytest.fixture
def sided(db):
    """Steps of every player mode, each with "each side" ticked."""
    routine = RoutineFactory(slug="sided", title="Sided")
    doses = [
        {"repetitions": 3},
        {"repetitions": 2, "hold_seconds": 5},
        {"repetitions": None, "duration_min_minutes": 1, "duration_max_minutes": 2},
        {"repetitions": 1},
    ]
    for order, dose in enumerate(doses, start=1):
        RoutineStepFactory(
            routine=routine,
            exercise=ExerciseFactory(name=f"Sided exercise {order}"),
            order=order,
            each_side=True,
            **dose,
        )
    return routine


@pytest.fixture
def sided_guide(client, sided):
    acknowledge(client, "sided")
    return client


@pytest.mark.parametrize(
    ("dose", "has_sides"),
    [
        ({"repetitions": 3, "each_side": True}, True),
        ({"repetitions": 3, "hold_seconds": 5, "each_side": True}, True),
        ({"repetitions": 3, "each_side": False}, False),
        ({"duration_min_minutes": 20, "duration_max_minutes": 30}, False),
        ({"duration_min_minutes": 20, "each_side": True}, False),
        # A timed step that also has repetitions is still a stopwatch.
        ({"repetitions": 3, "duration_min_minutes": 20, "each_side": True}, False),
    ],
)
def test_has_sides_is_each_side_of_repetitions_only(dose, has_sides):
    assert RoutineStep(order=1, **dose).has_sides is has_sides


@pytest.mark.parametrize(
    ("n", "mode", "dose", "reps"),
    [
        (1, "count", "3 repetitions each side", "3 repetitions"),
        (2, "hold", "2 repetitions each side, hold 5 seconds", "2 repetitions"),
        (4, "count", "1 repetition each side", "1 repetition"),
    ],
)
def test_counted_and_held_steps_say_right_side_then_left(
    sided_guide, n, mode, dose, reps
):
    response = sided_guide.get(step(n, "sided"))

    assert response.status_code == 200
    page = text(html(response))
    assert f"Dose: {dose}" in page
    assert SIDES.format(reps) in page
    markup = player(response)
    assert f'data-mode="{mode}"' in markup
    assert 'data-each-side="true"' in markup
    assert re.search(r"<p [^>]*data-player-side>Now: right side</p>", markup)


def test_a_stopwatch_step_promises_no_sides(sided_guide):
    response = sided_guide.get(step(3, "sided"))

    assert response.status_code == 200
    page = text(html(response))
    assert "Dose: 1–2 minutes" in page
    assert "Sides:" not in page
    assert "None" not in page
    assert "right side" not in page
    markup = player(response)
    assert 'data-mode="duration"' in markup
    assert 'data-each-side="false"' in markup
    assert "data-player-side" not in markup


def test_a_step_without_sides_has_no_side_note_or_side_in_the_player(client, catalogue):
    acknowledge(client)

    response = client.get(step(2))  # Heel slides: 10 repetitions, counted.

    page = text(html(response))
    assert "Dose: 10 repetitions" in page
    assert "Sides:" not in page
    markup = player(response)
    assert 'data-mode="count"' in markup
    assert 'data-each-side="false"' in markup
    assert "data-player-side" not in markup
