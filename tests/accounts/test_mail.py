"""Mail leaves after the response: a known address answers as fast as an unknown one."""

import os
import statistics
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client

import backcare_site.settings
from tests.factories import UserFactory
from tests.helpers import wait_for_mail


@pytest.mark.skipif(
    "DJANGO_EMAIL_HOST" in os.environ or "DJANGO_EMAIL_BACKEND" in os.environ,
    reason="the environment chooses another mail backend",
)
def test_password_reset_mails_go_to_the_console_by_default():
    # pytest-django swaps in the locmem backend; the setting itself is the console.
    assert (
        backcare_site.settings.EMAIL_BACKEND
        == "django.core.mail.backends.console.EmailBackend"
    )


class SlowBackend(EmailBackend):
    """An SMTP server that takes its time."""

    def send_messages(self, messages):
        time.sleep(0.2)
        return super().send_messages(messages)


@pytest.fixture
def slow_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    settings.RESET_MAILS_PER_EMAIL = 100
    settings.RESET_MAILS_PER_ADDRESS = 100


def timed(client, email):
    started = time.perf_counter()
    response = client.post("/accounts/password_reset/", {"email": email})
    assert response.status_code == 302
    return time.perf_counter() - started


def test_a_known_address_answers_as_fast_as_an_unknown_one(db, slow_mail):
    UserFactory(username="kim", email="kim@example.com")
    client = Client()
    timed(client, "warm@example.com")

    known = statistics.median(timed(client, "kim@example.com") for _ in range(7))
    unknown = statistics.median(timed(client, "nobody@example.com") for _ in range(7))
    wait_for_mail()

    # The mail takes 0.2 s to send; the answer does not wait for it.
    assert known < 0.1, f"known {known * 1000:.1f} ms"
    assert abs(known - unknown) < 0.05, (
        f"known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms"
    )
    assert len(mail.outbox) == 7
