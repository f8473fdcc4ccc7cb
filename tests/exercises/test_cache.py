"""The kept-page layer (exercises/cache.py): visitors' pages and the catalogue's parts."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django_redis import get_redis_connection
from redis.exceptions import ConnectionError as RedisConnectionError

from exercises import cache as catalogue_cache
from exercises.cache import (
    KeptPageMiddleware,
    cached_plan,
    cached_routine_page,
    catalogue_changed,
    catalogue_version,
    entry_key,
    kept_for_visitors,
)
from exercises.models import CatalogueVersion, Routine
from tests.factories import RoutineFactory, UserFactory
from tests.helpers import count_queries, csrf_token, html

# A visitor's catalogue pages, each kept whole by KeptPageMiddleware.
VISITORS_PAGES = ["/", "/about/", "/routines/practice/", "/exercises/bridge/"]
# What a kept page must answer with as a fresh one does.
HEADERS = ["Content-Type", "X-Frame-Options", "Content-Security-Policy"]


def reads_the_catalogue_version_only(queries):
    return len(queries) == 1 and (CatalogueVersion._meta.db_table in queries[0]["sql"])


def test_a_visitor_gets_the_routine_page_from_the_cache(client, practice):
    first = count_queries(client, "/routines/practice/")

    second = count_queries(client, "/routines/practice/")

    assert len(first) > 1
    assert reads_the_catalogue_version_only(second.queries)
    assert second.body == first.body


@pytest.mark.parametrize("url", VISITORS_PAGES)
def test_a_visitors_warm_page_is_answered_before_the_session_with_one_query(
    client, practice, url
):
    fresh = count_queries(client, url)
    kept = count_queries(client, url)

    # Answered by KeptPageMiddleware: no session, no template, one query.
    assert reads_the_catalogue_version_only(kept.queries), url
    assert not hasattr(kept.response.wsgi_request, "session"), url
    assert not kept.response.templates, url
    assert kept.body == fresh.body, url
    for header in HEADERS:
        assert kept.response.headers.get(header), (url, header)
        assert kept.response.headers[header] == fresh.response.headers[header], url
    assert dict(kept.response.headers) == dict(fresh.response.headers), url


def test_invented_query_strings_cannot_fill_the_cache(client, practice, settings):
    # A local-memory cache of its own, whose every entry can be counted.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "query-strings",
        }
    }
    first = client.get("/routines/practice/?utm=1")
    entries = len(cache._cache)

    answers = [client.get(f"/routines/practice/?utm={n}") for n in range(2, 22)]
    plain = client.get("/routines/practice/")

    assert len(cache._cache) == entries + 1  # the plain page's own entry
    assert {answer.content for answer in answers} == {first.content}
    assert plain.content == first.content


def through_the_layers(view):
    """``view`` as the site's middleware runs it: kept, then the CSRF layer."""
    return KeptPageMiddleware(CsrfViewMiddleware(kept_for_visitors(view)))


def test_a_page_holding_a_csrf_token_is_not_stored(db):
    calls = []

    def view(request):
        calls.append(request)
        return HttpResponse(f"token {get_token(request)}")

    answer = through_the_layers(view)
    factory = RequestFactory()
    first = answer(factory.get("/form/"))
    second = answer(factory.get("/form/"))

    assert len(calls) == 2
    assert first.content != second.content
    assert cache.get(entry_key("page", "/form/", "visitor")) is None


def test_a_request_with_a_session_cookie_or_a_query_is_not_answered_by_the_layer(
    db,
):
    calls = []

    def view(request):
        calls.append(request)
        return HttpResponse("the same for everyone")

    answer = through_the_layers(view)
    factory = RequestFactory()
    answer(factory.get("/plain/"))
    with_cookie = factory.get("/plain/")
    with_cookie.COOKIES[settings.SESSION_COOKIE_NAME] = "someone"
    answer(with_cookie)
    answer(factory.get("/plain/?page=2"))
    answer(factory.post("/plain/"))

    assert len(calls) == 4


def test_an_unknown_routine_or_one_without_steps_leaves_nothing_in_the_cache(
    practice,
):
    RoutineFactory(slug="empty")

    for slug in ["no-such-routine", "empty"]:
        assert cached_plan(slug) is None
        assert cache.get(entry_key("plan", slug)) is None
    assert cached_plan("practice").routine == practice
    assert cache.get(entry_key("plan", "practice")) is not None


def test_each_response_of_a_kept_page_has_a_token_of_its_own(user, practice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    path = "/routines/practice/"
    browser.get(path)  # kept now; the next ones are filled in from the kept page
    tokens = [csrf_token(browser.get(path)) for _ in range(2)]

    assert tokens[0] != tokens[1]  # masked afresh: a compressed page tells nothing
    for token in tokens:
        logout = browser.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
        assert logout.status_code == 302
        browser.force_login(user)


# The catalogue's version, in the database


def test_a_change_committed_with_catalogue_changed_shows_at_once(client, practice):
    url = "/routines/practice/"
    client.get(url)
    assert reads_the_catalogue_version_only(count_queries(client, url).queries)
    version = catalogue_version()

    with transaction.atomic():
        Routine.objects.filter(slug="practice").update(title="Renamed")
        catalogue_changed()

    assert catalogue_version() != version
    fresh = count_queries(client, url)
    assert len(fresh) > 1  # rendered afresh
    assert "Renamed" in fresh.body
    assert cached_routine_page("practice").title == "Renamed"
    # …and kept again under the new version.
    assert reads_the_catalogue_version_only(count_queries(client, url).queries)


def test_a_change_rolled_back_leaves_the_version_and_the_kept_page(client, practice):
    url = "/routines/practice/"
    kept = client.get(url).content
    version = catalogue_version()

    with pytest.raises(RuntimeError), transaction.atomic():
        Routine.objects.filter(slug="practice").update(title="Renamed")
        catalogue_changed()
        assert catalogue_version() != version  # inside the transaction
        raise RuntimeError("the editor's save failed")

    assert catalogue_version() == version
    again = count_queries(client, url)
    assert reads_the_catalogue_version_only(again.queries)
    assert again.response.content == kept
    assert "Renamed" not in again.body


def test_the_first_change_makes_the_version_row(db):
    CatalogueVersion.objects.all().delete()
    first = catalogue_version()
    # Never empty, even without its row: the offline plan names it, and the
    # service worker takes an empty one for "unknown" and fetches again.
    assert first

    catalogue_changed()
    second = catalogue_version()
    catalogue_changed()

    assert len({first, second, catalogue_version()}) == 3
    assert CatalogueVersion.objects.count() == 1


def test_a_database_restored_from_a_backup_never_meets_its_later_pages(
    client, practice
):
    # The catalogue as a backup has it, then a change after the backup, whose
    # pages the cache keeps; then the database goes back to the backup.
    url = "/routines/practice/"
    backup = list(CatalogueVersion.objects.values("pk", "token"))
    Routine.objects.filter(slug="practice").update(title="After the backup")
    catalogue_changed()
    assert "After the backup" in html(client.get(url))
    Routine.objects.filter(slug="practice").update(title=practice.title)
    for row in backup:
        CatalogueVersion.objects.filter(pk=row["pk"]).update(token=row["token"])

    # The next edit after the restore is a version no page was kept for.
    Routine.objects.filter(slug="practice").update(title="Edited after the restore")
    catalogue_changed()

    assert "Edited after the restore" in html(client.get(url))


def test_a_warm_page_is_refused_to_a_host_not_allowed(client, practice, settings):
    settings.ALLOWED_HOSTS = ["backcare.example.org"]
    url = "/about/"
    host = {"HTTP_HOST": "backcare.example.org"}
    assert client.get(url, **host).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url, **host).status_code == 200
    assert reads_the_catalogue_version_only(warm.captured_queries)

    assert client.get(url, HTTP_HOST="evil.example").status_code == 400


def test_an_old_copy_of_the_cache_put_back_is_not_served(client, practice):
    url = "/routines/practice/"
    client.get(url)
    # A snapshot of the cache (a Redis replica, a backup) as it stood then.
    keys = [entry_key("page", url, "visitor"), entry_key("routine-page", "practice")]
    old = cache.get_many(keys)
    assert set(old) == set(keys)

    with transaction.atomic():
        Routine.objects.filter(slug="practice").update(title="Renamed")
        catalogue_changed()
    assert "Renamed" in html(client.get(url))
    # The old copy put back, as a cache restored from the snapshot would have it.
    for key, entry in old.items():
        cache.set(key, entry)

    restored = count_queries(client, url)
    assert len(restored) > 1  # not the old entry: rendered afresh
    assert "Renamed" in restored.body
    assert cached_routine_page("practice").title == "Renamed"


# Entries carry the code's version


def test_a_plan_cached_by_other_code_is_not_read(
    monkeypatch, practice, django_assert_num_queries
):
    monkeypatch.setattr(catalogue_cache, "CODE_VERSION", "before-the-deploy")
    cached_plan("practice")
    with django_assert_num_queries(1):  # the catalogue's version
        cached_plan("practice")

    monkeypatch.setattr(catalogue_cache, "CODE_VERSION", "after-the-deploy")
    with django_assert_num_queries(4):  # the version, and the plan's three
        plan = cached_plan("practice")

    assert [step.exercise.name for step in plan.steps] == [
        "Knee rocks",
        "Bridge",
        "Leg stretch",
        "Walk",
    ]


def test_a_page_cached_by_other_code_is_not_served(client, monkeypatch, practice):
    url = "/routines/practice/"
    monkeypatch.setattr(catalogue_cache, "CODE_VERSION", "before-the-deploy")
    cold = count_queries(client, url)
    kept = count_queries(client, url)
    assert reads_the_catalogue_version_only(kept.queries)
    assert kept.body == cold.body

    monkeypatch.setattr(catalogue_cache, "CODE_VERSION", "after-the-deploy")
    again = count_queries(client, url)
    assert len(again) == len(cold)  # rendered afresh, as cold
    assert again.body == cold.body


def code_version_of(project):
    """CODE_VERSION as a process started in ``project`` (a deploy's copy) has it."""
    command = "import django; django.setup(); from exercises import cache; "
    command += "print(cache.CODE_VERSION)"
    started = subprocess.run(
        [sys.executable, "-c", command],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        check=True,
    )
    return started.stdout.strip()


def test_the_code_version_changes_with_any_file_a_deploy_changes(tmp_path):
    # What a deploy copies: the project's apps (their translations among
    # them), its templates and static files.
    folders = (
        "accounts",
        "exercises",
        "backcare_site",
        "templates",
        "static",
    )
    for folder in folders:
        shutil.copytree(
            Path(settings.BASE_DIR) / folder,
            tmp_path / folder,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    # Every worker of a deploy, wherever it is copied, has the same version.
    versions = [code_version_of(tmp_path)]
    assert versions == [catalogue_cache.CODE_VERSION]

    for changed in (
        "accounts/progress.py",  # the dashboard's figures
        "backcare_site/views.py",
        "exercises/models.py",
        "templates/base.html",
        "static/css/site.css",
        "backcare_site/locale/zh_Hans/LC_MESSAGES/django.po",
    ):
        path = tmp_path / changed
        path.write_text(path.read_text() + "\n")
        versions.append(code_version_of(tmp_path))

    assert len(set(versions)) == len(versions)


# Without the cache


def test_with_the_cache_unreachable_a_change_shows_at_once(practice, monkeypatch):
    # Found by tests/test_outages.py: with Redis down the version read None,
    # and parts remembered under None were served after an editor's change.
    monkeypatch.setattr(cache, "get", lambda key, default=None: default)
    monkeypatch.setattr(cache, "get_many", lambda keys: {})
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)
    assert cached_routine_page("practice").title == practice.title

    Routine.objects.filter(pk=practice.pk).update(title="Renamed")

    assert cached_routine_page("practice").title == "Renamed"


@pytest.fixture
def closed_redis(settings):
    """A django-redis cache at a port where nothing answers, as the site sets it up."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.05,
                "SOCKET_TIMEOUT": 0.05,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    with pytest.raises(RedisConnectionError):  # nothing answers there
        get_redis_connection("default").ping()


def test_with_the_cache_down_every_page_still_answers(closed_redis, practice):
    visitor = Client()
    person = UserFactory(username="noor_haddad")
    signed_in = Client()
    signed_in.force_login(person)

    for _ in range(2):
        for url in VISITORS_PAGES:
            assert visitor.get(url).status_code == 200, url
        for url in ["/routines/practice/", "/progress/", "/progress/history/"]:
            response = signed_in.get(url)
            assert response.status_code == 200, url
            assert "noor_haddad" in html(response), url

    # Nothing kept, so a change shows at once.
    with transaction.atomic():
        Routine.objects.filter(slug="practice").update(title="Renamed")
        catalogue_changed()
    assert "Renamed" in html(visitor.get("/routines/practice/"))
