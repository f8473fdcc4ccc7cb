import io

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from tests.factories import UserFactory


def pytest_configure(config):
    # The manifest storage needs `collectstatic`; tests read the source files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    # PBKDF2 costs most of a second a hash; the tests sign up and log in
    # hundreds of times, and the hash's strength is not what they test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def catalogue(db):
    """The seed catalogue, loaded the way `make run` loads it."""
    call_command("load_catalogue", stdout=io.StringIO())


@pytest.fixture
def user(db):
    return UserFactory(username="alex")


@pytest.fixture
def other_user(db):
    return UserFactory(username="sam")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: pages cached by another test are stale."""
    cache.clear()
    yield
    cache.clear()
