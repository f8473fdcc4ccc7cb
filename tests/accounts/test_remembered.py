"""
A browser's session and a signed-in person's row and figures from the
process's memory, kept until word that they changed
(backcare_site/changes.py): with the shared Redis cache only, where every
process hears of every change.
"""

import time

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import (
    ProgressTotal,
    User,
    person_topic,
    reading_who_is_signed_in,
    row_values,
)
from accounts.sessions.cached_db import SessionStore
from tests.factories import UserFactory
from tests.servers import needs_shared_cache

pytestmark = needs_shared_cache


def signed_in_person(pk):
    with reading_who_is_signed_in():
        return User.objects.get(pk=pk)


def test_who_is_signed_in_is_read_once_then_until_they_change(db):
    person = UserFactory(username="noor_haddad", weekly_target=3)

    with CaptureQueriesContext(connection) as first:
        assert signed_in_person(person.pk).weekly_target == 3
    with CaptureQueriesContext(connection) as again:
        assert signed_in_person(person.pk).weekly_target == 3
    assert (len(first), len(again)) == (1, 0)

    person.weekly_target = 5
    person.save()

    with CaptureQueriesContext(connection) as after:
        assert signed_in_person(person.pk).weekly_target == 5
    assert len(after) == 1


def test_each_request_gets_its_own_instance(db):
    person = UserFactory(username="noor_haddad")
    first = signed_in_person(person.pk)
    first.weekly_target = 9  # a view changing its copy, not saved

    assert signed_in_person(person.pk) is not first
    assert signed_in_person(person.pk).weekly_target == person.weekly_target


def test_other_reads_of_a_person_always_ask_the_database(db):
    person = UserFactory(username="noor_haddad")
    signed_in_person(person.pk)

    with CaptureQueriesContext(connection) as reads:
        User.objects.get(pk=person.pk)
        User.objects.get(pk=person.pk)
    assert len(reads) == 2


def test_a_deleted_person_is_not_found_from_memory(db):
    person = UserFactory(username="noor_haddad")
    signed_in_person(person.pk)

    person.delete()

    with pytest.raises(User.DoesNotExist):
        signed_in_person(person.pk)


def test_a_row_kept_during_the_writers_transaction_is_dropped_at_its_commit(
    transactional_db,
):
    # Another process may read the row between the save's word and the commit
    # (the change is not visible to it yet) and keep the old values: the word
    # sent at the commit drops them.
    person = UserFactory(username="noor_haddad", weekly_target=3)
    old = row_values(User.objects, "id", person.pk)
    topic = person_topic(person.pk)
    with transaction.atomic():
        person.weekly_target = 4
        person.save()
        cache.changes.memo(topic)["row"] = (old, time.monotonic())
        assert signed_in_person(person.pk).weekly_target == 3  # kept, stale

    assert signed_in_person(person.pk).weekly_target == 4


def test_a_persons_figures_are_read_again_after_each_change(db, practice):
    person = UserFactory(username="noor_haddad")
    services.totals_rebuild(user=person)
    kept = ProgressTotal.objects.of(person.pk, from_memory=True)
    with CaptureQueriesContext(connection) as again:
        assert ProgressTotal.objects.of(person.pk, from_memory=True).version == (
            kept.version
        )
    assert len(again) == 0

    services.doctor_clearance_record(user=person)  # a bump by update()
    bumped = ProgressTotal.objects.of(person.pk, from_memory=True)
    assert bumped.version == kept.version + 1

    services.totals_rebuild(user=person)  # a save()
    assert ProgressTotal.objects.of(person.pk, from_memory=True).version == (
        kept.version + 2
    )


def test_a_session_is_read_once_then_until_it_is_saved_or_deleted(db, redis_commands):
    browser = SessionStore()
    browser["run"] = {"marks": ["done"]}
    browser.save()
    key = browser.session_key

    first = SessionStore(key).load()
    del redis_commands[:]
    again = SessionStore(key).load()
    assert first == again == {"run": {"marks": ["done"]}}
    assert redis_commands == []

    first["run"]["marks"].append("skipped")  # a request's own copy
    assert SessionStore(key).load() == {"run": {"marks": ["done"]}}

    other_worker = SessionStore(key)
    other_worker["run"] = {"marks": ["done", "done"]}
    other_worker.save()
    assert SessionStore(key).load() == {"run": {"marks": ["done", "done"]}}

    other_worker.delete()
    assert SessionStore(key).load() == {}


def test_deleting_an_account_ends_its_remembered_sessions(db):
    person = UserFactory(username="noor_haddad")
    browser = SessionStore()
    browser["_auth_user_id"] = str(person.pk)
    browser.save()
    assert SessionStore(browser.session_key).load()  # remembered

    services.user_delete(user=person)

    assert SessionStore(browser.session_key).load() == {}
