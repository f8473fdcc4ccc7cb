from django.conf import settings
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from exercises.models import RED_FLAGS, Contraindication
from exercises.screening import UNSCREENED, Screening


def screening_of(user):
    """The person's ``Screening``: what they answered, as it counts today."""
    if not user.is_authenticated:
        return UNSCREENED
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


class PersonMiddleware:
    """
    After Django's ``AuthenticationMiddleware``: a signed-in person's time
    zone is the active one until the request ends, so their dates show and
    count in it, and ``request.screening`` is their screening answers, read
    when first asked. For everyone else, and after the request, the site's
    zone. A streamed response is written after this returns, so the exports
    name the person's zone themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.screening = SimpleLazyObject(lambda: screening_of(request.user))
        # Without a session cookie no one is signed in: the session is left
        # untouched (no ``Vary: Cookie`` on a visitor's page).
        if settings.SESSION_COOKIE_NAME in request.COOKIES and (
            request.user.is_authenticated
        ):
            timezone.activate(request.user.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
