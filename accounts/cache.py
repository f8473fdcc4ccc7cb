"""
What a person's progress pages (the dashboard, the history, a session's
page) depend on, for the kept-page layer (``exercises.cache``): the version
of the person's data (``ProgressTotal.version``, one more at each change, in
the transaction that makes it), their date in their time zone, and the
fields of theirs the pages show (username, weekly target, time zone), read
from the user row the request has loaded anyway.
"""

from django.utils import timezone

from exercises.cache import kept_view

from .models import ProgressTotal


def progress_stamp(request):
    """
    The versions of what the person's progress pages show, or None before
    their first session (no figures yet: the page is rendered, not kept).
    The view may use ``request.progress_totals``, the figures as read here.
    """
    user = request.user
    totals = ProgressTotal.objects.filter(pk=user.pk).first()
    if totals is None:
        return None
    request.progress_totals = totals
    return (
        totals.version,
        timezone.localdate().isoformat(),
        user.username,
        user.weekly_target,
        user.time_zone,
        user.plan_stamp,
    )


def kept_progress_page(view=None, *, query=()):
    """A progress page, kept per person (``exercises.cache.kept_view``)."""
    decorate = kept_view(progress_stamp, query=query)
    return decorate(view) if view is not None else decorate
