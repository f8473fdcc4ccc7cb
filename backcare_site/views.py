import hashlib
import json
import sys
from dataclasses import dataclass
from functools import cache as once
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import DatabaseError
from django.http import Http404, HttpResponse, HttpResponseServerError
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import etag, require_safe
from django.views.i18n import JavaScriptCatalog
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from backcare_site.db import database_answers
from exercises import cache as catalogue_cache


@never_cache
@require_safe
def livez(request):
    """The process answers; touches nothing else."""
    return HttpResponse("ok\n", content_type="text/plain")


def cache_state():
    """“ok” or “down” for Redis; “local” for a per-process cache."""
    if not settings.CACHES["default"]["BACKEND"].startswith("django_redis."):
        return "local"
    try:
        get_redis_connection("default").ping()
    except RedisError:
        return "down"
    return "ok"


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
    up = database_answers()
    summary, database = ("ok", "ok") if up else ("database unavailable", "down")
    body = f"{summary}\ndatabase: {database}\ncache: {cache_state()}\n"
    return HttpResponse(body, status=200 if up else 503, content_type="text/plain")


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


# The installable app (issue 18): manifest, icons and service worker.

THEME_COLOR = "#0a58ca"
BACKGROUND_COLOR = "#ffffff"
# The service worker's source; the view puts this deployment's values first.
WORKER_SOURCE = "js/service-worker.js"
# What the worker keeps on install, beside the offline page: the site's own
# styles, scripts, drawings and icons (not the admin's), and Bootstrap's CSS.
PRECACHED_FOLDERS = ("css", "js", "drawings", "icons")
PRECACHED_PACKAGE_FILES = ("bootstrap/css/bootstrap.min.css",)


def precached_static_files():
    """Names (for ``{% static %}``) of the static files the worker keeps."""
    names = set(PRECACHED_PACKAGE_FILES)
    for root in map(Path, settings.STATICFILES_DIRS):
        for folder in PRECACHED_FOLDERS:
            for path in (root / folder).rglob("*"):
                if path.is_file() and not path.name.startswith("admin-"):
                    names.add(path.relative_to(root).as_posix())
    names.discard(WORKER_SOURCE)
    return sorted(names)


@dataclass(frozen=True)
class OfflineApp:
    version: str
    precache: list
    worker: bytes


def bcp47(code):
    """Django's language code as a ``lang`` attribute says it: zh-hans → zh-Hans."""
    first, *rest = code.split("-")
    return "-".join(
        [first] + [part.title() if len(part) == 4 else part.upper() for part in rest]
    )


def language_urls():
    """
    Each language's addresses the service worker needs, by the path prefix
    i18n_patterns gives the language ("" for English, unprefixed): its
    offline page, its save address and its JavaScript catalogue. The worker
    answers every address in its language.
    """
    languages = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            prefix = translation.get_language_from_path(reverse("offline")) or ""
            languages[prefix and f"/{prefix}"] = {
                "offline": reverse("offline"),
                "save": reverse("accounts:offline_save"),
                "catalog": reverse("javascript-catalog"),
            }
    return languages


@once
def manifest_in(language):
    """The installable app's manifest in ``language``: its words, lang and start."""
    icon = staticfiles_storage.url
    with translation.override(language):
        manifest = {
            "name": "BackCare",
            "short_name": "BackCare",
            "description": gettext(
                "Guided exercise routines for low-back pain, one step at a time."
            ),
            "lang": bcp47(language),
            "id": "/",
            "start_url": reverse("exercises:home"),
            "scope": "/",
            "display": "standalone",
            "theme_color": THEME_COLOR,
            "background_color": BACKGROUND_COLOR,
            "icons": [
                {
                    "src": icon("icons/icon-192.png"),
                    "sizes": "192x192",
                    "type": "image/png",
                },
                {
                    "src": icon("icons/icon-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                },
                {
                    "src": icon("icons/icon-maskable-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
                {
                    "src": icon("icons/icon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                },
            ],
        }
    return json.dumps(manifest, indent=2).encode()


@once
def offline_app():
    """
    This deployment's service worker, built once per process: the static
    files and the code cannot change without a restart. The worker's version
    covers the code, templates, static files and translations
    (``CODE_VERSION``) and the hashed names it precaches, so any deployment
    that changes a page or a file installs a new worker, which drops the
    caches of the one before. Built in English whatever the request's
    language: each language's addresses are in ``LANGUAGES``.
    """
    with translation.override(settings.LANGUAGE_CODE):
        precache = [reverse("offline")] + [
            staticfiles_storage.url(name) for name in precached_static_files()
        ]
        values = {
            "PRECACHE": precache,
            "OFFLINE_URL": reverse("offline"),
            "STATIC_URL": staticfiles_storage.base_url,
            "SAVE_URL": reverse("accounts:offline_save"),
            "LANGUAGES": language_urls(),
        }
    source = Path(finders.find(WORKER_SOURCE)).read_bytes()
    digest = hashlib.blake2b(digest_size=8)
    for part in (catalogue_cache.CODE_VERSION, json.dumps(values)):
        digest.update(part.encode() + b"\0")
    digest.update(source)
    version = digest.hexdigest()
    head = "".join(
        f"const {name} = {json.dumps(value)};\n"
        for name, value in {"VERSION": version, **values}.items()
    )
    worker = (
        "// Written by /sw.js for this deployment; the worker follows.\n" + head
    ).encode() + source
    return OfflineApp(version, precache, worker)


@require_safe
@cache_control(no_cache=True)
# Per language: a copy kept in one language is never confirmed for another.
@etag(lambda request: f"{offline_app().version}-{translation.get_language()}")
def web_manifest(request):
    response = HttpResponse(
        manifest_in(translation.get_language()),
        content_type="application/manifest+json",
    )
    response["Content-Language"] = translation.get_language()
    return response


@require_safe
@cache_control(no_cache=True)
@etag(lambda request: offline_app().version)
def service_worker(request):
    """
    The worker at the root, so that its scope is the whole site. Browsers
    ask for it on every navigation: no-cache with an ETag answers them 304
    while the deployment stays the same.
    """
    return HttpResponse(offline_app().worker, content_type="text/javascript")


@once
def favicon_bytes():
    return Path(finders.find("icons/favicon.ico")).read_bytes()


@require_safe
@cache_control(max_age=24 * 60 * 60)
def favicon(request):
    # Served here rather than redirected: browsers that ask for /favicon.ico
    # by themselves get it in one round trip.
    return HttpResponse(favicon_bytes(), content_type="image/x-icon")


# The scripts' words (djangojs.po), asked for by every page: kept for
# visitors, and answered 304 while the deploy and the language stay the same.
javascript_catalog = catalogue_cache.kept_for_visitors(
    cache_control(no_cache=True)(
        etag(
            lambda request: (
                f"{catalogue_cache.CODE_VERSION}-{translation.get_language()}"
            )
        )(JavaScriptCatalog.as_view())
    )
)
