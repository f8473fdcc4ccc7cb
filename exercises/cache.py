"""
The catalogue's public pages from Django's cache.

The catalogue changes only when an editor saves, so a public page is kept in
the shared cache together with the catalogue's version at the time; every
change sets a new version, and the next request on any worker sees that the
entry is older and renders afresh. The version and the entry are read in one
round trip. Only requests that carry nothing personal (no session, no pending
message) and no query string get or fill the cache; everyone else gets the
page rendered for them. Keying on the path alone keeps the cache to one entry
per page: invented query strings cannot fill it.
"""

import hashlib
import uuid
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse

VERSION_KEY = "catalogue:version"
PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")


def catalogue_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def catalogue_changed():
    """Call after any change to the catalogue; runs once the transaction commits."""
    transaction.on_commit(
        lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    )


def is_impersonal(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.GET
        and not any(name in request.COOKIES for name in PERSONAL_COOKIES)
    )


def page_key(request):
    path = hashlib.blake2b(request.path.encode(), digest_size=16).hexdigest()
    return f"catalogue:page:{path}"


def current(key):
    """
    (version, value) where value is the entry kept under ``key`` for the
    catalogue's current version, or None when there is none or it is older.
    """
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY) or catalogue_version()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return version, entry[1]
    return version, None


def keep(key, version, value):
    """Keep ``value`` under ``key`` for ``version`` (read before it was built)."""
    cache.set(key, (version, value), settings.CATALOGUE_CACHE_SECONDS)


def cache_public_page(view):
    """Serve a catalogue page from the shared cache to visitors with nothing personal."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_impersonal(request):
            return view(request, *args, **kwargs)
        key = page_key(request)
        version, cached = current(key)
        if cached is not None:
            content, content_type = cached
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()
        # A page that sets a cookie (a session) or holds a CSRF token (its
        # cookie is set later, by the middleware) is someone's own.
        personal = response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        if response.status_code == 200 and not personal:
            keep(key, version, (response.content, response["Content-Type"]))
        return response

    return wrapped


def cached_plan(slug):
    """
    A routine's ``RoutinePlan`` from the shared cache, or None when it has no
    steps: the guide's pages need no catalogue query once warm, and three cold.
    """
    from .guide import RoutinePlan
    from .models import Contraindication, RoutineStep, active_warnings

    key = f"catalogue:plan:{slug}"
    version, plan = current(key)
    if plan is None:
        steps = list(
            RoutineStep.objects.in_routine(slug).prefetch_related(
                active_warnings("exercise__contraindications")
            )
        )
        if not steps:  # an unknown slug is not worth an entry
            return None
        warnings = Contraindication.objects.for_guide(steps[0].routine)
        plan = RoutinePlan(
            steps=steps,
            own_warnings=[w for w in warnings if w.guards_routine],
            red_flags=[w for w in warnings if w.is_red_flag],
        )
        keep(key, version, plan)
    return plan
