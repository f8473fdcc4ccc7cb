from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from exercises.cache import catalogue_version, kept_value
from exercises.models import RED_FLAGS, Contraindication
from exercises.screening import UNSCREENED, Screening


def screening_of(user):
    """
    The person's ``Screening``: what they answered, as it counts today. Kept
    under their id, by what changes it: when they last answered, when a
    doctor cleared them, and the catalogue (a retired warning's answers stop
    counting).
    """
    if not user.is_authenticated:
        return UNSCREENED
    stamp = (
        user.screening_answered_at,
        user.doctor_cleared_on,
        catalogue_version(),
    )
    return kept_value("screening", "", stamp, lambda: screening_read(user), who=user.pk)


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


def in_their_zone(user):
    """``user``, once read, with a signed-in person's time zone made the active one."""
    if user.is_authenticated:
        timezone.activate(user.zone)
    return user


class PersonMiddleware:
    """
    After Django's ``AuthenticationMiddleware``: once ``request.user`` is read,
    a signed-in person's time zone is the active one until the request ends,
    so their dates show and count in it; ``request.screening`` is their
    screening answers, read when first asked. Nothing is read that the page
    does not ask for (a health check stays off the session and the database).
    For everyone else, and after the request, the site's zone. A streamed
    response is written after this returns, so the exports name the person's
    zone themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user  # Django's, read when first asked
        request.user = SimpleLazyObject(lambda: in_their_zone(user))
        request.screening = SimpleLazyObject(lambda: screening_of(request.user))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
