"""What the catalogue's pages read of a person, named by a setting (the catalogue imports nothing of accounts)."""

from .models import CompletedSession


def last_routine_id(user):
    """
    The pk of the routine of ``user``'s most recent completed session whose
    routine is still in the catalogue, or None when there is none. The home
    page offers it as their next routine (settings.LAST_ROUTINE). One query
    along the index of their sessions by start, however long their history.
    """
    return (
        CompletedSession.objects.for_user(user)
        .filter(routine__isnull=False)
        .newest_first()
        .values_list("routine", flat=True)
        .first()
    )
