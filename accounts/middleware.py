from functools import partial

from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.middleware import auser, get_user
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from exercises import cache as catalogue_cache
from exercises.cache import current, keep
from exercises.models import RED_FLAGS, Contraindication
from exercises.screening import UNSCREENED, Screening

from .models import reading_who_is_signed_in


def screening_of(user):
    """
    The person's ``Screening``, from the shared cache when it is still theirs:
    kept under their id with what changes it (the time they last answered,
    the day a doctor cleared them) for the catalogue's version (a retired
    warning's answers stop counting).
    """
    if not user.is_authenticated:
        return UNSCREENED
    key = f"screening:{catalogue_cache.CODE_VERSION}:{user.pk}"
    stamp = (user.screening_answered_at, user.doctor_cleared_on)
    version, kept = current(key, remember=True)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    screening = screening_read(user)
    keep(key, version, (stamp, screening), remember=True)
    return screening


def screening_read(user):
    # A retired warning's answers are kept, but no longer count. Which answers
    # apply is one light query (no instances); only the red flags, shown in
    # full and rare, cost a second.
    answers = list(user.conditions.active().values_list("pk", "severity"))
    red_flags = [pk for pk, severity in answers if severity in RED_FLAGS]
    return Screening(
        signed_in=True,
        answered=user.screening_answered_at is not None,
        applies=frozenset(pk for pk, _ in answers),
        red_flags=tuple(Contraindication.objects.filter(pk__in=red_flags).by_severity())
        if red_flags
        else (),
        doctor_cleared_on=user.doctor_cleared_on,
    )


def signed_in_person(request):
    """
    Who is signed in on ``request`` (Django's ``get_user``, read once; the
    person's row from this process's memory when it has word of every
    change), with their time zone made the active one.
    """
    with reading_who_is_signed_in(request.session):
        user = get_user(request)
    if user.is_authenticated:
        timezone.activate(user.zone)
    return user


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """
    Django's, and what the site hands each request about the person, in one
    step: ``request.user`` (and ``auser``) as Django's, read when first
    asked; once read, a signed-in person's time zone made the active one, so
    their dates show and count in it, until the request ends; and
    ``request.screening``, read when first asked.

    Nothing is read that the page does not ask for: a health check stays off
    the session and the database. Every page with a person's records asks
    who they are before reading them (and so does the menu of every page).
    For everyone else, and after the request, the site's zone. A streamed
    response is written after this returns, so the exports name the person's
    zone themselves.

    One middleware, not three (Django's, the screening's, the zone's): each
    layer costs every request, /livez included (`make bench --middleware`).
    """

    async_capable = False  # the site is served over WSGI

    def __call__(self, request):
        if not hasattr(request, "session"):  # as Django's middleware checks
            raise ImproperlyConfigured(
                "The authentication middleware needs SessionMiddleware before it "
                "in MIDDLEWARE."
            )
        request.user = SimpleLazyObject(lambda: signed_in_person(request))
        request.auser = partial(auser, request)
        request.screening = SimpleLazyObject(lambda: screening_of(request.user))
        try:
            return self.get_response(request)
        finally:
            # The next request on this thread starts in the site's zone, even
            # after one that set a zone some other way.
            timezone.deactivate()
