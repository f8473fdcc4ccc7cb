import io

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command


def pytest_configure(config):
    # The manifest storage needs `collectstatic`; tests read the source files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture
def catalogue(db):
    """The seed catalogue, loaded the way `make run` loads it."""
    call_command("load_catalogue", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: pages cached by another test are stale."""
    cache.clear()
    yield
    cache.clear()
