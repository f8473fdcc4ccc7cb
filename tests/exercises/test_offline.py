"""The offline guide's plan and addresses (issue 18): catalogue data only."""

import re

from django.test import Client

from accounts import services
from exercises.cache import catalogue_changed
from tests.helpers import signed_in_client


def test_the_plan_holds_every_step_and_the_safety_check_and_nothing_personal(
    practice, user, consult_warning
):
    services.screening_update(user=user, conditions=[consult_warning])

    visitor = Client().get("/routines/practice/plan.json")
    person = signed_in_client(user).get("/routines/practice/plan.json")

    assert visitor.status_code == 200
    assert visitor["Content-Type"] == "application/json"
    assert visitor.content == person.content
    plan = visitor.json()
    assert plan["slug"] == "practice"
    assert plan["title"] == practice.title
    assert [step["name"] for step in plan["steps"]] == [
        step.exercise.name for step in practice.steps.all()
    ]
    assert [step["avoidable"] for step in plan["steps"]] == [False, False, True, False]
    assert consult_warning.description in plan["safety"]
    assert all("data-player" in step["html"]["player"] for step in plan["steps"])
    assert "csrfmiddlewaretoken" not in visitor.content.decode()
    assert "alex" not in visitor.content.decode()
    assert "set-cookie" not in {name.lower() for name in visitor.headers}


def test_the_plan_names_the_catalogue_version_until_the_catalogue_changes(
    practice, django_capture_on_commit_callbacks
):
    # The worker fetches the routine's page again only when this changes.
    first = Client().get("/routines/practice/plan.json").json()["catalogue"]
    again = Client().get("/routines/practice/plan.json").json()["catalogue"]
    practice.summary = "A new summary, on the routine's page only."
    with django_capture_on_commit_callbacks(execute=True):
        practice.save()
        catalogue_changed()
    changed = Client().get("/routines/practice/plan.json").json()["catalogue"]

    assert isinstance(first, str) and first
    assert again == first
    assert isinstance(changed, str) and changed != first
    page = Client().get("/routines/practice/").content.decode()
    assert "A new summary, on the routine&#x27;s page only." in page


def test_there_is_no_plan_of_an_unknown_routine(db):
    assert Client().get("/routines/nowhere/plan.json").status_code == 404


def test_the_offline_guides_addresses_lead_to_the_guide_online(practice):
    for path in [
        "/routines/practice/offline/",
        "/routines/practice/offline/2/",
        "/routines/practice/offline/finish/",
    ]:
        response = Client().get(path)
        assert (response.status_code, response.url) == (
            302,
            "/routines/practice/guide/",
        )


def test_the_plan_of_alternatives_asks_which_one_as_the_safety_check_online(catalogue):
    plan = Client().get("/routines/aerobic/plan.json").json()
    online = Client().get("/routines/aerobic/guide/").content.decode()

    # The same radio group as the safety check online, rendered by the server.
    pick = plan["fields"]["step"]
    assert "Which one today?" in pick
    assert pick.strip() in online
    assert re.findall(r'<input type="radio"[^>]* name="step" value="(\d)"', pick) == [
        "1",
        "2",
    ]
    assert plan["pick_error"] == "Choose which one you will do today."
    # Each step, picked, is the only step of its session.
    for step in plan["steps"]:
        alone = step["alone"]
        assert "Step 1 of 1" in alone["head"]
        assert 'value="1" max="1"' in alone["head"]
        assert 'data-next-name=""' in alone["player"]
        assert "← Safety check" in alone["previous"]


def test_the_plan_of_steps_done_in_turn_asks_no_pick(practice):
    plan = Client().get("/routines/practice/plan.json").json()

    assert "step" not in plan["fields"]
    assert "pick_error" not in plan
    assert all("alone" not in step for step in plan["steps"])
