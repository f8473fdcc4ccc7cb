"""The CSRF token kept pages are filled in with: Django's form, Django accepts it."""

import re

from django.conf import settings
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_TOKEN_LENGTH,
    CsrfViewMiddleware,
    _unmask_cipher_token,
)
from django.test import Client, RequestFactory

from backcare_site.csrf import csrf_token

SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"


def browser_with_cookie():
    request = RequestFactory().get(
        "/", HTTP_COOKIE=f"{settings.CSRF_COOKIE_NAME}={SECRET}"
    )
    CsrfViewMiddleware(lambda request: None).process_request(request)
    return request


def test_the_token_masks_the_browsers_secret_afresh_each_time():
    request = browser_with_cookie()

    tokens = {csrf_token(request) for _ in range(2000)}

    assert len(tokens) == 2000
    for token in tokens:
        assert len(token) == CSRF_TOKEN_LENGTH
        assert set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == SECRET
    # Each of the mask's 32 letters is drawn from the whole alphabet: in 2,000
    # draws a letter is missed with a chance of (61/62)**2000, about 1e-14.
    for position in range(32):
        assert {token[position] for token in tokens} == set(CSRF_ALLOWED_CHARS)
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # the cookie renewed


def test_a_browser_without_a_secret_gets_one_and_its_cookie():
    request = RequestFactory().get("/")
    CsrfViewMiddleware(lambda request: None).process_request(request)

    token = csrf_token(request)

    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]


def test_a_kept_page_takes_a_token_django_accepts(client, user, practice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    path = f"/routines/{practice.slug}/"
    browser.get(path)  # kept now; the next is filled in from the kept page
    page = browser.get(path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    assert (
        browser.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code
        == 302
    )
    assert "_auth_user_id" not in browser.session

    browser.force_login(user)
    tampered = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert (
        browser.post("/accounts/logout/", {"csrfmiddlewaretoken": tampered}).status_code
        == 403
    )
