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
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.urls import NoReverseMatch, get_urlconf, reverse
from django.utils import translation
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import etag, require_safe
from django.views.generic import TemplateView
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
                name = path.relative_to(root).as_posix()
                if path.is_file() and not path.name.startswith("admin-"):
                    names.add(name)
    names.discard(WORKER_SOURCE)
    return sorted(names)


@dataclass(frozen=True)
class OfflineApp:
    version: str
    precache: list
    worker: bytes
    manifest: bytes
    # Each language's manifest, by language code, made when first asked for
    # (``manifest``: the default language's).
    manifests: dict

    def manifest_in(self, code):
        if code not in self.manifests:
            with translation.override(code):
                self.manifests[code] = json.dumps(manifest_of(), indent=2).encode()
        return self.manifests[code]


def bcp47(code):
    """Django's language code as a ``lang`` attribute says it: zh-hans → zh-Hans."""
    first, *rest = code.split("-")
    return "-".join(
        [first]
        + [
            part.title() if len(part) == 4 else part.upper() if len(part) == 2 else part
            for part in rest
        ]
    )


def language_urls():
    """
    Each language's addresses the service worker needs, by the path prefix
    i18n_patterns gives the language ("" for the default, unprefixed): its
    offline page, its save address and its JavaScript catalogue (None until
    the site has one). The worker answers every address in its language.
    """
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    prefixed, _prefixed_default = is_language_prefix_patterns_used(urlconf)
    # Without i18n_patterns every language has the same addresses.
    codes = [code for code, _name in settings.LANGUAGES] if prefixed else []
    languages = {}
    for code in [settings.LANGUAGE_CODE, *codes]:
        with translation.override(code):
            offline = reverse("offline")
            try:
                catalog = reverse("javascript-catalog")
            except NoReverseMatch:
                catalog = None
            urls = {
                "offline": offline,
                "save": reverse("accounts:offline_save"),
                "catalog": catalog,
            }
        prefix = f"/{code}" if offline.startswith(f"/{code}/") else ""
        languages.setdefault(prefix, urls)
    return languages


def manifest_of():
    """The manifest in the active language: its words, ``lang`` and start."""
    icon = staticfiles_storage.url
    return {
        "name": "BackCare",
        "short_name": "BackCare",
        "description": "Guided exercise routines for low-back pain, "
        "one step at a time.",
        "lang": bcp47(translation.get_language() or settings.LANGUAGE_CODE),
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


@once
def offline_app():
    """
    This deployment's manifest and service worker, built once per process:
    the static files and the code cannot change without a restart. The
    worker's version covers the code, templates and static files
    (``CODE_VERSION``) and the hashed names it precaches, so any deployment
    that changes a page or a file installs a new worker, which drops the
    caches of the one before; so does a change of a translation (the
    compiled catalogues under LOCALE_PATHS), which the kept pages show.
    Built in the default language whatever the request's: each language's
    addresses are in ``LANGUAGES`` (``language_urls``).
    """
    with translation.override(settings.LANGUAGE_CODE):
        return build_offline_app()


def build_offline_app():
    precache = [reverse("offline")] + [
        staticfiles_storage.url(name) for name in precached_static_files()
    ]
    languages = language_urls()
    source = Path(finders.find(WORKER_SOURCE)).read_bytes()
    digest = hashlib.blake2b(digest_size=8)
    translations = catalogue_cache.source_version(
        *(path for path in map(Path, settings.LOCALE_PATHS) if path.exists())
    )
    for part in (
        catalogue_cache.CODE_VERSION,
        translations,
        json.dumps(languages, sort_keys=True),
        *precache,
    ):
        digest.update(part.encode() + b"\0")
    digest.update(source)
    version = digest.hexdigest()
    values = {
        "VERSION": version,
        "PRECACHE": precache,
        "OFFLINE_URL": reverse("offline"),
        "STATIC_URL": staticfiles_storage.base_url,
        "SAVE_URL": reverse("accounts:offline_save"),
        "LANGUAGES": languages,
    }
    head = "".join(
        f"const {name} = {json.dumps(value)};\n" for name, value in values.items()
    )
    worker = (
        "// Written by /sw.js for this deployment; the worker follows.\n" + head
    ).encode() + source
    manifest = json.dumps(manifest_of(), indent=2).encode()
    return OfflineApp(
        version, precache, worker, manifest, {settings.LANGUAGE_CODE: manifest}
    )


def manifest_language(request):
    """The language of the manifest this request gets: the active one."""
    language = translation.get_language()
    known = {code for code, _name in settings.LANGUAGES}
    return language if language in known else settings.LANGUAGE_CODE


@require_safe
@cache_control(no_cache=True)
# Per language: a copy kept in one language is never confirmed for another.
@etag(lambda request: f"{offline_app().version}-{manifest_language(request)}")
def web_manifest(request):
    manifest = offline_app().manifest_in(manifest_language(request))
    response = HttpResponse(manifest, content_type="application/manifest+json")
    response["Content-Language"] = manifest_language(request)
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


class OfflineView(TemplateView):
    """What the service worker shows for a page it cannot fetch nor has kept."""

    template_name = "offline.html"
