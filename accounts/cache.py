"""
A person's progress pages from Django's cache.

The dashboard, the history and a session's page change only when the
person's data does, the catalogue does, or the day does. Each page is kept
under a key of the person and the page (its path and the query parameters
it reads), with a stamp of everything it was made from: the version of the
person's data (``ProgressTotal.version``, one more at each change, in the
transaction that makes it), the catalogue's version, the person's date in
their time zone, and the fields of theirs the pages show (username, weekly
target, time zone), read from the user row the request has loaded anyway.
An entry whose stamp is not the request's is not served: a page is never
served to anyone but its person, nor after anything it shows has changed.
The version is read before the page is rendered: a page rendered while
the data changed is kept under the older version, which no later request
asks for. The stamp's parts come from the process's memory until word that
they changed (``backcare_site.changes``), and so does a page the process
has read or made for a stamp: once warm, a kept page reads nothing but the
browser's session.

A kept page holds a placeholder where its forms' CSRF token goes; every
response, kept or fresh, gets the requesting browser's own token (which
also has the CSRF cookie set, as rendering the token would).

Only a signed-in person's GET with no message waiting gets or fills the
cache: a page showing a message is rendered for it.
"""

import hashlib
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from backcare_site.changes import Kept
from exercises import cache as catalogue_cache
from exercises.cache import (
    CSRF_PLACEHOLDER,
    current_version,
    message_waiting,
    with_token,
)

from .models import ProgressTotal

_PLACEHOLDER = CSRF_PLACEHOLDER.encode()
# Pages this process has read or made, by key and stamp: a page of a stamp
# never changes, so a request whose stamp is one of these reads nothing
# from the shared cache but the session (the stamp's parts come from this
# process's memory while it has word of every change). Kept no longer than
# the shared cache keeps them.
_kept = Kept(size=500, seconds=lambda: settings.CATALOGUE_CACHE_SECONDS)


def page_key(request, query):
    """The person's entry for this page: its path and the parameters it reads."""
    params = urlencode(
        [(name, request.GET.get(name)) for name in query if name in request.GET]
    )
    page = hashlib.blake2b(
        f"{request.path}?{params}".encode(), digest_size=16
    ).hexdigest()
    return f"progress:{catalogue_cache.CODE_VERSION}:{request.user.pk}:{page}"


def stamp(user, totals, catalogue):
    return (
        totals.version,
        catalogue,
        timezone.localdate().isoformat(),
        user.username,
        user.weekly_target,
        user.time_zone,
    )


def token_free(content):
    """Whether every form's CSRF token in ``content`` is the placeholder."""
    return content.count(b'name="csrfmiddlewaretoken"') == content.count(_PLACEHOLDER)


def cache_progress_page(view=None, *, query=()):
    """
    Serve a person's progress page from the cache; ``query``, the names of
    the query parameters the page reads (any other makes it rendered, not
    kept). The view renders ``CSRF_PLACEHOLDER`` as the token when
    ``request.progress_page`` is set, and may use ``request.progress_totals``,
    the person's ``ProgressTotal`` as read for the stamp.
    """
    if view is None:
        return lambda view: cache_progress_page(view, query=query)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if (
            request.method not in ("GET", "HEAD")
            or not user.is_authenticated
            or set(request.GET) - set(query)
            or message_waiting(request)
        ):
            return view(request, *args, **kwargs)
        totals = ProgressTotal.objects.of(user.pk, from_memory=True)
        if totals is None:  # made by the first dashboard or session written
            return view(request, *args, **kwargs)
        key = page_key(request, query)
        catalogue = current_version()
        now = stamp(user, totals, catalogue)
        entry = _kept.get((key, now))
        if entry is None:
            entry = cache.get(key)
            if entry is not None and entry[0] == now and catalogue is not None:
                _kept.set((key, now), entry)
        if entry is not None and entry[0] == now:
            _, content, headers = entry
            return HttpResponse(with_token(request, content), headers=headers)
        request.progress_page = True
        request.progress_totals = totals
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()
        # The view's own headers only: the middleware adds theirs to each response.
        if (
            response.status_code == 200
            and not response.cookies
            and token_free(response.content)
        ):
            entry = (now, response.content, dict(response.headers))
            cache.set(key, entry, settings.CATALOGUE_CACHE_SECONDS)
            if catalogue is not None:
                _kept.set((key, now), entry)
        response.content = with_token(request, response.content)
        return response

    return wrapped


def page_context(request):
    """What a kept page's view adds to its context: the token's placeholder."""
    if getattr(request, "progress_page", False):
        return {"csrf_token": CSRF_PLACEHOLDER}
    return {}
