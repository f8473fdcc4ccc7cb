"""
The catalogue's public pages from Django's cache.

The catalogue changes only when an editor saves, so a public page is kept in
the shared cache together with the catalogue's version at the time; every
change sets a new version, and the next request on any worker sees that the
entry is older and renders afresh. Each process remembers the version until
word of the next change (``backcare_site.changes``), and the entries it read
or made by their version (an entry of a version never changes): once warm,
a visitor's page reads nothing from the shared cache. Only requests that
carry nothing personal (no session, no pending message) and no query string
get or fill the cache; everyone else gets the page rendered for them.
Keying on the path alone keeps the cache to one entry per page: invented
query strings cannot fill it.

The routine, exercise and guided-step pages of everyone else (a signed-in
person, a visitor with a run under way) are kept whole too, by what makes
one differ from another (``render_kept``): a signed-in person's under their
own id, with their name and CSRF token filled in for each response.

Every entry's key also names the version of the deployed code that made it
(``CODE_VERSION``, which the accounts app's kept pages use too): a deploy
that changes any of the project's Python, a template, a static file or an
installed library never reads a pickled object or a page kept by the code
before it, even while the catalogue's version stays the same.
"""

import hashlib
import importlib.metadata
import uuid
from functools import wraps
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape

from backcare_site.changes import Kept, announce, remembered

from .pages import ExercisePage, GuidePages, RoutinePage
from .plan import RoutinePlan

VERSION_KEY = "catalogue:version"
# The word of a change to the catalogue (``backcare_site.changes``).
CATALOGUE_TOPIC = "catalogue"
# Entries this process remembers at most: the rendered parts of every
# routine and exercise, and the pages kept whole (a few KB to 40 KB each).
KEPT_ENTRIES = 1000
PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")

# Stand in a kept page for the requesting browser's CSRF token (the
# csrf_token tag renders it when the view gives it as ``csrf_token``) and
# for the signed-in person's name; each response gets its own.
CSRF_PLACEHOLDER = "csrf-token-of-the-requesting-browser-9c41f2e7"
NAME_PLACEHOLDER = "name-of-the-signed-in-person-5d0b7a13"


def source_version(*roots, texts=()):
    """
    A short hash of every file under ``roots`` (files or folders), by path and
    content, and of ``texts``: it changes when any of them does.
    """
    digest = hashlib.blake2b(digest_size=8)
    for root in map(Path, roots):
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root.parent)).encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    for text in texts:
        digest.update(text.encode() + b"\0")
    return digest.hexdigest()


def code_version():
    """
    The version of the code a deploy changes: the project's own apps
    (every installed app in a folder of the project: all their Python, the
    settings among it, their templates and static files), the project's
    templates and static files, and the installed libraries' names and
    versions (a page shows their templates and names their static files by
    hashed names; a pickled model names Django's version).
    The catalogue's data is not code: it reaches pages through the database,
    whose changes carry the catalogue's own version.
    """
    project = Path(settings.BASE_DIR).resolve()
    folders = [
        config.path
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == project
    ]
    # Each library's metadata as its installer wrote it, its name and version
    # at the head: read as text, as parsing it costs a tenth of a second.
    # Each once, and only installed ones: the project's own egg-info, seen
    # from its folder when that is on the path, has no METADATA.
    libraries = sorted(
        {
            text
            for library in importlib.metadata.distributions()
            if (text := library.read_text("METADATA"))
        }
    )
    folders += [*settings.TEMPLATES[0]["DIRS"], *settings.STATICFILES_DIRS]
    return source_version(*folders, texts=libraries)


# The version of the code that made a cached plan or page: read once, at
# start-up, the same in every process of a deploy wherever it is copied.
CODE_VERSION = code_version()


def entry_key(kind, name):
    """The key of a cached ``kind`` of entry, under this code's version."""
    return f"catalogue:{CODE_VERSION}:{kind}:{name}"


def catalogue_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def current_version():
    """
    The catalogue's version: from this process's memory until word of a
    change (``backcare_site.changes``), else from the shared cache; None
    when the shared cache is unreachable.
    """
    return remembered(
        CATALOGUE_TOPIC,
        "version",
        catalogue_version,
        seconds=settings.CATALOGUE_CACHE_SECONDS,
    )


def catalogue_changed():
    """Call after any change to the catalogue; runs once the transaction commits."""
    transaction.on_commit(new_version)


def new_version():
    """A new version of the catalogue, and word of it to every process."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    announce(CATALOGUE_TOPIC)


def is_impersonal(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.GET
        and not any(name in request.COOKIES for name in PERSONAL_COOKIES)
    )


def page_key(request):
    path = hashlib.blake2b(request.path.encode(), digest_size=16).hexdigest()
    return entry_key("page", path)


def plan_key(slug):
    return entry_key("plan", slug)


# Entries this process has read or made, by key and catalogue version: an
# entry of a version never changes, so a request whose version is one of
# these reads neither the entry (tens of KB to fetch and unpickle) nor,
# while the word of changes holds, anything at all from the shared cache.
# Only entries no request changes (``remember=True``); each kept no longer
# than the shared cache keeps it (CATALOGUE_CACHE_SECONDS), so a change made
# without catalogue_changed() shows as late as it did without this memory.
_kept = Kept(size=KEPT_ENTRIES, seconds=lambda: settings.CATALOGUE_CACHE_SECONDS)


def recall(key, version):
    return _kept.get((key, version)) if version is not None else None


def current(key, *, remember=False):
    """
    (version, value) where value is the entry kept under ``key`` for the
    catalogue's current version, or None when there is none or it is older.
    With ``remember``, the entry is also kept in (and read from) this
    process's memory.
    """
    version = current_version()
    value = recall(key, version) if remember else None
    if value is None and version is not None:
        entry = cache.get(key)
        if entry is not None and entry[0] == version:
            value = entry[1]
            if remember:
                _kept.set((key, version), value)
    return version, value


def keep(key, version, value, *, remember=False):
    """Keep ``value`` under ``key`` for ``version`` (read before it was built)."""
    cache.set(key, (version, value), settings.CATALOGUE_CACHE_SECONDS)
    # No version: the shared cache is unreachable, and with it any word of
    # a change, so nothing is remembered.
    if remember and version is not None:
        _kept.set((key, version), value)


def cache_public_page(view):
    """Serve a catalogue page from the shared cache to visitors with nothing personal."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_impersonal(request):
            return view(request, *args, **kwargs)
        key = page_key(request)
        version, cached = current(key, remember=True)
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
            keep(
                key,
                version,
                (response.content, response["Content-Type"]),
                remember=True,
            )
        return response

    return wrapped


def cached(kind, name, build, *, immutable=False, with_version=False):
    """
    The ``kind`` of entry for ``name`` from the shared cache, or else
    ``build()``'s and kept; None, not kept, when ``build()`` finds nothing
    (an unknown slug is not worth an entry). An ``immutable`` entry (which
    no request changes) is also remembered by this process. With
    ``with_version``, (the catalogue version it is of, the entry).
    """
    key = entry_key(kind, name)
    version, value = current(key, remember=immutable)
    if value is None:
        value = build()
        if value is not None:
            keep(key, version, value, remember=immutable)
    return (version, value) if with_version else value


def cached_plan(slug):
    """
    A routine's ``RoutinePlan`` from the shared cache, or None when it has no
    steps: the guide's pages need no catalogue query once warm, and three cold.
    """
    return cached("plan", slug, lambda: RoutinePlan.of(slug))


def cached_guide(slug, *, with_version=False):
    """
    A routine's guided steps, rendered (``GuidePages``), or None when it has
    no steps; built from its plan. With ``with_version``, (the catalogue
    version they are of, the steps).
    """

    def build():
        plan = cached_plan(slug)
        return GuidePages.of(plan) if plan else None

    return cached("guide", slug, build, immutable=True, with_version=with_version)


def cached_routine_page(slug, *, with_version=False):
    """The catalogue's part of a routine's page, or None when there is no such routine."""
    return cached(
        "routine-page",
        slug,
        lambda: RoutinePage.of(slug),
        immutable=True,
        with_version=with_version,
    )


def cached_exercise_page(slug, *, with_version=False):
    """The catalogue's part of an exercise's page, or None when there is none."""
    return cached(
        "exercise-page",
        slug,
        lambda: ExercisePage.of(slug),
        immutable=True,
        with_version=with_version,
    )


def message_waiting(request):
    return bool(request.COOKIES.get(CookieStorage.cookie_name)) or bool(
        request.session.get(SessionStorage.session_key)
    )


def with_token(request, content):
    """``content`` (bytes) with the requesting browser's CSRF token in place
    of ``CSRF_PLACEHOLDER``: Django's ``get_token``, masked afresh for each
    response and setting the cookie, as rendering the token would."""
    if _CSRF_BYTES not in content:
        return content
    return content.replace(_CSRF_BYTES, get_token(request).encode())


_CSRF_BYTES = CSRF_PLACEHOLDER.encode()
_NAME_BYTES = NAME_PLACEHOLDER.encode()


class SignedInPerson:
    """Whoever is signed in, as a kept page's header shows them: by a placeholder."""

    is_authenticated = True
    username = NAME_PLACEHOLDER


def render_key(who, page):
    """A kept page's key: a signed-in person's pages are under their id."""
    return entry_key("render", f"{who}:{page}")


def placeholder(name):
    return f"{name}-of-this-request-5d0b7a13"


def render_kept(request, template, context, *, version, variant, own=None):
    """
    ``render(request, template, context)``, kept in the shared cache: for the
    signed-in person under their id (never served to anyone else), or for
    every visitor; by the catalogue's version, the template and ``variant``.
    ``variant`` holds, as strings, numbers, dates and tuples, everything in
    ``context`` that is not the catalogue's (the run's marks, the screening's
    answers); the rest of ``context`` must be the catalogue's, as it was at
    ``version`` (read before it): a page built while an editor saved is kept
    under the older version, which no later request asks for. The person's
    name, the CSRF token and ``own`` (values of this request alone, {name in
    the context: string}) are placeholders in the kept page, filled in for
    each response. A request that is not a GET, or with a message waiting,
    gets the page rendered for it alone.
    """
    own = own or {}
    if request.method not in ("GET", "HEAD") or message_waiting(request):
        return render(request, template, {**context, **own})
    user = request.user
    signed_in = user.is_authenticated
    page = hashlib.blake2b(repr((template, variant)).encode(), digest_size=16)
    key = render_key(user.pk if signed_in else "visitor", page.hexdigest())
    _, content = current(key, remember=True)
    if content is None:
        person = SignedInPerson if signed_in else user
        content = render_to_string(
            template,
            {
                **context,
                **{name: placeholder(name) for name in own},
                "user": person,
                "csrf_token": CSRF_PLACEHOLDER,
            },
            request,
        ).encode()
        keep(key, version, content, remember=True)
    if signed_in:
        content = content.replace(_NAME_BYTES, escape(user.username).encode())
    for name, value in own.items():
        content = content.replace(
            placeholder(name).encode(), escape(value or "").encode()
        )
    return HttpResponse(with_token(request, content))
