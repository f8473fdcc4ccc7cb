"""The offline guide's plan and addresses (issue 18): catalogue data only."""

from django.test import Client

from accounts import services
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
