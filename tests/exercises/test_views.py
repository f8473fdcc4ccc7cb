"""The catalogue's pages and the guided run's pages (exercises/views.py).

Behaviour is tested on routines built by factories, mostly the `practice`
routine; what the seed catalogue says on these pages is in test_catalogue.py.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from accounts import services
from accounts.forms import PainNotesForm
from exercises import views
from exercises.cache import catalogue_changed
from exercises.drawings import DRAWINGS
from exercises.forms import DoctorClearanceForm
from exercises.guide import GuidedRun
from exercises.models import Exercise, Routine, Severity
from exercises.pictures import renditions_make
from tests.exercises.test_admin import change_form_data, change_url
from tests.factories import (
    CompletedSessionFactory,
    ContraindicationFactory,
    ExerciseFactory,
    RoutineFactory,
    RoutineStepFactory,
    UserFactory,
    routine_of_every_kind,
)
from tests.helpers import (
    articles_of,
    assert_in_order,
    clock_at,
    csrf_token,
    html,
    images_of,
    picture_bytes,
    text,
    text_of,
)

GATE = "/routines/{slug}/guide/"
STEP = "/routines/{slug}/guide/{n}/"
FINISH = "/routines/{slug}/guide/finish/"

AVOID = "Avoid this exercise if you have pain running down one leg."
CONSULT = "Talk to your doctor first if you had back surgery this year."
NOT_READ = "Please confirm that you have read the warnings."
CHOOSE = escape("Choose “Done” or “Skip”.")
READ_FIRST = "Please read the safety check before you start."
SIDES = "Sides: do the {} on your right side, then on your left side."

# (name, dose) of each step of the practice routine.
PRACTICE = [
    ("Knee rocks", "10 repetitions"),
    ("Bridge", "5 repetitions, hold 6 seconds each"),
    ("Leg stretch", "3 repetitions each side, hold 20 seconds"),
    ("Walk", "10–15 minutes"),
]
UNMARKED = [None] * len(PRACTICE)


def gate(slug="practice"):
    return GATE.format(slug=slug)


def step(n, slug="practice"):
    return STEP.format(slug=slug, n=n)


def finish(slug="practice"):
    return FINISH.format(slug=slug)


def acknowledge(client, slug="practice", **picked):
    """Read the safety check; ``step=n`` picks step n of alternatives."""
    response = client.post(gate(slug), {"acknowledged": "on", **picked})
    assert response.status_code == 302
    return response


def mark(client, actions, slug="practice"):
    for number, action in actions.items():
        assert client.post(step(number, slug), {"action": action}).status_code == 302


def marks(client, slug="practice", total=4):
    """What each step page says it is marked as (“Done”, …), or None."""
    labels = []
    for n in range(1, total + 1):
        response = client.get(step(n, slug))
        assert response.status_code == 200
        found = re.search(r"Marked: ([^<]+)</p>", html(response))
        labels.append(found.group(1) if found else None)
    return labels


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


def player(response):
    """The opening tag and the content of the player section."""
    found = re.search(r"<section [^>]*data-player\b.*?</section>", html(response), re.S)
    assert found, "no player on the page"
    return found.group(0)


def assert_site_look(text):
    assert text.startswith("Skip to main content BackCare Menu Routines About")
    assert "BackCare is not medical advice." in text


@pytest.fixture
def guided(client, practice):
    """A visitor who has read and acknowledged the practice routine's warnings."""
    acknowledge(client)
    return client


@pytest.fixture
def other_routine(db):
    """A second routine of one step, run alongside the practice routine."""
    routine = RoutineFactory(slug="other", title="Other")
    RoutineStepFactory(routine=routine, exercise=ExerciseFactory(name="Side plank"))
    return routine


# The home and about pages


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


def test_pages_list_every_row_however_many(client, practice, many_routines):
    knee_rocks = Exercise.objects.get(slug="knee-rocks")
    for n, routine in enumerate(many_routines):
        RoutineStepFactory(routine=routine, exercise=knee_rocks, order=3)
        RoutineStepFactory(
            routine=practice,
            exercise=ExerciseFactory(contraindications=[ContraindicationFactory()]),
            order=5 + n,
        )

    home = text_of(client.get("/"))
    steps = articles_of(client.get("/routines/practice/"))
    uses = text_of(client.get("/exercises/knee-rocks/"))

    assert "Extra routine 29" in home
    assert len(steps) == 34
    assert uses.count(", step 3: 10 repetitions") == 30


# The routine page


def test_a_routine_page_links_each_exercise(client, practice):
    page = html(client.get("/routines/practice/"))

    for slug, name in [("knee-rocks", "Knee rocks"), ("walk", "Walk")]:
        assert f'<a href="/exercises/{slug}/">{name}</a>' in page


def test_a_warning_comes_before_the_instructions_of_its_step(client, practice):
    article = articles_of(client.get("/routines/practice/"))["step-3"]

    assert_in_order(
        article,
        [
            "Leg stretch",
            "3 repetitions each side, hold 20 seconds",
            f"Avoid: {AVOID}",
            "Lie on your back.",
        ],
    )


def test_a_routine_with_no_steps_says_so(client, routine):
    response = client.get("/routines/gentle/")

    assert response.status_code == 200
    assert "This routine has no steps yet." in text_of(response)


def test_user_text_is_escaped(client, step):
    Exercise.objects.filter(pk=step.exercise.pk).update(name="<b>Bold</b> move")

    body = html(client.get("/routines/gentle/"))

    assert "&lt;b&gt;Bold&lt;/b&gt; move" in body
    assert "<b>Bold</b>" not in body


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

    page = html(client.get(routine.get_absolute_url()))

    warning = re.search(
        r'<div class="alert warning ([^"]*)"[^>]*>(.*?)</div>', page, re.S
    )
    assert warning, "no warning on the routine page"
    assert warning.group(1).split() == [f"warning-{severity}", style]
    assert label in warning.group(2)
    assert "Mind the knees." in warning.group(2)
    assert page.index('id="step-1"') < page.index("Mind the knees.")


def test_the_routine_page_prints_without_navigation_and_buttons(client, practice):
    body = html(client.get("/routines/practice/"))
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


# The exercise page


def test_exercise_page_lists_every_routine_using_it_by_level(client, practice):
    knee_rocks = Exercise.objects.get(slug="knee-rocks")
    RoutineStepFactory(
        routine=RoutineFactory(title="Cycling", kind=Routine.Kind.AEROBIC, level=70),
        exercise=knee_rocks,
        order=3,
    )
    RoutineStepFactory(
        routine=RoutineFactory(title="Gentle", level=60),
        exercise=knee_rocks,
        order=2,
        repetitions=5,
        hold_seconds=3,
        each_side=True,
    )

    text = text_of(client.get("/exercises/knee-rocks/"))

    assert_in_order(
        text,
        [
            "Practice, step 1: 10 repetitions",
            "Gentle, step 2: 5 repetitions each side, hold 3 seconds",
            "Cycling, step 3: 10 repetitions",
        ],
    )


def test_an_unused_exercise_says_so(client, exercise):
    text = text_of(client.get("/exercises/pelvic-tilt/"))

    assert "No routine uses this exercise yet." in text


# Pages that do not exist


@pytest.mark.parametrize(
    "url",
    [
        "/routines/no-such-routine/",
        "/exercises/no-such-exercise/",
        "/routines/practice/guide/99/",
        "/routines/bad%20slug!/",
        "/no/such/page/",
    ],
)
def test_missing_pages_answer_with_the_sites_404_page(client, practice, url):
    response = client.get(url)

    assert response.status_code == 404
    text = text_of(response)
    assert "Page not found" in text
    assert_site_look(text)
    assert '<nav class="navbar' in html(response)


# The safety check


def test_the_safety_check_lists_every_warning_grouped_by_severity(client, practice):
    response = client.get(gate())

    page = html(response)
    assert response.status_code == 200
    assert "Before you start: safety check" in page
    assert_in_order(page, [">Avoid</h2>", AVOID, ">Consult a doctor</h2>", CONSULT])


def test_the_safety_check_says_which_step_each_warning_applies_to(client, practice):
    page = html(client.get(gate()))

    assert_in_order(page, [AVOID, "Applies to step 3, Leg stretch."])
    assert_in_order(page, [CONSULT, "Applies to the whole routine."])


def test_every_warning_reaches_the_safety_check_and_its_steps(client, practice):
    severities = list(Severity.values)
    extra = [
        ContraindicationFactory(
            description=f"Extra warning number {n:02}.",
            severity=severities[n % len(severities)],
        )
        for n in range(20)
    ]
    practice.contraindications.add(*extra)
    for exercise in Exercise.objects.filter(steps__routine=practice):
        exercise.contraindications.add(*extra)
    acknowledge(client)

    for path in [gate(), *(step(n) for n in range(1, 5))]:
        page = html(client.get(path))
        for warning in extra:
            assert warning.description in page, (path, warning.description)


def test_the_safety_check_has_the_acknowledgement_checkbox(client, practice):
    page = html(client.get(gate()))

    assert re.search(r'<input type="checkbox" name="acknowledged"', page)
    assert "I have read these warnings" in page
    assert "Start guided session" in page
    assert "Continue at step" not in page


@pytest.mark.parametrize(
    "data", [{"acknowledged": ""}, {"something": "else"}, {}], ids=str
)
def test_the_safety_check_without_the_checkbox_answers_400_and_starts_nothing(
    client, practice, data
):
    response = client.post(gate(), data)

    assert response.status_code == 400
    assert NOT_READ in html(response)
    assert AVOID in html(response)
    assert client.get(step(1)).url == gate()


def test_the_safety_check_with_the_checkbox_starts_at_step_1(client, practice):
    response = client.post(gate(), {"acknowledged": "on"})

    assert response.status_code == 302
    assert response.url == step(1)
    assert marks(client) == UNMARKED


def test_the_safety_check_after_acknowledging_offers_to_continue(guided):
    page = html(guided.get(gate()))

    assert "Start again from step 1" in page
    assert f'href="{step(1)}">Continue at step 1 of 4' in page


# Reaching a step or the finish without the safety check


@pytest.mark.parametrize("path", [step(1), step(3), step(4), finish()])
def test_a_page_of_the_run_before_acknowledging_redirects_to_the_safety_check(
    client, practice, path
):
    response = client.get(path)

    assert response.status_code == 302
    assert response.url == gate()


def test_the_redirect_to_the_safety_check_explains_why(client, practice):
    response = client.get(step(2), follow=True)

    assert response.redirect_chain == [(gate(), 302)]
    assert READ_FIRST in html(response)


def test_posting_a_step_before_acknowledging_records_nothing(client, practice):
    response = client.post(step(2), {"action": "done"})

    assert response.status_code == 302
    assert response.url == gate()
    assert client.get(step(2)).url == gate()


def test_acknowledging_one_routine_does_not_acknowledge_another(guided, other_routine):
    assert guided.get(step(1)).status_code == 200

    for path in [step(1, "other"), finish("other")]:
        response = guided.get(path)
        assert response.status_code == 302
        assert response.url == gate("other")


# The step pages


@pytest.mark.parametrize("n", range(1, 5))
def test_each_step_shows_what_to_do(guided, n):
    name, dose = PRACTICE[n - 1]
    exercise = Exercise.objects.get(name=name)

    response = guided.get(step(n))

    page = html(response)
    assert response.status_code == 200
    assert f"Step {n} of 4" in page
    assert re.search(rf"<h1\b[^>]*>{name}</h1>", page)
    assert "<strong>Position:</strong> Lying on your back" in page
    assert f'dose-badge">{dose}</span>' in page
    assert re.search(rf'<progress [^>]*value="{n}" max="4"', page)
    assert instructions(response) == exercise.instruction_list
    assert len(instructions(response)) == 3


def test_an_avoid_warning_comes_before_the_instructions_with_a_way_to_skip(guided):
    page = html(guided.get(step(3)))

    assert "warning-avoid" in page
    assert page.count("Skip this exercise") == 1
    assert 'value="skip_safety"' in page
    assert_in_order(page, [AVOID, "How to do it", '<ol class="instructions">'])
    assert_in_order(page, ["Skip this exercise", "How to do it"])


@pytest.mark.parametrize("n", [1, 2, 4])
def test_steps_without_an_avoid_warning_have_none_to_skip_for(guided, n):
    page = html(guided.get(step(n)))

    assert "pain running down one leg" not in page
    assert "Skip this exercise" not in page


def test_skip_this_exercise_records_a_skip_for_safety(guided):
    response = guided.post(step(3), {"action": "skip_safety"})

    assert response.status_code == 302
    assert response.url == step(4)
    assert marks(guided) == [None, None, "Skipped for safety", None]
    assert ("Leg stretch", "Skipped for safety") in summary(guided.get(finish()))


def test_a_step_without_an_avoid_warning_cannot_be_skipped_for_safety(guided):
    response = guided.post(step(1), {"action": "skip_safety"})

    assert response.status_code == 400
    assert "This step has no warning to skip it for." in html(response)
    assert marks(guided) == UNMARKED


# Marking steps


@pytest.mark.parametrize(
    ("n", "action", "then", "label"),
    [
        (2, "done", step(3), "Done"),
        (4, "skip", finish(), "Skipped"),
        (4, "done", finish(), "Done"),
    ],
)
def test_marking_a_step_goes_on_to_the_next_or_the_finish(
    guided, n, action, then, label
):
    response = guided.post(step(n), {"action": action})

    assert response.status_code == 302
    assert response.url == then
    assert marks(guided) == [label if number == n else None for number in (1, 2, 3, 4)]


def test_marking_again_replaces_the_outcome(guided):
    mark(guided, {3: "skip"})
    mark(guided, {3: "done"})

    assert marks(guided) == [None, None, "Done", None]


def test_the_marks_survive_a_reload(guided):
    mark(guided, {2: "done", 3: "skip"})

    assert marks(guided) == [None, "Done", "Skipped", None]


@pytest.mark.parametrize(
    "data",
    [
        *(
            {"action": action}
            for action in [
                *("explode", "", " done", "DONE", "x" * 10_000),
                *("dône", "✅", "skipped_for_safety"),
            ]
        ),
        {"other": "done"},
        {},
    ],
    ids=lambda data: repr(data)[:30],
)
def test_a_bogus_or_missing_action_answers_400_and_records_nothing(guided, data):
    response = guided.post(step(2), data)

    page = html(response)
    assert response.status_code == 400
    assert CHOOSE in page
    assert 'role="alert"' in page
    assert "Step 2 of 4" in page
    assert re.search(r"<h1\b[^>]*>Bridge</h1>", page)
    assert marks(guided) == UNMARKED


def test_override_from_a_visitor_without_screening_is_not_a_server_error(guided):
    response = guided.post(step(3), {"action": "override"})

    assert response.status_code in (302, 400)
    assert marks(guided) == UNMARKED


# Addresses that do not exist


@pytest.mark.parametrize("n", [0, 5, 99999])
def test_a_step_out_of_range_is_404_before_and_after_acknowledging(client, practice, n):
    for acknowledged in (False, True):
        if acknowledged:
            acknowledge(client)
        assert client.get(step(n)).status_code == 404, acknowledged
        assert client.post(step(n), {"action": "done"}).status_code == 404

    assert marks(client) == UNMARKED


def test_an_unknown_routine_is_404_and_starts_nothing(client, practice):
    slug = "no-such-routine"

    assert client.get(gate(slug)).status_code == 404
    assert client.post(gate(slug), {"acknowledged": "on"}).status_code == 404
    assert client.get(step(1, slug)).status_code == 404
    assert client.post(step(1, slug), {"action": "done"}).status_code == 404
    assert client.get(finish(slug)).status_code == 404
    assert not GuidedRun(client.session, slug).acknowledged


def test_a_routine_without_steps_is_404(client, db):
    RoutineFactory(slug="empty")

    assert client.get(gate("empty")).status_code == 404
    assert client.post(gate("empty"), {"acknowledged": "on"}).status_code == 404
    assert client.get(step(1, "empty")).status_code == 404
    assert client.get(finish("empty")).status_code == 404


# The finish page


def test_the_finish_page_lists_each_step_outcome(guided):
    mark(guided, {1: "done", 2: "skip", 4: "done"})

    response = guided.get(finish())

    assert response.status_code == 200
    assert "Practice routine finished" in html(response)
    assert summary(response) == [
        ("Knee rocks", "Done"),
        ("Bridge", "Skipped"),
        ("Leg stretch", "Skipped"),
        ("Walk", "Done"),
    ]


def test_the_finish_page_without_any_step_counts_every_step_skipped(guided):
    response = guided.get(finish())

    assert [label for _, label in summary(response)] == ["Skipped"] * 4
    assert re.search(
        r"Time from start to finish: <strong>\d+ s</strong>", html(response)
    )


def test_the_finish_page_shows_the_time_from_start_to_the_first_finish(
    client, practice
):
    started = timezone.now() - timedelta(hours=3)
    with clock_at(started):
        acknowledge(client)
    with clock_at(started + timedelta(minutes=12, seconds=30)):
        mark(client, {1: "done", 4: "done"})
    time = "Time from start to finish: <strong>12 min 30 s</strong>"

    with clock_at(started + timedelta(hours=1)):
        first = html(client.get(finish()))
        mark(client, {4: "done"})
        again = html(client.get(finish()))

    assert time in first
    assert time in again


def test_the_finish_page_offers_to_do_the_routine_again(guided):
    page = html(guided.get(finish()))

    assert f'href="{gate()}">Do this routine again</a>' in page


def test_restarting_from_the_safety_check_clears_the_outcomes_and_the_time(
    client, practice
):
    started = timezone.now() - timedelta(hours=3)
    with clock_at(started):
        acknowledge(client)
        mark(client, {1: "done", 2: "done", 3: "done", 4: "done"})
    restarted = started + timedelta(hours=1)

    with clock_at(restarted):
        response = client.post(gate(), {"acknowledged": "on"})
    with clock_at(restarted + timedelta(seconds=45)):
        page = client.get(finish())

    assert response.url == step(1)
    assert marks(client) == UNMARKED
    assert [label for _, label in summary(page)] == ["Skipped"] * 4
    assert "Time from start to finish: <strong>45 s</strong>" in html(page)


def test_restarting_one_routine_keeps_another(guided, other_routine):
    acknowledge(guided, "other")
    mark(guided, {1: "done"}, "other")
    mark(guided, {1: "done"})

    acknowledge(guided)

    assert marks(guided) == UNMARKED
    assert marks(guided, "other", total=1) == ["Done"]


def test_the_finish_page_answers_head(guided):
    response = guided.head(finish())

    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_the_finish_page_refuses_other_methods(guided, method):
    response = getattr(guided, method)(finish())

    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "HEAD"]


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_the_safety_check_and_a_step_refuse_other_methods(guided, method):
    assert getattr(guided, method)(gate()).status_code == 405
    assert getattr(guided, method)(step(1)).status_code == 405


# Resume at the right step


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

    for path in (gate(), "/routines/practice/"):
        page = html(guided.get(path))
        assert f'href="{step(resume)}">Continue at step {resume} of 4</a>' in page
    assert "Start again from step 1" in html(guided.get(gate()))


def test_a_finished_run_offers_start_again_instead(guided):
    mark(guided, {n: "done" for n in range(1, 5)})

    gate_page = text_of(guided.get(gate()))
    routine_page = text_of(guided.get("/routines/practice/"))

    assert "Continue at step" not in gate_page
    assert "Start again from step 1" not in gate_page
    assert "Start again" in gate_page
    assert "Continue at step" not in routine_page
    assert "Start guided session" in routine_page


def test_the_routine_page_offers_no_continue_without_a_run(client, practice):
    page = text_of(client.get("/routines/practice/"))

    assert "Continue at step" not in page
    assert "Start guided session" in page


def test_starting_again_clears_the_marks(guided):
    mark(guided, {1: "done", 2: "skip"})

    assert guided.post(gate(), {"acknowledged": "on"}).url == step(1)

    assert "Continue at step 1 of 4" in text_of(guided.get("/routines/practice/"))


# A run in which nothing was done


def test_the_finish_page_of_a_run_with_every_step_skipped_says_no_exercise(guided):
    mark(guided, {n: "skip" for n in range(1, 5)})

    page = text_of(guided.get(finish()))

    assert "Well done" not in page
    assert "Practice routine: no exercise done" in page
    assert "it will not count towards your weekly target" in page


def test_one_step_done_is_well_done(guided):
    mark(guided, {1: "done", **{n: "skip" for n in range(2, 5)}})

    page = text_of(guided.get(finish()))

    assert "Well done: Practice routine finished" in page
    assert "no exercise done" not in page


# The player: what the server hands it, and says without it (the sides)


@pytest.fixture
def sided(client, db):
    """A run of steps of every player mode, each with "each side" ticked."""
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
    acknowledge(client, "sided")
    return client


@pytest.mark.parametrize(
    ("n", "mode", "dose", "reps"),
    [
        (1, "count", "3 repetitions each side", "3 repetitions"),
        (2, "hold", "2 repetitions each side, hold 5 seconds", "2 repetitions"),
        (4, "count", "1 repetition each side", "1 repetition"),
    ],
)
def test_counted_and_held_steps_say_right_side_then_left(sided, n, mode, dose, reps):
    response = sided.get(step(n, "sided"))

    assert response.status_code == 200
    page = text_of(response)
    assert f"Dose: {dose}" in page
    assert SIDES.format(reps) in page
    markup = player(response)
    assert f'data-mode="{mode}"' in markup
    assert 'data-each-side="true"' in markup
    assert re.search(r"<p [^>]*data-player-side>Now: right side</p>", markup)


def test_a_stopwatch_step_promises_no_sides(sided):
    response = sided.get(step(3, "sided"))

    assert response.status_code == 200
    page = text_of(response)
    assert "Dose: 1–2 minutes" in page
    assert "Sides:" not in page
    assert "None" not in page
    assert "right side" not in page
    markup = player(response)
    assert 'data-mode="duration"' in markup
    assert 'data-each-side="false"' in markup
    assert "data-player-side" not in markup


def test_a_step_without_sides_has_no_side_note_or_side_in_the_player(guided):
    response = guided.get(step(1))  # Knee rocks: 10 repetitions, counted.

    page = text_of(response)
    assert "Dose: 10 repetitions" in page
    assert "Sides:" not in page
    markup = player(response)
    assert 'data-mode="count"' in markup
    assert 'data-each-side="false"' in markup
    assert "data-player-side" not in markup


# The one order of warnings: most serious first, then by title


SURGERY = "Talk to your doctor first if you had back surgery this year."
SCIATICA = "Avoid this exercise if you have pain running down one leg."
HERNIA = "Avoid lifting your legs if you have a hernia."
DIZZY = "Go gently at first: stand up slowly."
WARNING = re.compile(
    r'<div class="alert warning warning-\w+[^"]*" role="note">\s*'
    r'<p class="mb-0"><strong class="warning-label">[^<]*</strong> ([^<]*)</p>'
)


@pytest.fixture
def ordered(db):
    """
    The practice routine with a warning of a third severity titled to come
    first by title ("Aaa", a caution on the routine and on the leg stretch),
    and a second avoid-warning ("Abdominal hernia", on the walk, step 4) that
    comes after "Sciatica" (step 3) by step but before it by title.
    """
    routine = routine_of_every_kind()
    caution, hernia = (
        ContraindicationFactory(
            slug=slug,
            title=title,
            description=description,
            severity=severity,
            screening_question=question,
        )
        for slug, title, description, severity, question in [
            (
                "aaa",
                "Aaa",
                DIZZY,
                Severity.CAUTION,
                "Do you get dizzy when you stand up?",
            ),
            (
                "hernia",
                "Abdominal hernia",
                HERNIA,
                Severity.AVOID,
                "Do you have a hernia?",
            ),
        ]
    )
    routine.contraindications.add(caution)
    steps = {step.exercise.slug: step.exercise for step in routine.steps.all()}
    steps["leg-stretch"].contraindications.add(caution)
    steps["walk"].contraindications.add(hernia)
    return routine


def warnings_on(response):
    """The descriptions of the warnings a page shows, top to bottom."""
    assert response.status_code == 200
    return WARNING.findall(html(response))


def started(client):
    response = client.post("/routines/practice/guide/", {"acknowledged": "on"})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", [SURGERY, DIZZY]),
        ("/exercises/leg-stretch/", [SCIATICA, DIZZY]),
        # The routine's own warnings, then each step's.
        ("/routines/practice/", [SURGERY, DIZZY, SCIATICA, DIZZY, HERNIA]),
        # Grouped by severity, each group in the same order.
        ("/routines/practice/guide/", [HERNIA, SCIATICA, SURGERY, DIZZY]),
    ],
)
def test_a_visitor_sees_warnings_most_serious_first_then_by_title(
    client, ordered, path, expected
):
    assert warnings_on(client.get(path)) == expected


def test_a_guided_step_shows_its_warnings_most_serious_first(client, ordered):
    step = started(client).get("/routines/practice/guide/3/")

    assert warnings_on(step) == [SCIATICA, DIZZY]


def test_the_screening_asks_in_the_order_of_warnings(signed_in, ordered):
    page = html(signed_in.get("/accounts/screening/"))

    questions = re.findall(r"((?:Do|Did) you [^<?]*\?)", page)
    assert list(dict.fromkeys(questions)) == [
        "Do you have a hernia?",
        "Do you have pain running down one leg?",
        "Did you have back surgery this year?",
        "Do you get dizzy when you stand up?",
    ]


# Each form rendered from its one definition

PAIN_NOTES = ["pain_before", "pain_after", "notes"]


def walked(client):
    started(client)
    for number in range(1, 5):
        client.post(f"/routines/practice/guide/{number}/", {"action": "done"})
    return client.get("/routines/practice/guide/finish/")


def rendered(form, names):
    return [str(as_crispy_field(form[name])) for name in names]


@pytest.mark.parametrize("who", ["visitor", "person"])
def test_the_finish_page_shows_the_pain_and_notes_form_as_defined(
    client, user, ordered, who
):
    if who == "person":
        client.force_login(user)
    page = html(walked(client))

    for field in rendered(PainNotesForm(), PAIN_NOTES):
        assert field in page
    assert 'action="/progress/save/practice/"' in page
    button = "Save session" if who == "person" else "Save, then sign up or log in"
    assert f">{button}</button>" in page


def test_a_completed_sessions_page_shows_the_same_form_as_the_finish_page(
    signed_in, user, ordered
):
    completed = CompletedSessionFactory(
        user=user, routine=ordered, pain_before=None, pain_after=None, notes=""
    )
    page = html(signed_in.get(completed.get_absolute_url()))
    finish = html(walked(signed_in))

    for field in rendered(PainNotesForm(instance=completed), PAIN_NOTES):
        assert field in page
    for field in rendered(PainNotesForm(), PAIN_NOTES):
        assert field in finish
    # The same scale on both; a rating kept may also be taken back.
    assert page.count('value="" id="id_pain_') == 2
    assert "Not rated" in page
    assert "Not rated" not in finish
    for name in ["pain_before", "pain_after"]:
        for value in range(11):
            radio = f'<input type="radio" name="{name}" value="{value}"'
            assert radio in page
            assert radio in finish
        assert f'name="{name}" value="11"' not in page
    assert "0 is no pain, 10 the worst pain imaginable." in page


def test_the_safety_check_shows_the_clearance_form_as_defined(signed_in, user, ordered):
    surgery = ordered.contraindications.get(slug="recent-surgery")
    services.screening_update(user=user, conditions=[surgery])

    page = html(signed_in.get("/routines/practice/guide/"))

    box = render_to_string(
        "accounts/_partials/checkbox.html", {"field": DoctorClearanceForm()["cleared"]}
    )
    assert box in page
    assert 'action="/accounts/doctor-clearance/"' in page
    assert '<input type="hidden" name="next" value="/routines/practice/guide/">' in (
        page
    )


# Rest and side-switch pauses, from the step


def test_an_editor_sets_a_steps_pauses_and_the_guide_reads_them(
    admin_client, guided, practice, django_capture_on_commit_callbacks
):
    data = change_form_data(practice)
    assert (data["steps-2-rest_seconds"], data["steps-2-switch_seconds"]) == (3, 5)
    data["steps-2-rest_seconds"] = 8
    data["steps-2-switch_seconds"] = 12
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(change_url(practice), data).status_code == 302

    markup = player(guided.get(step(3)))
    assert 'data-rest-seconds="8"' in markup
    assert 'data-switch-seconds="12"' in markup
    other = player(guided.get(step(2)))
    assert 'data-rest-seconds="3"' in other
    assert 'data-switch-seconds="5"' in other


def test_a_pause_out_of_range_in_the_admin_is_refused(admin_client, practice):
    data = change_form_data(practice)
    data["steps-2-rest_seconds"] = 121

    response = admin_client.post(change_url(practice), data)

    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 120." in html(response)
    assert practice.steps.get(order=3).rest_seconds == 3


def test_each_step_names_the_next_one_and_the_last_none(guided):
    for number, (name, _) in enumerate(PRACTICE[1:], start=1):
        assert f'data-next-name="{name}"' in player(guided.get(step(number)))
    assert 'data-next-name=""' in player(guided.get(step(4)))


# Pain before, on the safety check


def pain_radios(page, name):
    return re.findall(rf'<input type="radio" name="{name}" value="(\d+)"', page)


def test_the_safety_check_asks_pain_now_on_a_0_to_10_scale(client, practice):
    page = html(client.get(gate()))

    assert "Pain now (before you start)" in page
    assert pain_radios(page, "pain_before") == [str(n) for n in range(11)]
    # The words for the ends are shown once, as the field's help text.
    assert page.count("0 is no pain, 10 the worst pain imaginable.") == 1
    assert "0 = no pain" not in page
    # A screen reader hears the words with the ends' numbers.
    assert '0</span><span class="visually-hidden"> (no pain)</span>' in page
    assert '10</span><span class="visually-hidden"> (worst pain imaginable)' in page


def test_pain_said_on_the_safety_check_is_kept_in_the_run(client, practice):
    response = client.post(gate(), {"acknowledged": "on", "pain_before": "3"})

    assert response.status_code == 302
    assert GuidedRun(client.session, "practice").pain_before == 3


def test_the_safety_check_without_pain_starts_all_the_same(client, practice):
    acknowledge(client)

    run = GuidedRun(client.session, "practice")
    assert run.acknowledged
    assert run.pain_before is None


@pytest.mark.parametrize("pain", ["11", "-1", "abc", "3.5", "1e3"])
def test_bad_pain_on_the_safety_check_answers_400_and_starts_nothing(
    client, practice, pain
):
    response = client.post(gate(), {"acknowledged": "on", "pain_before": pain})

    assert response.status_code == 400
    page = html(response)
    assert "Choose a number from 0 (no pain) to 10 (worst pain imaginable)." in page
    assert 'href="#id_pain_before_0"' in page  # the error summary's link
    assert not GuidedRun(client.session, "practice").acknowledged


def test_the_chosen_pain_stays_chosen_when_the_form_comes_back(client, practice):
    response = client.post(gate(), {"pain_before": "4"})

    assert response.status_code == 400
    assert re.search(r'value="4"[^>]*\bchecked\b', html(response))


def test_the_finish_page_asks_pain_before_only_when_not_said_at_the_start(
    client, practice
):
    client.post(gate(), {"acknowledged": "on", "pain_before": "3"})
    mark(client, {n: "done" for n in range(1, 5)})
    page = html(client.get(finish()))

    assert pain_radios(page, "pain_before") == []
    assert pain_radios(page, "pain_after") == [str(n) for n in range(11)]
    assert "Pain before you started: <strong>3</strong> out of 10" in page

    acknowledge(client)
    mark(client, {n: "done" for n in range(1, 5)})
    page = html(client.get(finish()))
    assert pain_radios(page, "pain_before") == [str(n) for n in range(11)]
    assert "Pain before you started" not in page


# The time on a step, from the player


def test_the_time_on_a_step_is_kept_and_shown_on_the_finish_page(guided):
    response = guided.post(step(4), {"action": "done", "seconds": str(34 * 60 + 12)})

    assert response.status_code == 302
    assert GuidedRun(guided.session, "practice").seconds(4) == 2052
    page = html(guided.get(finish()))
    assert 'Walk: <span class="step-time">34 min 12 s</span>' in page


def test_an_empty_time_is_no_time(guided):
    assert guided.post(step(1), {"action": "done", "seconds": ""}).status_code == 302

    run = GuidedRun(guided.session, "practice")
    assert run.outcome(1) == "done"
    assert run.seconds(1) is None
    assert "step-time" not in html(guided.get(finish()))


@pytest.mark.parametrize("action", ["skip", "skip_safety"])
def test_a_skipped_step_keeps_no_time(guided, action):
    # Leg stretch (step 3) has an avoid-warning, so both skips are offered.
    response = guided.post(step(3), {"action": action, "seconds": "120"})

    assert response.status_code == 302
    run = GuidedRun(guided.session, "practice")
    assert run.outcome(3) != "done"
    assert run.seconds(3) is None
    assert "step-time" not in html(guided.get(finish()))


def test_each_step_page_names_its_run(guided, client):
    token = GuidedRun(guided.session, "practice").token
    assert f'data-run="{token}"' in html(guided.get(step(2)))

    client.post("/routines/practice/guide/", {"acknowledged": "on"})
    other = GuidedRun(client.session, "practice").token
    assert other != token
    assert f'data-run="{other}"' in html(client.get(step(2)))


def test_the_step_page_sends_the_time_with_done(guided):
    assert 'name="seconds"' in html(guided.get(step(4)))


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        ("abc", "was not a number of seconds"),
        ("1.5", "was not a number of seconds"),
        ("-1", "cannot be negative"),
        ("86401", "was more than a day"),
        ("9" * 30, "was more than a day"),
    ],
)
def test_a_bad_time_answers_400_and_marks_nothing(guided, seconds, message):
    response = guided.post(step(4), {"action": "done", "seconds": seconds})

    assert response.status_code == 400
    assert message in response.context["form"].errors["seconds"][0]
    assert message in text_of(response)
    run = GuidedRun(guided.session, "practice")
    assert run.outcome(4) is None
    assert run.seconds(4) is None


def test_a_day_of_exercise_is_the_longest_time_kept(guided):
    assert (
        guided.post(step(4), {"action": "done", "seconds": "86400"}).status_code == 302
    )
    assert GuidedRun(guided.session, "practice").seconds(4) == 86400


# Drawings and pictures: the exercise page (large), each step of the routine
# page (with its print pair), the guided step (large).

SEED_ROUTINES = ("beginner", "intermediate", "advanced", "aerobic")


def drawn(images, drawing):
    """The images of ``images`` that show ``drawing``: moving, then print."""
    moving = [i for i in images if i["src"] == static(drawing.path)]
    printed = [i for i in images if i["src"] == static(drawing.frames_path)]
    return moving, printed


def test_each_exercise_page_shows_its_drawing_and_its_print_pair(client, catalogue):
    for exercise in Exercise.objects.all():
        drawing = DRAWINGS[exercise.slug]
        moving, printed = drawn(
            images_of(client.get(exercise.get_absolute_url())), drawing
        )
        assert len(moving) == 1 and len(printed) == 1, exercise.slug
        assert moving[0]["alt"] == drawing.alt
        assert printed[0]["alt"] == f"Start and end positions. {drawing.alt}"
        assert (moving[0]["width"], moving[0]["height"]) == (
            str(drawing.width),
            str(drawing.height),
        )
        assert "loading" not in moving[0]  # the page's main picture comes at once


def test_each_step_of_a_routine_page_shows_its_exercises_drawing(client, catalogue):
    for routine in Routine.objects.filter(slug__in=SEED_ROUTINES):
        images = images_of(client.get(routine.get_absolute_url()))
        steps = list(routine.steps.select_related("exercise"))
        assert len(images) == 2 * len(steps)
        for number, routine_step in enumerate(steps, 1):
            moving, printed = drawn(images, routine_step.exercise.drawing)
            assert [i["article"] for i in moving + printed] == [f"step-{number}"] * 2
            assert moving[0]["loading"] == "lazy"


def test_a_guided_step_shows_its_drawing_and_each_side_steps_their_side(
    client, catalogue
):
    for slug in SEED_ROUTINES:
        routine = Routine.objects.get(slug=slug)
        for number, routine_step in enumerate(
            routine.steps.select_related("exercise"), 1
        ):
            # Alternatives: each is run by picking it at the safety check.
            if number == 1 or routine.steps_are_alternatives:
                acknowledge(client, slug, step=number)
            response = client.get(step(number, slug))
            drawing = routine_step.exercise.drawing
            moving, printed = drawn(images_of(response), drawing)
            assert (len(moving), printed) == (1, []), (slug, number)
            assert moving[0]["alt"] == drawing.alt
            page = html(response)
            assert ("data-guide-drawing" in page) == drawing.sided
            assert ("Right side shown" in text_of(response)) == drawing.sided


def test_an_editors_picture_replaces_the_drawing_everywhere_until_removed(
    client, catalogue, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    exercise = Exercise.objects.get(slug="wall-squats")
    exercise.picture.save("mine.png", ContentFile(picture_bytes(800, 600)), save=False)
    exercise.picture_alt = "A woman against a wall, knees bent."
    renditions_make(exercise)
    with django_capture_on_commit_callbacks(execute=True):
        exercise.save()
        catalogue_changed()
    acknowledge(client, "beginner")
    pages = ("/exercises/wall-squats/", "/routines/beginner/", step(4, "beginner"))

    for path in pages:
        images = images_of(client.get(path))
        assert drawn(images, exercise.drawing) == ([], []), path
        mine = [i for i in images if i["alt"] == exercise.picture_alt]
        assert len(mine) == 1, path
        assert mine[0]["srcset"] == exercise.picture_srcset
        assert mine[0]["srcset"].count("w, ") == 1  # 320 and 640 wide copies
        assert mine[0]["src"] == exercise.picture_src

    exercise.picture = ""
    exercise.picture_renditions = []
    with django_capture_on_commit_callbacks(execute=True):
        exercise.save()
        catalogue_changed()
    for path in pages:
        images = images_of(client.get(path))
        assert len(drawn(images, exercise.drawing)[0]) == 1, path
        assert not [i for i in images if i.get("srcset")]


def test_an_exercise_with_neither_drawing_nor_picture_shows_no_image(client, practice):
    acknowledge(client)
    exercise = practice.steps.first().exercise
    assert exercise.drawing is None and not exercise.has_picture
    for path in (exercise.get_absolute_url(), practice.get_absolute_url(), step(1)):
        response = client.get(path)
        assert response.status_code == 200
        assert images_of(response) == [], path
        assert "illustration" not in html(response)


def test_a_sided_drawing_on_a_step_done_once_names_no_side(client, db):
    """An editor may use an each-side exercise for a step done once."""
    exercise = ExerciseFactory(slug="knee-to-chest")
    routine = RoutineFactory(slug="once")
    RoutineStepFactory(routine=routine, exercise=exercise, order=1, each_side=False)
    acknowledge(client, "once")
    response = client.get(step(1, "once"))
    assert len(drawn(images_of(response), exercise.drawing)[0]) == 1
    assert "data-guide-drawing" not in html(response)
    assert "side shown" not in text_of(response)
    # The exercise's own page still says which side its drawing shows.
    assert "Right side shown" in text_of(client.get(exercise.get_absolute_url()))


# The catalogue's part from the cache, the person's part rendered for them


@pytest.fixture
def answered(db, avoid_warning):
    """Two people who answered the screening: one said yes to the leg
    stretch's avoid-warning, the other to nothing."""
    flagged, clear = UserFactory(username="flagged"), UserFactory(username="clear")
    services.screening_update(user=flagged, conditions=[avoid_warning])
    services.screening_update(user=clear, conditions=[])
    return flagged, clear


def signed_in_client(person):
    client = Client()
    client.force_login(person)
    return client


def test_two_people_with_different_answers_each_see_their_own_marks(answered):
    flagged, clear = map(signed_in_client, answered)
    for client in (flagged, clear):
        acknowledge(client)

    # Each page twice, in turns: the second from the catalogue's cache.
    pages = {}
    for _ in range(2):
        for who, client in (("flagged", flagged), ("clear", clear)):
            for path in ("/routines/practice/", step(3)):
                pages[who, path] = text_of(client.get(path))
            assert "Not recommended for you" not in text_of(client.get(step(1)))

    routine = articles_of(flagged.get("/routines/practice/"))
    assert "Not recommended for you" in routine["step-3"]
    assert "Not recommended for you" not in routine["step-1"]
    assert "Not recommended for you" not in pages["clear", "/routines/practice/"]
    assert "Skipped for safety" in pages["flagged", step(3)]
    assert "Skipped for safety" not in pages["clear", step(3)]
    assert AVOID in pages["clear", step(3)]
    assert "flagged" in pages["flagged", step(3)]
    assert "flagged" not in pages["clear", step(3)]


def test_a_change_of_answers_shows_at_once_on_a_cached_page(answered):
    flagged, _ = answered
    client = signed_in_client(flagged)
    assert "Not recommended for you" in text_of(client.get("/routines/practice/"))

    services.screening_update(user=flagged, conditions=[])

    assert "Not recommended for you" not in text_of(client.get("/routines/practice/"))
    assert "Skipped for safety" not in text_of(client.get(step(3)))


def test_an_editors_change_shows_on_the_signed_in_pages_at_once(
    signed_in, practice, django_capture_on_commit_callbacks
):
    pages = ["/routines/practice/", "/exercises/knee-rocks/", step(1)]
    acknowledge(signed_in)
    for path in pages:
        assert "Knee rocks" in text_of(signed_in.get(path))

    with django_capture_on_commit_callbacks(execute=True):
        Exercise.objects.filter(slug="knee-rocks").update(name="Knee circles")
        catalogue_changed()

    for path in pages:
        page = text_of(signed_in.get(path))
        assert "Knee circles" in page, path
        assert "Knee rocks" not in page, path


def test_a_guided_step_read_writes_nothing(signed_in, practice):
    acknowledge(signed_in)
    signed_in.get(step(2))
    session = dict(signed_in.session)

    with CaptureQueriesContext(connection) as queries:
        response = signed_in.get(step(2))

    assert response.status_code == 200
    assert [q["sql"] for q in queries if not q["sql"].startswith("SELECT")] == []
    assert "Set-Cookie" not in str(response.cookies.get("sessionid", ""))
    assert dict(signed_in.session) == session


SESSIONS_CACHED = "django.contrib.sessions.cached_db"


def kept_entries():
    """{key: pickled value} of every entry of the LocMemCache in use."""
    return dict(cache._cache)


def test_a_person_s_marks_are_kept_only_under_their_own_id(answered, settings):
    # A local-memory cache of its own, whose every entry can be listed.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "nothing-personal",
        }
    }
    flagged, _ = answered
    client = signed_in_client(flagged)
    acknowledge(client)
    for path in ("/routines/practice/", "/exercises/leg-stretch/", step(3)):
        client.get(path)
    token = client.cookies["csrftoken"].value.encode()
    run = GuidedRun(client.session, "practice").token.encode()

    # The session itself, with the engine that reads it through the cache,
    # is the browser's own (cached_db): every other entry is a page's.
    kept = {k: v for k, v in kept_entries().items() if SESSIONS_CACHED not in k}
    own = {k: v for k, v in kept.items() if f":page:{flagged.pk}:" in k}
    shared = b"".join(value for key, value in kept.items() if key not in own)

    assert shared and len(own) == 3  # the three pages, each under the person's id
    assert b"Not recommended for you" in b"".join(own.values())
    for personal in (b"flagged", b"Not recommended for you", b"Signed in as"):
        assert personal not in shared
    for value in kept.values():
        # Neither the name, the browser's token nor the run's token is kept.
        assert b"flagged</a>" not in value
        assert token not in value and run not in value
        assert b"csrfmiddlewaretoken" not in value or b"csrf-token-of" in value


def test_two_people_with_the_same_answers_each_get_their_own_page(answered):
    flagged, _ = answered
    twin = UserFactory(username="twin")
    services.screening_update(user=twin, conditions=list(flagged.conditions.all()))
    clients = {"flagged": signed_in_client(flagged), "twin": signed_in_client(twin)}
    pages = {}
    for _ in range(2):  # the second time from the cache
        for who, client in clients.items():
            if who not in pages:
                acknowledge(client)
            pages[who] = [
                client.get(path).content.decode()
                for path in ("/routines/practice/", "/exercises/leg-stretch/", step(3))
            ]

    for who, client in clients.items():
        run = GuidedRun(client.session, "practice").token
        other = "twin" if who == "flagged" else "flagged"
        for page in pages[who]:
            assert f"Signed in as </span>{who}<" in page
            assert f"Signed in as </span>{other}<" not in page
        assert f'data-run="{run}"' in pages[who][2]
        assert "Skipped for safety" in pages[who][2]
        # Each page carries its browser's own CSRF token: the other's is refused.
        client.handler.enforce_csrf_checks = True
        skip = {"action": "skip"}
        theirs = csrf_token(pages[other][2])
        assert (
            client.post(step(3), {**skip, "csrfmiddlewaretoken": theirs}).status_code
            == 403
        )
        mine = csrf_token(pages[who][2])
        assert (
            client.post(step(3), {**skip, "csrfmiddlewaretoken": mine}).status_code
            == 302
        )


# The home page's first action and each routine's estimated time (issue 18)

LAST_ROUTINE = "accounts.routines.last_routine_id"
# The Today card's context processor (the accounts app's), in settings.TEMPLATES.
TODAY_CARD = "accounts.today.today"
# Each seed routine's estimated time, as tests/exercises/test_models.py works it out.
SEED_TIMES = {
    "beginner": "About 7 minutes",
    "intermediate": "About 4 minutes",
    "advanced": "About 9 minutes",
    "aerobic": "About 20–30 minutes",
}


@pytest.fixture
def last_routine(settings):
    """
    The site as settings.py names the accounts app's reader of a person's
    last routine, without the Today card (the accounts app's context
    processor): the catalogue's own first action, for a site keeping no plans.
    """
    settings.LAST_ROUTINE = LAST_ROUTINE
    without_today(settings)


def without_today(settings):
    settings.TEMPLATES = [
        {
            **engine,
            "OPTIONS": {
                **engine["OPTIONS"],
                "context_processors": [
                    name
                    for name in engine["OPTIONS"]["context_processors"]
                    if name != TODAY_CARD
                ],
            },
        }
        for engine in settings.TEMPLATES
    ]


def primary_action(response):
    """(href, text) of the home page's one primary action."""
    page = html(response)
    found = re.findall(
        r'<a [^>]*href="([^"]*)"[^>]*data-primary-action[^>]*>(.*?)</a>', page, re.S
    )
    assert len(found) == 1, found
    href, markup = found[0]
    return href, text(markup)


def test_the_home_page_starts_a_visitor_on_the_beginner_routine(client, catalogue):
    response = client.get("/")

    assert response.status_code == 200
    assert primary_action(response) == (
        "/routines/beginner/guide/",
        "Start the beginner routine About 7 minutes",
    )
    # First on the page, before the introduction and the ladder.
    assert_in_order(
        text_of(response),
        [
            "Start the beginner routine",
            "BackCare walks you through",
            "Routines Stretching",
        ],
    )


def test_the_visitors_action_leads_to_the_safety_check(client, catalogue):
    href, _ = primary_action(client.get("/"))

    response = client.get(href)

    assert response.status_code == 200
    assert "Before you start: safety check" in text_of(response)


def test_the_home_page_offers_a_person_the_routine_they_did_last(
    signed_in, user, catalogue, last_routine
):
    routines = {routine.slug: routine for routine in Routine.objects.all()}
    now = timezone.now()
    for days, slug in [(3, "advanced"), (1, "intermediate"), (2, "beginner")]:
        CompletedSessionFactory(
            user=user, routine=routines[slug], started_at=now - timedelta(days=days)
        )

    response = signed_in.get("/")

    assert primary_action(response) == (
        "/routines/intermediate/guide/",
        "Start the intermediate routine About 4 minutes",
    )


def test_a_person_with_no_session_is_offered_the_beginner_routine(
    signed_in, catalogue, last_routine
):
    assert primary_action(signed_in.get("/")) == (
        "/routines/beginner/guide/",
        "Start the beginner routine About 7 minutes",
    )


def test_a_routine_removed_since_is_passed_over_for_the_one_done_before(
    signed_in, user, catalogue, last_routine
):
    now = timezone.now()
    advanced = Routine.objects.get(slug="advanced")
    CompletedSessionFactory(
        user=user, routine=advanced, started_at=now - timedelta(days=2)
    )
    CompletedSessionFactory(user=user, routine=None, routine_title="Gone")

    href, label = primary_action(signed_in.get("/"))

    assert (href, label) == (
        "/routines/advanced/guide/",
        "Start the advanced routine About 9 minutes",
    )


def test_another_persons_sessions_do_not_count(
    signed_in, other_user, catalogue, last_routine
):
    aerobic = Routine.objects.get(slug="aerobic")
    CompletedSessionFactory(user=other_user, routine=aerobic)

    assert primary_action(signed_in.get("/"))[0] == "/routines/beginner/guide/"


def test_without_the_setting_everyone_is_offered_the_ladders_first(
    signed_in, user, catalogue, settings
):
    settings.LAST_ROUTINE = None
    without_today(settings)
    CompletedSessionFactory(user=user, routine=Routine.objects.get(slug="intermediate"))

    assert primary_action(signed_in.get("/"))[0] == "/routines/beginner/guide/"


def test_the_visitors_cached_home_page_stays_impersonal(
    client, user, catalogue, last_routine
):
    CompletedSessionFactory(user=user, routine=Routine.objects.get(slug="intermediate"))
    person = Client()
    person.force_login(user)

    first = client.get("/")
    theirs = person.get("/")
    again = Client().get("/")

    assert "Start the intermediate routine" in text_of(theirs)
    assert html(again) == html(first)
    assert "Start the beginner routine" in text_of(again)
    assert "intermediate routine" not in text_of(again)


def test_a_persons_home_page_reads_their_last_routine_in_one_query(
    signed_in, user, catalogue, settings
):
    without_today(settings)
    CompletedSessionFactory.create_batch(
        20, user=user, routine=Routine.objects.get(slug="advanced")
    )
    settings.LAST_ROUTINE = None
    signed_in.get("/")
    with CaptureQueriesContext(connection) as without:
        signed_in.get("/")
    settings.LAST_ROUTINE = LAST_ROUTINE

    with CaptureQueriesContext(connection) as queries:
        response = signed_in.get("/")

    assert "Start the advanced routine" in text_of(response)
    assert len(queries) == len(without) + 1
    assert len(queries) <= 8  # DESIGN §7: a signed-in page


def test_a_persons_home_page_opens_with_today_instead_of_the_button(
    signed_in, user, catalogue
):
    # Every day planned, at the intermediate level: today is a planned day.
    user.plan_days = "0123456"
    user.level = Routine.objects.get(slug="intermediate")
    user.save()

    response = signed_in.get("/")

    # One tap starts the guided session: on to its safety check.
    assert primary_action(response) == ("/routines/intermediate/guide/", "Start")
    page = text_of(response)
    assert "Today: Intermediate routine About 4 minutes Start" in page
    assert "Start the " not in page
    assert "Before you start: safety check" in text_of(
        signed_in.get(primary_action(response)[0])
    )


def test_today_offers_the_beginner_routine_to_someone_new(signed_in, user, catalogue):
    user.plan_days = "0123456"
    user.save()

    assert primary_action(signed_in.get("/")) == ("/routines/beginner/guide/", "Start")


def test_the_visitors_home_page_has_no_today_card(client, user, catalogue):
    person = Client()
    person.force_login(user)

    theirs = person.get("/")
    visitors = client.get("/")

    assert 'id="today-title"' in html(theirs)
    assert 'id="today-title"' not in html(visitors)
    assert primary_action(visitors)[0] == "/routines/beginner/guide/"


def test_the_home_ladder_shows_each_routines_estimated_time(client, catalogue):
    page = text_of(client.get("/"))

    ladder = page[page.index("Routines Stretching and strengthening") :]
    assert_in_order(
        ladder,
        [
            f"{title} {SEED_TIMES[slug]}"
            for slug, title in [
                ("beginner", "Beginner"),
                ("intermediate", "Intermediate"),
                ("advanced", "Advanced"),
                ("aerobic", "Aerobic"),
            ]
        ],
    )


@pytest.mark.parametrize("slug", SEED_TIMES)
def test_every_routine_page_shows_its_time_by_the_start_button(client, catalogue, slug):
    page = text_of(client.get(f"/routines/{slug}/"))

    assert f"Start guided session {SEED_TIMES[slug]}" in page


def test_the_routine_pages_time_comes_with_its_cached_part(client, practice):
    client.get("/routines/practice/")
    Routine.objects.filter(slug="practice").update(title="Renamed")  # no new version

    with CaptureQueriesContext(connection) as queries:
        response = signed_in_client(UserFactory()).get("/routines/practice/")

    assert "Start guided session About 14–19 minutes" in text_of(response)
    assert not [q for q in queries if "exercises_routinestep" in q["sql"]]


def test_a_page_built_while_an_editor_saved_is_not_kept_as_the_new_one(
    answered, practice, monkeypatch
):
    # Found in review: the page's parts were read at the old version, and the
    # whole page was kept under the new one, stale for an hour.
    flagged, _ = answered
    client = signed_in_client(flagged)
    build = views.RoutineDetailView.get_context_data

    def while_an_editor_saves(self, *args, **kwargs):
        context = build(self, *args, **kwargs)  # the parts, as they were
        monkeypatch.setattr(views.RoutineDetailView, "get_context_data", build)
        Routine.objects.filter(slug="practice").update(title="Renamed")
        catalogue_changed()
        return context

    monkeypatch.setattr(
        views.RoutineDetailView, "get_context_data", while_an_editor_saves
    )
    assert "Renamed" not in text_of(client.get("/routines/practice/"))

    assert "Renamed" in text_of(client.get("/routines/practice/"))


# A routine whose steps are alternatives: the person picks one (issue 27.9)

PICK = "Which one today?"


@pytest.fixture
def cardio(db):
    """Two timed steps, of which a session runs one."""
    routine = RoutineFactory(
        slug="cardio",
        title="Cardio",
        kind=Routine.Kind.AEROBIC,
        steps_are_alternatives=True,
    )
    for order, name in enumerate(["Rowing", "Swimming"], start=1):
        RoutineStepFactory(
            routine=routine,
            order=order,
            exercise=ExerciseFactory(name=name),
            repetitions=None,
            duration_min_minutes=20,
            duration_max_minutes=30,
        )
    return routine


def test_a_routine_of_alternatives_says_to_pick_one_and_how_long(client, cardio):
    page = text_of(client.get("/routines/cardio/"))

    assert "Pick one of these for each session" in page
    assert "About 20–30 minutes" in page
    assert "40–60" not in page
    home = text_of(client.get("/"))
    assert "About 20–30 minutes" in home
    assert "One of: Rowing or Swimming" in home


def test_the_safety_check_of_alternatives_asks_which_one(client, cardio):
    page = html(client.get(gate("cardio")))

    assert PICK in page
    for value, name in [("1", "Rowing"), ("2", "Swimming")]:
        assert re.search(
            rf'<input type="radio"[^>]* name="step" value="{value}"[^>]*>', page
        ), value
        assert f"{name}, 20–30 minutes" in page
    assert "one of 2 exercises" in text(page)


def test_the_safety_check_of_alternatives_without_a_pick_answers_400(client, cardio):
    response = client.post(gate("cardio"), {"acknowledged": "on"})

    assert response.status_code == 400
    assert "Choose which one you will do today." in text_of(response)
    assert client.get(step(1, "cardio")).url == gate("cardio")


def test_a_session_of_alternatives_runs_the_one_picked_and_records_it_alone(
    client, cardio
):
    response = client.post(gate("cardio"), {"acknowledged": "on", "step": "2"})

    assert response.url == step(2, "cardio")
    # The other one is not part of this session: its address leads back.
    assert client.get(step(1, "cardio")).url == step(2, "cardio")
    # Resumed, it reads as the session's only step, as its own page does.
    resume = html(client.get(gate("cardio")))
    assert f'href="{step(2, "cardio")}">Continue at step 1 of 1</a>' in resume

    done = client.post(step(2, "cardio"), {"action": "done"})

    assert done.url == finish("cardio")
    assert summary(client.get(finish("cardio"))) == [("Swimming", "Done")]
    record = GuidedRun(client.session, "cardio").record(
        list(cardio.steps.order_by("order"))
    )
    assert [(s["name"], s["outcome"]) for s in record["steps"]] == [
        ("Swimming", "done")
    ]


def test_a_routine_of_steps_done_one_after_the_other_asks_no_pick(client, practice):
    page = html(client.get(gate()))

    assert PICK not in page
    assert client.post(gate(), {"acknowledged": "on"}).url == step(1)


def step_labels(response):
    """What a step page says of its place: title, counter, progress, Done button,
    the way back, the next step the player names, and the step its script
    takes for the run's last (data-step-number equal to data-step-total)."""
    page = html(response)
    progress = re.search(r'<progress class="guide-progress[^>]*>', page).group(0)
    guide = re.search(r"<div class=\"guide-step\"[^>]*>", page, re.S).group(0)
    number = re.search(r'data-step-number="(\d+)"', guide).group(1)
    total = re.search(r'data-step-total="(\d+)"', guide).group(1)
    return {
        "title": re.search(r"<title>([^·<]*?) ·", page).group(1).strip(),
        "counter": text(re.search(r'id="step-counter">([^<]*)<', page).group(1)),
        "progress": (
            re.search(r'value="(\d+)"', progress).group(1),
            re.search(r'max="(\d+)"', progress).group(1),
        ),
        "done": text(re.search(r"data-guide-next>([^<]*)<", page).group(1)),
        "back": text(re.search(r"data-guide-previous[^>]*>([^<]*)<", page).group(1)),
        "next_name": re.search(r'data-next-name="([^"]*)"', page).group(1),
        "last": number == total,
    }


def only_step(name):
    return {
        "title": f"Step 1 of 1: {name}",
        "counter": "Step 1 of 1",
        "progress": ("1", "1"),
        "done": "Done, finish →",
        "back": "← Safety check",
        "next_name": "",
        "last": True,
    }


@pytest.mark.parametrize(("picked", "name"), [(1, "Rowing"), (2, "Swimming")])
def test_a_picked_step_reads_as_the_only_step_of_its_session(
    client, cardio, picked, name
):
    acknowledge(client, "cardio", step=picked)

    response = client.get(step(picked, "cardio"))

    assert response.status_code == 200
    assert step_labels(response) == only_step(name)
    assert "Done, next step" not in text_of(response)
    assert "Step 2 of 2" not in text_of(response)


def test_a_kept_step_page_shows_each_run_its_own_place(cardio):
    # A run started before the routine's steps became alternatives runs
    # both; a run picked at the safety check runs one. The page of step 1
    # is kept for each, and neither is shown to the other, whoever came first.
    before = Client()
    session = before.session
    GuidedRun(session, "cardio").start()
    session.save()
    picked = Client()
    acknowledge(picked, "cardio", step=1)
    in_order = {
        **only_step("Rowing"),
        "title": "Step 1 of 2: Rowing",
        "counter": "Step 1 of 2",
        "progress": ("1", "2"),
        "done": "Done, next step →",
        "next_name": "Swimming",
        "last": False,
    }

    for _ in range(2):
        assert step_labels(before.get(step(1, "cardio"))) == in_order
        assert step_labels(picked.get(step(1, "cardio"))) == only_step("Rowing")
    assert before.post(step(1, "cardio"), {"action": "done"}).url == step(2, "cardio")
    assert picked.post(step(1, "cardio"), {"action": "done"}).url == finish("cardio")


def test_a_signed_in_persons_kept_step_page_follows_their_pick(client, cardio, user):
    client.force_login(user)
    acknowledge(client, "cardio", step=2)
    assert step_labels(client.get(step(2, "cardio"))) == only_step("Swimming")

    acknowledge(client, "cardio", step=1)

    assert client.get(step(2, "cardio")).url == step(1, "cardio")
    assert step_labels(client.get(step(1, "cardio"))) == only_step("Rowing")
