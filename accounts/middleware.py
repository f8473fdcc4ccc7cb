from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from exercises.cache import CODE_VERSION, current, keep
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
    key = f"screening:{CODE_VERSION}:{user.pk}"
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


class ScreeningMiddleware:
    """Sets ``request.screening``, read lazily: only pages that use it query it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.screening = SimpleLazyObject(lambda: screening_of(request.user))
        return self.get_response(request)


def in_their_time_zone(user):
    """
    ``user``, once read (from this process's memory when it has word of
    every change, ``User.objects.get``), with their time zone made the
    active one.
    """
    with reading_who_is_signed_in():
        signed_in = user.is_authenticated
    if signed_in:
        timezone.activate(user.zone)
    return user


class TimeZoneMiddleware:
    """
    Shows and counts a signed-in person's dates in their own time zone.

    The zone becomes active when the request first asks who the person is,
    as every page with a person's records does before reading them (and the
    menu of every page does): this reads no session and no user that the
    page would not have read, so a health check stays off the database. For
    everyone else, and after the request, the site's zone. A streamed
    response is written after this returns, so the exports name the
    person's zone themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user  # AuthenticationMiddleware's, not read yet
        request.user = SimpleLazyObject(lambda: in_their_time_zone(user))
        # Every request ends in the site's zone, so the next one on this
        # thread starts in it (cheaper than timezone.override's save and
        # restore around each request).
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
