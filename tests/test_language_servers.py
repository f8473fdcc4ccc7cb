"""
Issue 29, point 4, on real servers: a Chinese reader never gets an English
page from a cache, nor the reverse.

Each test has a gunicorn of its own (3 workers, debug off, production's
settings) and a Redis of its own, so both start cold: the workers' own
copies (the manifest, the translation catalogues) and the kept pages and
parts in Redis. A visitor's catalogue pages (kept whole, answered by
``KeptPageMiddleware``), the scripts' words (/jsi18n/, kept the same way),
the manifest (kept per process) and a signed-in person's pages (kept per
person) are read in one language, then in the other, cold and then warm on
every worker, and both at once; each answer is checked: its ``<html lang>``
and whether its ``<main>`` holds Chinese. What the tests write is committed
to the test database, so the servers see it (PostgreSQL only).
"""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from accounts import services
from exercises.models import Routine
from tests.factories import PASSWORD, CompletedSessionFactory, UserFactory
from tests.helpers import csrf_token, text
from tests.servers import HttpClient, gunicorn, needs_postgresql, redis_server

pytestmark = [
    pytest.mark.servers,
    needs_postgresql,
    pytest.mark.django_db(transaction=True, reset_sequences=True),
]

WORKERS = 3  # as tests/test_sessions_end.py's gunicorn
ENGLISH, CHINESE = "en-gb", "zh-hans"
PREFIX = {ENGLISH: "", CHINESE: "/zh-hans"}
ORDERS = {"English first": (ENGLISH, CHINESE), "Chinese first": (CHINESE, ENGLISH)}
# Chinese characters (CJK Unified Ideographs and their extension A, and the
# compatibility block), and Chinese punctuation.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff5e]")
CHINESE_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}

# The pages in English; the Chinese twin is the same under /zh-hans/.
VISITOR_PAGES = (
    "/",
    "/routines/beginner/",
    "/exercises/wall-squats/",
    "/jsi18n/",
    "/manifest.webmanifest",
)
PERSON_PAGES = ("/progress/", "/progress/history/", "/routines/beginner/")
ROUNDS = 60  # at most, of 3 requests at once, for every worker to serve a page


def address(path, language):
    return PREFIX[language] + path


# What a page in a language is


def wrong_language(response, language):
    """Why ``response`` is not the page in ``language``, or "" when it is."""
    if response.status != 200:
        return f"answered {response.status} {response.location}"
    chinese = language == CHINESE
    if response.headers.get("Content-Language") != language:
        return f"Content-Language {response.headers.get('Content-Language')}"
    kind = response.headers.get("Content-Type", "")
    body = response.text
    if kind.startswith("application/manifest+json"):
        manifest = json.loads(body)
        expected = ("zh-Hans", "/zh-hans/") if chinese else ("en-GB", "/")
        if (manifest["lang"], manifest["start_url"]) != expected:
            return f"manifest lang {manifest['lang']}, start {manifest['start_url']}"
        words = manifest["description"]
    elif "javascript" in kind:
        # The catalogue and the formats (a Chinese date has 年, 月, 日), in
        # JSON's \uXXXX escapes.
        words = re.sub(r"\\u([0-9a-fA-F]{4})", lambda code: chr(int(code[1], 16)), body)
    else:
        lang = re.search(r'<html lang="([^"]+)"', body)
        if not lang or lang[1] != language:
            return f"<html lang> {lang and lang[1]}"
        main = re.search(r"<main\b.*?</main>", body, re.S)
        if not main:
            return "no <main>"
        words = text(main[0])
    if bool(CJK.search(words)) != chinese:
        return "Chinese in it" if not chinese else "no Chinese in it"
    return ""


def served_by(server, path, status, since):
    """The pids of the workers that answered GET ``path`` with ``status``
    since the access log's line ``since``."""
    return {
        pid
        for pid, method, url, answered in server.access_lines()[since:]
        if method == "GET" and url == path and answered == str(status)
    }


def on_every_worker(server, browser, path, check, *, status=200, headers=None):
    """GETs of ``path`` with ``browser``'s cookies (and ``headers``), three at
    once so that no worker is left out, until every worker has answered it
    with ``status``, as tests/test_sessions_end.py's ``warm`` does; every
    answer is checked. The problems found, by request."""
    copies = [server.client() for _ in range(WORKERS)]
    for copy in copies:
        copy.cookies = dict(browser.cookies)
    mark = len(server.access_lines())
    problems = []

    def get(client):
        return client.request("GET", path, headers=headers)

    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            for _ in range(ROUNDS):
                for response in pool.map(get, copies):
                    if problem := check(response):
                        problems.append(f"{path}: {problem}")
                if len(served_by(server, path, status, mark)) == WORKERS:
                    return problems
    finally:
        for copy in copies:
            copy.close()
    served = sorted(served_by(server, path, status, mark))
    raise AssertionError(
        f"{path}: not all {WORKERS} workers answered {status}: {served}; "
        f"{len(problems)} wrong answers: {problems[:5]}"
    )


def read_in_order(server, browser, paths, order):
    """Each of ``paths`` in each language of ``order``: the first request
    (cold, the other language warm when it is the second), then on every
    worker (warm), then both languages at once. The problems found."""
    problems = []
    for language in order:
        for path in paths:
            here = address(path, language)

            def check(response, language=language):
                return wrong_language(response, language)

            if problem := check(browser.get(here)):
                problems.append(f"{here} cold: {problem}")
            problems += on_every_worker(server, browser, here, check)
    # Both at once: each worker's threads answer both languages side by side.
    requests = [
        (address(path, language), language)
        for _ in range(4)
        for path in paths
        for language in order
    ]

    def mixed(request):
        here, language = request
        client = HttpClient(server.host, server.port)
        client.cookies = dict(browser.cookies)
        try:
            return here, wrong_language(client.get(here), language)
        finally:
            client.close()

    with ThreadPoolExecutor(2 * WORKERS) as pool:
        problems += [f"{h} mixed: {p}" for h, p in pool.map(mixed, requests) if p]
    return problems


@pytest.fixture
def server(catalogue):
    """gunicorn with 3 workers and a Redis of its own, both cold."""
    with (
        redis_server() as port,
        gunicorn(workers=WORKERS, REDIS_URL=f"redis://127.0.0.1:{port}/9") as server,
    ):
        yield server


@pytest.fixture
def person(catalogue):
    """Someone with a session of the beginner routine, so their progress
    pages are kept (a person's pages are kept from their first session)."""
    user = UserFactory(username="lin_wei")
    CompletedSessionFactory(user=user, routine=Routine.objects.get(slug="beginner"))
    services.totals_rebuild(user=user)
    return user


@pytest.mark.parametrize("order", list(ORDERS))
def test_a_visitor_gets_each_page_in_its_addresss_language_cold_and_warm(server, order):
    visitor = server.client()

    problems = read_in_order(server, visitor, VISITOR_PAGES, ORDERS[order])

    assert problems == [], f"{len(problems)} wrong answers: {problems[:10]}"
    assert visitor.cookies == {}  # a visitor's pages set no cookie: all kept
    # A copy a browser keeps in one language is never confirmed for the other.
    for path in ("/jsi18n/", "/manifest.webmanifest"):
        for language in (ENGLISH, CHINESE):
            other = address(path, CHINESE if language == ENGLISH else ENGLISH)
            tag = visitor.get(other).headers["ETag"]
            here = address(path, language)
            again = visitor.request("GET", here, headers={"If-None-Match": tag})
            assert wrong_language(again, language) == "", (here, again.status)


@pytest.mark.parametrize("order", list(ORDERS))
def test_a_person_gets_each_page_in_its_addresss_language_cold_and_warm(
    server, person, order
):
    browser = server.signed_in(person.username, PASSWORD)

    problems = read_in_order(server, browser, PERSON_PAGES, ORDERS[order])

    assert problems == [], f"{len(problems)} wrong answers: {problems[:10]}"
    dashboard = browser.get(address("/progress/", ORDERS[order][-1]))
    assert person.username in dashboard.text


def sent_to_chinese(server, browser, paths, headers=None):
    """GETs of each of ``paths`` (English addresses) on every worker, each
    answered with the redirect to its Chinese address; then that address,
    followed. The problems found."""
    problems = []
    for path in paths:
        there = address(path, CHINESE)

        def redirected(response, there=there):
            if (response.status, response.location) != (302, there):
                return f"answered {response.status} {response.location}"
            vary = response.headers.get("Vary", "")
            if "Accept-Language" not in vary or "Cookie" not in vary:
                return f"Vary: {vary}"
            return ""

        problems += on_every_worker(
            server, browser, path, redirected, status=302, headers=headers
        )
        followed = browser.request("GET", there, headers=headers)
        if problem := wrong_language(followed, CHINESE):
            problems.append(f"{there}, followed: {problem}")
    return problems


@pytest.mark.parametrize("asks_by", ["Accept-Language", "language cookie"])
def test_a_chinese_browser_is_sent_to_the_chinese_page_when_the_english_is_kept(
    server, asks_by
):
    visitor = server.client()
    assert read_in_order(server, visitor, VISITOR_PAGES, (ENGLISH,)) == []
    chinese = server.client()
    if asks_by == "language cookie":
        chinese.cookies[settings.LANGUAGE_COOKIE_NAME] = CHINESE

    problems = sent_to_chinese(
        server,
        chinese,
        VISITOR_PAGES,
        CHINESE_BROWSER if asks_by == "Accept-Language" else None,
    )

    assert problems == [], f"{len(problems)} wrong answers: {problems[:10]}"
    # The English pages are still kept, and an English browser still gets them.
    for path in VISITOR_PAGES:
        assert wrong_language(visitor.get(path), ENGLISH) == "", path


def test_a_person_who_switches_to_chinese_is_sent_from_their_kept_english_pages(
    server, person
):
    browser = server.signed_in(person.username, PASSWORD)
    assert read_in_order(server, browser, PERSON_PAGES, (ENGLISH,)) == []

    switched = browser.post(
        "/i18n/setlang/",
        {
            "language": CHINESE,
            "next": "/progress/",
            "csrfmiddlewaretoken": csrf_token(browser.get("/progress/").text),
        },
    )
    assert (switched.status, switched.location) == (302, "/zh-hans/progress/")
    problems = sent_to_chinese(server, browser, PERSON_PAGES)

    assert problems == [], f"{len(problems)} wrong answers: {problems[:10]}"
    person.refresh_from_db()
    assert person.language == CHINESE
