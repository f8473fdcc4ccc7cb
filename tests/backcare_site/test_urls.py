"""The site's URLs (backcare_site/urls.py), wherever they are mounted."""

import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import reverse


@pytest.mark.parametrize(
    "render",
    [
        pytest.param(
            lambda client, path: client.get(path).content.decode(), id="a request"
        ),
        # As an e-mail or a management command renders one: outside a request.
        pytest.param(
            lambda client, path: render_to_string("exercises/about.html"),
            id="outside a request",
        ),
    ],
)
def test_a_page_links_to_where_the_site_is_mounted(client, db, render):
    assert 'href="/about/"' in render(client, "/about/")

    with override_settings(ROOT_URLCONF="tests.mounted_urls"):
        assert reverse("exercises:about") == "/backcare/about/"
        page = render(client, "/backcare/about/")

    assert 'href="/backcare/about/"' in page
    assert 'href="/about/"' not in page
