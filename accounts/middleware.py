from django.utils.functional import SimpleLazyObject

from exercises.screening import UNSCREENED, Screening


def screening_of(user):
    if not user.is_authenticated:
        return UNSCREENED
    # A retired warning's answers are kept, but no longer count.
    answers = sorted(user.conditions.active(), key=lambda c: c.severity_rank)
    return Screening(
        signed_in=True,
        answered=user.screening_answered_at is not None,
        applies=frozenset(warning.pk for warning in answers),
        red_flags=tuple(warning for warning in answers if warning.is_red_flag),
        doctor_cleared_on=user.doctor_cleared_on,
    )


class ScreeningMiddleware:
    """Sets ``request.screening``, read lazily: only pages that use it query it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.screening = SimpleLazyObject(lambda: screening_of(request.user))
        return self.get_response(request)
