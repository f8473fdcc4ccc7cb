"""
What the middleware hands each request: Django's ``AuthenticationMiddleware``
the person, then ``PersonMiddleware`` their time zone and screening answers.
"""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from accounts import services
from accounts.middleware import PersonMiddleware, screening_of
from exercises.cache import catalogue_changed
from exercises.screening import UNSCREENED, Screening
from tests.factories import UserFactory, urgent_flag


def test_a_visitor_is_unscreened():
    assert screening_of(AnonymousUser()) is UNSCREENED
    assert UNSCREENED.signed_in is False
    assert UNSCREENED.applies == frozenset()


def test_a_persons_screening_reflects_their_answers(
    user, avoid_warning, consult_warning
):
    assert screening_of(user) == Screening(signed_in=True)
    flag = urgent_flag()

    services.screening_update(
        user=user, conditions=[consult_warning, avoid_warning, flag]
    )
    services.doctor_clearance_record(user=user)
    user.refresh_from_db()

    screening = screening_of(user)
    assert screening.signed_in is True
    assert screening.answered is True
    assert screening.applies == {avoid_warning.pk, consult_warning.pk, flag.pk}
    assert screening.red_flags == (flag,)
    assert screening.doctor_cleared_on == timezone.localdate()


def test_a_retired_warnings_answer_no_longer_counts(user, avoid_warning):
    services.screening_update(user=user, conditions=[avoid_warning])
    assert screening_of(user).applies == {avoid_warning.pk}

    with transaction.atomic():
        avoid_warning.retired = True
        avoid_warning.save()
        catalogue_changed()  # as the admin does on saving it

    assert screening_of(user).applies == frozenset()
    assert list(user.conditions.all()) == [avoid_warning]


def never_read():
    raise AssertionError("the person was read")


def test_a_persons_screening_is_read_afresh_each_time(
    user, avoid_warning, consult_warning
):
    services.screening_update(user=user, conditions=[avoid_warning])
    user.refresh_from_db()
    assert screening_of(user).applies == {avoid_warning.pk}

    # New answers, and a doctor's clearance, each show at once.
    services.screening_update(user=user, conditions=[consult_warning])
    assert screening_of(user).applies == {consult_warning.pk}
    services.doctor_clearance_record(user=user)
    user.refresh_from_db()
    assert screening_of(user).doctor_cleared_on == timezone.localdate()


def test_each_persons_screening_is_their_own(user, other_user, avoid_warning):
    services.screening_update(user=user, conditions=[avoid_warning])
    services.screening_update(user=other_user, conditions=[])
    user.refresh_from_db()
    other_user.refresh_from_db()

    for _ in range(2):
        assert screening_of(user).applies == {avoid_warning.pk}
        assert screening_of(other_user).applies == frozenset()


def test_a_request_without_a_session_cookie_reads_no_one():
    request = RequestFactory().get("/livez")
    request.user = SimpleLazyObject(never_read)
    seen = {}

    def page(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse("ok")

    response = PersonMiddleware(page)(request)

    assert response.status_code == 200
    assert seen["zone"] == settings.TIME_ZONE


def signed_in_request(person):
    """A request as Django's AuthenticationMiddleware hands it on."""
    request = RequestFactory().get("/progress/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "their-session"
    request.user = person
    return request


def test_the_persons_zone_and_screening_last_for_the_request_only(db, avoid_warning):
    person = UserFactory(time_zone="America/Los_Angeles")
    services.screening_update(user=person, conditions=[avoid_warning])
    person.refresh_from_db()
    seen = {}

    def page(request):
        # Every page of a person's asks who they are before showing a date.
        assert request.user.is_authenticated
        seen["zone"] = timezone.get_current_timezone_name()
        moment = datetime(2026, 11, 27, 6, 30, tzinfo=UTC)
        seen["local"] = timezone.localtime(moment).strftime("%a %H:%M")
        seen["screening"] = request.screening.applies
        return HttpResponse("ok")

    PersonMiddleware(page)(signed_in_request(person))

    assert seen == {
        "zone": "America/Los_Angeles",
        "local": "Thu 22:30",
        "screening": {avoid_warning.pk},
    }
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_the_screening_is_read_only_when_asked(db, django_assert_num_queries):
    person = UserFactory()

    with django_assert_num_queries(0):
        response = PersonMiddleware(lambda request: HttpResponse("ok"))(
            signed_in_request(person)
        )

    assert response.status_code == 200


def test_the_time_zone_lasts_for_the_request_only(client, db):
    client.force_login(UserFactory(time_zone="America/Los_Angeles"))

    assert client.get("/progress/").status_code == 200

    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_without_the_session_middleware_the_site_says_so():
    request = RequestFactory().get("/")

    with pytest.raises(ImproperlyConfigured, match="SessionMiddleware"):
        AuthenticationMiddleware(lambda request: HttpResponse("ok"))(request)


def test_the_layers_run_in_the_order_the_kept_pages_need():
    order = settings.MIDDLEWARE.index
    kept = order("exercises.cache.KeptPageMiddleware")
    # A visitor's kept page is answered before any layer that reads or sets
    # a session, a CSRF cookie, a person or a message…
    for later in (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ):
        assert kept < order(later), later
    # …and django-csp's: a kept page keeps the policy it was made with
    # (tests/test_csp.py); after the one that redirects to HTTPS.
    assert kept < order("csp.middleware.CSPMiddleware")
    assert order("django.middleware.security.SecurityMiddleware") < kept
    # The person's zone and screening, once Django has read who they are.
    assert order("django.contrib.auth.middleware.AuthenticationMiddleware") < order(
        "accounts.middleware.PersonMiddleware"
    )
