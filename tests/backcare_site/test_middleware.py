from csp.utils import build_policy
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
