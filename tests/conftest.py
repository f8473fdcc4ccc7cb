import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command

from exercises.models import Contraindication
from tests.factories import UserFactory, routine_of_every_kind


def pytest_collection_modifyitems(config, items):
    """Every test under tests/browser/ drives Chromium: `-m "not browser"` skips them."""
    for item in items:
        if "browser" in item.path.parent.parts[-1:]:
            item.add_marker(pytest.mark.browser)


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
def practice(db):
    """A routine built by factories: a counted, a held, an each-side and a timed
    step, an avoid-warning on the each-side step and a consult-warning on the
    routine. Tests of behaviour use it; only tests of the seed's content load
    the catalogue."""
    return routine_of_every_kind()


@pytest.fixture
def avoid_warning(practice):
    """The practice routine's avoid-warning, on its each-side step 3."""
    return Contraindication.objects.get(slug="sciatica")


@pytest.fixture
def consult_warning(practice):
    """The practice routine's consult-a-doctor warning, on the whole routine."""
    return Contraindication.objects.get(slug="recent-surgery")


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


@pytest.fixture
def content_editor(db):
    """An editor as the site has them: the catalogue, and nothing of people."""
    editor = UserFactory(username="editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Content editors"))
    return editor


@pytest.fixture
def content_editor_client(client, content_editor):
    client.force_login(content_editor)
    return client


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: pages cached by another test are stale."""
    cache.clear()
    yield
    cache.clear()
