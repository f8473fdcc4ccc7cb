"""The shared page cache of the catalogue (exercises/cache.py)."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from exercises import cache as catalogue_cache
from exercises.cache import cache_public_page, cached_plan, plan_key
from tests.factories import RoutineFactory
from tests.helpers import count_queries, csrf_token


def test_a_visitor_gets_the_routine_page_from_the_cache(client, practice):
    first = count_queries(client, "/routines/practice/")

    second = count_queries(client, "/routines/practice/")

    assert len(first) > 0
    assert len(second) == 0
    assert second.body == first.body


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


def test_a_page_holding_a_csrf_token_is_not_stored():
    calls = []

    @cache_public_page
    def view(request):
        calls.append(request)
        return HttpResponse(f"token {get_token(request)}")

    factory = RequestFactory()
    first = view(factory.get("/form/"))
    second = view(factory.get("/form/"))

    assert len(calls) == 2
    assert first.content != second.content


def test_a_plain_page_is_stored_once():
    calls = []

    @cache_public_page
    def view(request):
        calls.append(request)
        return HttpResponse("the same for everyone")

    factory = RequestFactory()
    view(factory.get("/plain/"))
    view(factory.get("/plain/"))

    assert len(calls) == 1


def test_an_unknown_routine_or_one_without_steps_leaves_nothing_in_the_cache(
    practice,
):
    RoutineFactory(slug="empty")

    for slug in ["no-such-routine", "empty"]:
        assert cached_plan(slug) is None
        assert cache.get(plan_key(slug)) is None
    assert cached_plan("practice").routine == practice
    assert cache.get(plan_key("practice")) is not None


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


# Entries carry the code's version


def test_a_plan_cached_by_other_code_is_not_read(
    monkeypatch, practice, django_assert_num_queries
):
    monkeypatch.setattr(catalogue_cache, "CODE_VERSION", "before-the-deploy")
    cached_plan("practice")
    with django_assert_num_queries(0):
        cached_plan("practice")

    monkeypatch.setattr(catalogue_cache, "CODE_VERSION", "after-the-deploy")
    with django_assert_num_queries(3):
        plan = cached_plan("practice")

    assert [step.exercise.name for step in plan.steps] == [
        "Knee rocks",
        "Bridge",
        "Leg stretch",
        "Walk",
    ]


def test_a_page_cached_by_other_code_is_not_served(
    client, monkeypatch, practice, django_assert_num_queries
):
    monkeypatch.setattr(catalogue_cache, "CODE_VERSION", "before-the-deploy")
    kept = client.get("/routines/practice/").content
    with django_assert_num_queries(0):
        assert client.get("/routines/practice/").content == kept

    monkeypatch.setattr(catalogue_cache, "CODE_VERSION", "after-the-deploy")
    with django_assert_num_queries(4):
        assert client.get("/routines/practice/").content == kept


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
    # What a deploy copies: the project's apps, its templates and static files.
    for folder in ("accounts", "exercises", "backcare_site", "templates", "static"):
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
    ):
        path = tmp_path / changed
        path.write_text(path.read_text() + "\n")
        versions.append(code_version_of(tmp_path))

    assert len(set(versions)) == len(versions)


def test_a_process_remembers_a_page_s_parts_no_longer_than_the_cache_keeps_them(
    practice, settings, monkeypatch
):
    # A change made without catalogue_changed() (a shell, loaddata) shows once
    # the shared cache's entries expire; the process's memory must not outlive
    # them.
    settings.CATALOGUE_CACHE_SECONDS = 60
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    assert catalogue_cache.cached_routine_page("practice").title == practice.title
    RoutineFactory._meta.model.objects.filter(pk=practice.pk).update(title="Renamed")
    cache.delete(catalogue_cache.entry_key("routine-page", "practice"))  # expired

    now[0] += 59
    assert catalogue_cache.cached_routine_page("practice").title == practice.title
    now[0] += 2
    assert catalogue_cache.cached_routine_page("practice").title == "Renamed"


def test_with_the_cache_unreachable_a_change_shows_at_once(practice, monkeypatch):
    # Found by tests/test_outages.py: with Redis down the version reads None,
    # and parts remembered under None were served after an editor's change.
    monkeypatch.setattr(cache, "get", lambda key, default=None: default)
    monkeypatch.setattr(cache, "get_many", lambda keys: {})
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)
    assert catalogue_cache.cached_routine_page("practice").title == practice.title

    RoutineFactory._meta.model.objects.filter(pk=practice.pk).update(title="Renamed")

    assert catalogue_cache.cached_routine_page("practice").title == "Renamed"
