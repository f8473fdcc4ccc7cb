"""{% url %} answered from memory (backcare_site/template_builtins.py)."""

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, set_script_prefix

from backcare_site.template_builtins import remembered_reverse


def render(source, **context):
    return Template(source).render(Context(context))


def test_url_needs_no_load_and_answers_as_django_s_own():
    assert render("{% url 'exercises:about' %}") == "/about/"
    assert (
        render("{% url 'exercises:guide_step' slug=s number=n %}", s="practice", n=3)
        == "/routines/practice/guide/3/"
    )
    assert render("{% url 'exercises:routine' s as link %}[{{ link }}]", s="x") == (
        "[/routines/x/]"
    )


def test_a_remembered_url_follows_the_script_prefix():
    before = render("{% url 'exercises:about' %}")
    set_script_prefix("/backcare/")
    try:
        assert render("{% url 'exercises:about' %}") == "/backcare/about/"
    finally:
        set_script_prefix("/")
    assert render("{% url 'exercises:about' %}") == before


def test_a_url_is_reversed_once_for_the_same_arguments():
    remembered_reverse.cache_clear()
    for n in (1, 2, 1, 2, 1):
        render("{% url 'exercises:guide_step' slug='practice' number=n %}", n=n)

    assert remembered_reverse.cache_info().misses == 2
    assert remembered_reverse.cache_info().hits == 3


def test_an_unknown_url_still_fails_unless_kept_as_a_variable():
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-view' %}")
    assert render("{% url 'no-such-view' as link %}[{{ link }}]") == "[]"


def test_arguments_other_than_strings_and_numbers_are_not_remembered():
    remembered_reverse.cache_clear()

    class Slug:
        def __str__(self):
            return "practice"

    assert render("{% url 'exercises:routine' s %}", s=Slug()) == "/routines/practice/"
    assert remembered_reverse.cache_info().currsize == 0


def test_true_is_not_remembered_as_1():
    url = "{% url 'exercises:guide_step' slug='practice' number=n %}"
    assert render(url, n=1) == "/routines/practice/guide/1/"

    with pytest.raises(NoReverseMatch):  # as Django's own: "True" is no number
        render(url, n=True)
