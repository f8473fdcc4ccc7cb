from django.utils.functional import SimpleLazyObject

from exercises.screening import UNSCREENED, Screening


def screening_of(user):
    if not user.is_authenticated:
        return UNSCREENED
    return Screening(
        signed_in=True,
        answered=user.screening_answered_at is not None,
        applies=frozenset(user.conditions.values_list("pk", flat=True)),
        doctor_cleared_on=user.doctor_cleared_on,
    )


class ScreeningMiddleware:
    """Sets ``request.screening``, read lazily: only pages that use it query it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.screening = SimpleLazyObject(lambda: screening_of(request.user))
        return self.get_response(request)
