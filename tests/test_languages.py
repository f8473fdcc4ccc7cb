"""
The site in English and Simplified Chinese (issue 29): the address carries the
language, the first visit follows Accept-Language, the header's switch is
remembered (a cookie for a visitor, the profile for a person, whose e-mails
follow it), and every kept page and cached part is per language.
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from accounts.models import RoutineTotal
from tests.factories import PASSWORD, UserFactory
from tests.helpers import html, signed_in_client, text_of, wait_for_mail

User = get_user_model()

COOKIE = settings.LANGUAGE_COOKIE_NAME
CHINESE_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}
SWITCH = "/i18n/setlang/"


def lang_of(response):
    return re.search(r'<html lang="([^"]+)"', html(response))[1]


# Addresses and the first visit


@pytest.mark.parametrize(
    ("path", "lang"),
    [("/", "en-gb"), ("/zh-hans/", "zh-hans"), ("/zh-hans/about/", "zh-hans")],
)
def test_the_address_names_the_pages_language(client, db, path, lang):
    response = client.get(path)

    assert response.status_code == 200
    assert lang_of(response) == lang
    assert response["Content-Language"] == lang


def test_every_page_names_itself_in_each_language(client, practice):
    page = html(client.get("/zh-hans/routines/practice/"))

    links = dict(
        re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', page)
    )
    assert links == {
        "en-gb": "http://testserver/routines/practice/",
        "x-default": "http://testserver/routines/practice/",
        "zh-hans": "http://testserver/zh-hans/routines/practice/",
    }


def test_a_chinese_browsers_first_visit_lands_on_the_chinese_page(client, practice):
    response = client.get("/routines/practice/?from=mail", **CHINESE_BROWSER)

    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/routines/practice/?from=mail"
    assert "Accept-Language" in response["Vary"]
    chinese = client.get(response["Location"], **CHINESE_BROWSER)
    assert lang_of(chinese) == "zh-hans"
    assert "练习" in text_of(chinese)


def test_a_chinese_browser_that_chose_english_stays_in_english(client, practice):
    client.cookies[COOKIE] = "en-gb"

    response = client.get("/routines/practice/", **CHINESE_BROWSER)

    assert response.status_code == 200
    assert lang_of(response) == "en-gb"


def test_an_english_browser_is_not_redirected(client, practice):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response.status_code == 200
    assert lang_of(response) == "en-gb"


def test_addresses_outside_the_pages_are_not_redirected(client, db):
    for path in ["/livez", "/sw.js", "/favicon.ico"]:
        assert client.get(path, **CHINESE_BROWSER).status_code == 200, path


# The switch


def test_the_header_has_the_switch_and_it_works_without_javascript(client, practice):
    page = html(client.get("/routines/practice/"))
    form = re.search(r'<form class="language-switch".*?</form>', page, re.S)[0]
    assert f'action="{SWITCH}"' in form
    assert '<input type="hidden" name="next" value="/routines/practice/">' in form
    assert 'name="language" value="zh-hans" lang="zh-hans"' in form
    assert 'value="en-gb" lang="en-gb" aria-current="true"' in form

    visitor = Client(enforce_csrf_checks=True)
    response = visitor.post(
        SWITCH, {"language": "zh-hans", "next": "/routines/practice/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/routines/practice/"
    assert visitor.cookies[COOKIE].value == "zh-hans"
    # Remembered: an English address now leads to the Chinese page.
    assert visitor.get("/about/")["Location"] == "/zh-hans/about/"


def test_a_visitors_switch_keeps_no_page_from_being_kept(client, practice):
    """The visitor's form has no CSRF token, so the page sets no cookie."""
    response = client.get("/routines/practice/")

    assert "csrfmiddlewaretoken" not in html(response)
    assert not response.cookies


def test_switching_mid_session_stays_on_the_same_step(client, practice):
    client.post("/routines/practice/guide/", {"acknowledged": "on"})
    client.post("/routines/practice/guide/1/", {"action": "done"})
    step = "/routines/practice/guide/2/"
    english = html(client.get(step))
    run = re.search(r'data-run="([^"]+)"', english)[1]

    response = client.post(SWITCH, {"language": "zh-hans", "next": step})

    assert response["Location"] == f"/zh-hans{step}"
    chinese = client.get(response["Location"])
    assert chinese.status_code == 200
    assert lang_of(chinese) == "zh-hans"
    # The same step of the same run.
    assert 'data-step-number="2"' in html(chinese)
    assert f'data-run="{run}"' in html(chinese)


def test_a_persons_switch_is_kept_on_their_profile(user):
    client = signed_in_client(user, enforce_csrf_checks=True)
    client.get("/accounts/profile/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    refused = client.post(SWITCH, {"language": "zh-hans", "next": "/"})
    accepted = client.post(
        SWITCH, {"language": "zh-hans", "next": "/", "csrfmiddlewaretoken": token}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert User.objects.get(pk=user.pk).language == "zh-hans"


def test_an_unknown_language_changes_nothing(user):
    client = signed_in_client(user)

    response = client.post(SWITCH, {"language": "xx", "next": "/"})

    assert response.status_code == 302
    assert COOKIE not in response.cookies
    assert User.objects.get(pk=user.pk).language == "en-gb"


def test_a_get_of_the_switch_is_refused(client, db):
    assert client.get(SWITCH).status_code == 405


# A person's language: sign-up, log-in and their e-mails


def test_signing_up_in_chinese_keeps_chinese_and_the_reset_mail_is_in_chinese(
    client, db
):
    response = client.post(
        "/zh-hans/accounts/signup/",
        {
            "username": "li",
            "email": "li@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "health_data_consent": "on",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="li").language == "zh-hans"

    # Asked for from an English page, in another browser: still in Chinese.
    Client().post("/accounts/password_reset/", {"email": "li@example.com"})
    wait_for_mail()

    (message,) = mail.outbox
    assert re.search(r"[\u4e00-\u9fff]", message.subject), message.subject
    assert re.search(r"[\u4e00-\u9fff]{8}", message.body), message.body
    assert "/zh-hans/accounts/reset/" in message.body


def test_an_english_persons_reset_mail_is_in_english(client, db):
    UserFactory(email="sam@example.com")

    client.post("/zh-hans/accounts/password_reset/", {"email": "sam@example.com"})
    wait_for_mail()

    (message,) = mail.outbox
    assert not re.search(r"[\u4e00-\u9fff]", message.body)
    assert "/accounts/reset/" in message.body
    assert "/zh-hans/" not in message.body


def test_logging_in_on_a_new_browser_takes_the_persons_language(client, db):
    UserFactory(username="li", language="zh-hans")

    response = client.post(
        "/accounts/login/?next=/progress/", {"username": "li", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/progress/"
    assert client.cookies[COOKIE].value == "zh-hans"


def test_a_language_chosen_before_logging_in_goes_to_the_profile(client, db):
    person = UserFactory(username="sam")
    client.cookies[COOKIE] = "zh-hans"

    response = client.post(
        "/zh-hans/accounts/login/?next=/zh-hans/progress/",
        {"username": "sam", "password": PASSWORD},
    )

    assert response["Location"] == "/zh-hans/progress/"
    assert User.objects.get(pk=person.pk).language == "zh-hans"


# Caches: a page is never served in the other language


@pytest.mark.parametrize(
    "first", ["/routines/practice/", "/zh-hans/routines/practice/"]
)
def test_kept_pages_are_per_language_whichever_is_made_first(practice, first):
    other = (
        "/zh-hans/routines/practice/"
        if first == "/routines/practice/"
        else "/routines/practice/"
    )
    for path in [first, other, first, other]:  # cold, cold, warm, warm
        response = Client().get(path)
        expected = "zh-hans" if path.startswith("/zh-hans/") else "en-gb"
        assert lang_of(response) == expected, path
        main = re.search(r"<main.*</main>", html(response), re.S)[0]
        chinese = bool(re.search(r"[\u4e00-\u9fff]{2}", main))
        assert chinese == (expected == "zh-hans"), path


@pytest.mark.parametrize("first", ["en-gb", "zh-hans"])
def test_a_persons_kept_pages_are_per_language(user, practice, first):
    client = signed_in_client(user)
    order = [first, "zh-hans" if first == "en-gb" else "en-gb"] * 2
    for language in order:
        path = "/progress/" if language == "en-gb" else "/zh-hans/progress/"
        response = client.get(path)
        assert response.status_code == 200
        assert lang_of(response) == language, path


# A person's sessions: one routine whatever language they were saved in


def save_practice(client, prefix=""):
    guide = f"{prefix}/routines/practice/guide/"
    client.post(guide, {"acknowledged": "on"})
    for number in range(1, 5):
        client.post(f"{guide}{number}/", {"action": "done"})
    response = client.post(
        f"{prefix}/progress/save/practice/", {"pain_before": "3", "pain_after": "2"}
    )
    assert response.status_code == 302


def test_sessions_saved_in_either_language_count_as_one_routine(user, practice):
    practice.title_zh_hans = "练习方案"
    practice.save()
    client = signed_in_client(user)

    save_practice(client, "/zh-hans")
    save_practice(client)

    assert sorted(RoutineTotal.objects.values_list("routine_title", "sessions")) == [
        ("Practice", 2)
    ]
    assert "练习方案：2" in text_of(client.get("/zh-hans/progress/"))
    assert "Practice: 2" in text_of(client.get("/progress/"))
    history = text_of(client.get("/zh-hans/progress/history/"))
    assert history.count("练习方案") == 2
    assert "Practice" not in history
