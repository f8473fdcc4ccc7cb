"""Guessing passwords and flooding mail: limits per client address and email."""

from datetime import timedelta

from axes.models import AccessAttempt
from django.core import mail
from django.db.models import F
from django.test import Client

from tests.factories import PASSWORD, UserFactory
from tests.helpers import html, is_signed_in, wait_for_mail

ATTACKER = "203.0.113.66"
NEIGHBOUR = "198.51.100.9"
ADDRESS_WIDE = "too many failed log-ins from your network address"


def log_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_one_address_guessing_across_usernames_is_stopped(db, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 30
    people = [UserFactory(username=f"person{n:02}") for n in range(25)]
    attacker = Client(REMOTE_ADDR=ATTACKER)

    statuses = [
        log_in(attacker, person.username, f"guess {guess}").status_code
        for guess in range(4)  # four each: below the per-username lock of five
        for person in people
    ]

    assert statuses[:30] == [400] * 30
    assert statuses[30:] == [429] * 70
    refused = log_in(attacker, people[0].username, PASSWORD)
    assert refused.status_code == 429
    assert ADDRESS_WIDE in refused.content.decode()
    assert attacker.get("/progress/").status_code == 302
    # Another address is not locked out by it.
    neighbour = Client(REMOTE_ADDR=NEIGHBOUR)
    assert log_in(neighbour, people[0].username, PASSWORD).status_code == 302


def test_a_few_typos_from_one_address_lock_nothing(db, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 30
    UserFactory(username="casey")
    client = Client(REMOTE_ADDR=NEIGHBOUR)

    for _ in range(3):
        assert log_in(client, "casey", "wrong").status_code == 400

    assert log_in(client, "casey", PASSWORD).status_code == 302


def reset(client, email):
    return client.post("/accounts/password_reset/", {"email": email})


def test_reset_mails_to_one_address_are_limited_and_answered_alike(db, settings):
    settings.RESET_MAILS_PER_EMAIL = 3
    UserFactory(username="robin", email="robin@example.com")
    clients = [Client(REMOTE_ADDR=f"192.0.2.{n}") for n in range(10)]

    responses = [reset(client, "robin@example.com") for client in clients]
    wait_for_mail()

    assert {(r.status_code, r.url) for r in responses} == {
        (302, "/accounts/password_reset/done/")
    }
    assert len(mail.outbox) == 3
    assert {message.to[0] for message in mail.outbox} == {"robin@example.com"}


def test_reset_mails_from_one_client_address_are_limited(db, settings):
    settings.RESET_MAILS_PER_ADDRESS = 5
    for n in range(10):
        UserFactory(username=f"reader{n}", email=f"reader{n}@example.com")
    client = Client(REMOTE_ADDR=ATTACKER)

    responses = [reset(client, f"reader{n}@example.com") for n in range(10)]
    wait_for_mail()

    assert {r.status_code for r in responses} == {302}
    assert len(mail.outbox) == 5
    # Someone else, elsewhere, still gets their mail.
    reset(Client(REMOTE_ADDR=NEIGHBOUR), "reader9@example.com")
    wait_for_mail()
    assert len(mail.outbox) == 6


def test_behind_a_proxy_each_client_is_counted_by_its_own_address(db, settings):
    # What DJANGO_PROXY_COUNT=1 sets (backcare_site/settings.py).
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 0
    UserFactory(username="casey")
    # Both come through nginx on 127.0.0.1; X-Forwarded-For tells them apart.
    attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=ATTACKER)
    neighbour = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=NEIGHBOUR)

    for n in range(6):
        log_in(attacker, f"someone{n}", "guess")

    assert log_in(attacker, "casey", PASSWORD).status_code == 429
    assert log_in(neighbour, "casey", PASSWORD).status_code == 302


def test_without_a_proxy_a_forged_forwarded_for_changes_nothing(db, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    UserFactory(username="casey")

    for n in range(6):
        forger = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"8.8.8.{n}")
        log_in(forger, f"someone{n}", "guess")

    forger = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="9.9.9.9")
    assert log_in(forger, "casey", PASSWORD).status_code == 429


# One username from one address: django-axes locks it for 15 minutes


LOCKED = "Too many failed log-ins"


def fail_five_times(client, username):
    responses = [log_in(client, username, "not the password") for _ in range(5)]
    # Four failures show the form again; the fifth locks the account.
    assert [r.status_code for r in responses] == [400, 400, 400, 400, 429]
    return responses[-1]


def test_five_failed_log_ins_lock_the_username_from_that_address(client, user):
    fail_five_times(client, "alex")

    response = log_in(client, "alex", PASSWORD)

    assert response.status_code == 429
    assert LOCKED in html(response)
    assert "locked for 15 minutes" in html(response)
    assert not is_signed_in(client)
    assert client.get("/progress/").status_code == 302


def test_a_lock_holds_one_username_at_one_address_only(client, user, other_user):
    fail_five_times(client, "alex")

    # Another username from the same address signs in.
    other = log_in(client, "sam", PASSWORD)
    assert other.status_code == 302
    assert other.url == "/progress/"
    # The same username from another address signs in too.
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert log_in(elsewhere, "alex", PASSWORD).status_code == 302
    assert is_signed_in(elsewhere)


def age_attempts(minutes):
    """Move django-axes' record of the failures back in time."""
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - timedelta(minutes=minutes)
    )


def test_a_lock_holds_for_fifteen_minutes(client, user):
    fail_five_times(client, "alex")

    age_attempts(14)

    assert log_in(client, "alex", PASSWORD).status_code == 429
    assert not is_signed_in(client)


def test_a_lock_ends_after_fifteen_minutes(client, user):
    fail_five_times(client, "alex")

    age_attempts(16)
    response = log_in(client, "alex", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_trying_again_while_locked_does_not_extend_the_lock(client, user):
    fail_five_times(client, "alex")
    age_attempts(14)
    assert log_in(client, "alex", PASSWORD).status_code == 429

    # Fifteen minutes after the fifth failure, as the lockout page says.
    age_attempts(2)
    response = log_in(client, "alex", PASSWORD)

    assert response.status_code == 302
