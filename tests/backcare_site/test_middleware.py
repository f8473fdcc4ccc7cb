from csp.utils import build_policy
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from backcare_site.middleware import ContentSecurityPolicyMiddleware
from tests.helpers import text_of


def served(response):
    middleware = ContentSecurityPolicyMiddleware(lambda request: response)
    return middleware(RequestFactory().get("/"))


def test_every_response_gets_the_policy_django_csp_builds_from_the_settings(client, db):
    assert client.get("/livez")["Content-Security-Policy"] == build_policy()
    assert "script-src 'self'" in build_policy()


def test_a_response_with_a_policy_of_its_own_keeps_it():
    own = HttpResponse("ok")
    own["Content-Security-Policy"] = "default-src 'none'"
    assert served(own)["Content-Security-Policy"] == "default-src 'none'"


def test_a_per_view_policy_still_goes_django_csps_way():
    widened = HttpResponse("ok")
    widened._csp_update = {"img-src": ["https://example.org"]}
    assert "https://example.org" in served(widened)["Content-Security-Policy"]
    exempt = HttpResponse("ok")
    exempt._csp_exempt = True
    assert "Content-Security-Policy" not in served(exempt)


def test_a_message_waits_through_pages_that_do_not_show_messages(client, practice):
    refused = client.get("/routines/practice/guide/1/")
    assert refused.status_code == 302 and "messages" in refused.cookies
    waiting = client.cookies["messages"].value

    assert "messages" not in client.get("/livez").cookies
    assert client.cookies["messages"].value == waiting

    shown = client.get(refused["Location"])
    assert "Please read the safety check before you start." in text_of(shown)
    assert shown.cookies["messages"].value == ""  # read, so cleared


def test_a_visitor_who_never_uses_the_session_gets_no_session_cookie(client, db):
    response = client.get("/livez")
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_a_visitors_session_once_used_is_saved_and_varied_on(client, practice):
    started = client.post(
        f"/routines/{practice.slug}/guide/", {"acknowledged": "on"}
    )  # the guided run lives in the session
    assert started.status_code == 302
    assert started.cookies[settings.SESSION_COOKIE_NAME].value
    assert "Cookie" in started["Vary"]


def test_a_session_cookie_that_cannot_name_a_session_is_deleted(client, db):
    client.cookies[settings.SESSION_COOKIE_NAME] = "bad"  # no key is so short
    response = client.get("/livez")
    assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 0


def test_a_path_without_its_slash_is_redirected_to_it(client, practice):
    response = client.get(f"/routines/{practice.slug}")
    assert response.status_code == 301
    assert response["Location"] == f"/routines/{practice.slug}/"


def test_every_answer_says_its_length(client, practice):
    response = client.get(f"/routines/{practice.slug}/")
    assert int(response["Content-Length"]) == len(response.content)
