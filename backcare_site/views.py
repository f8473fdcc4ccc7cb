import sys

from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.cache import cache
from django.db import DatabaseError
from django.http import Http404, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from backcare_site.db import database_answers


@never_cache
@require_safe
def livez(request):
    """The process answers; touches nothing else (the benchmark's ceiling too)."""
    return HttpResponse("ok\n", content_type="text/plain")


def cache_state():
    """“ok” or “down” for a shared cache; “local” for a per-process one."""
    ping = getattr(cache, "ping", None)
    if ping is None:
        return "local"
    return "ok" if ping() else "down"


@never_cache
@require_safe
def healthz(request):
    """
    200 when the database answers a query, 503 when it does not, within 2 s
    even when it hangs (``database_answers``: a fresh connection, checked in
    a thread of its own). The body says which part is down: with only the
    cache down the site still serves (slower), so the answer stays 200 and
    says ``cache: down``.
    """
    if database_answers():
        database, status = "ok", 200
    else:
        database, status = "down", 503
    summary = "ok" if status == 200 else "database unavailable"
    body = f"{summary}\ndatabase: {database}\ncache: {cache_state()}\n"
    return HttpResponse(body, status=status, content_type="text/plain")


def view_on_site(request, content_type_id, object_id):
    """
    The admin's “View on site”, for catalogue rows only. For a person's
    session it would answer a redirect or a 404, telling staff whether a
    session with that id exists.
    """
    kind = ContentType.objects.filter(pk=content_type_id).first()
    if kind is None or kind.app_label != "exercises":
        raise Http404("Nothing to view on the site.")
    return shortcut(request, content_type_id, object_id)


def server_error(request):
    """The 500 handler; a database that cannot be reached answers 503 instead."""
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        body = loader.render_to_string("503.html")
        return HttpResponse(body, status=503, headers={"Retry-After": "30"})
    return HttpResponseServerError(loader.render_to_string("500.html"))
