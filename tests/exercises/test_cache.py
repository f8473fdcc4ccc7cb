"""The shared page cache of the catalogue (exercises/cache.py)."""

from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory

from exercises.cache import cache_public_page, cached_plan


def test_a_visitor_gets_the_routine_page_from_the_cache(
    client, catalogue, django_assert_num_queries
):
    first = client.get("/routines/beginner/")

    with django_assert_num_queries(0):
        second = client.get("/routines/beginner/")

    assert second.status_code == 200
    assert second.content == first.content


def test_a_query_string_is_rendered_afresh_and_never_stored(
    client, catalogue, django_assert_max_num_queries
):
    client.get("/routines/beginner/?utm=1")

    with django_assert_max_num_queries(4) as again:
        response = client.get("/routines/beginner/?utm=1")
    with django_assert_max_num_queries(4) as plain:
        client.get("/routines/beginner/")

    assert response.status_code == 200
    assert len(again) > 0
    assert len(plain) > 0  # the query strings did not fill the page's entry


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


def test_an_unknown_routine_leaves_nothing_in_the_cache(catalogue):
    assert cached_plan("no-such-routine") is None

    assert cache.get("catalogue:plan:no-such-routine") is None
    assert cached_plan("beginner")
