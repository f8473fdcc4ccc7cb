"""
The kept-page layer: whole pages, and the catalogue's rendered parts, kept in
Django's cache (Redis when ``REDIS_URL`` is set) and never served once
anything they show has changed.

The contract:

- An entry is a copy, never the truth. Each holds a stamp, the versions of
  everything it was made from, read before it was made; it is served only to
  a request whose stamp is the same. The versions live in the database and
  are written in the transaction of the change they count: the catalogue's
  (``CatalogueVersion``, via ``catalogue_changed()``) and whatever a caller
  adds (the accounts app: a person's ``ProgressTotal.version``, name, time
  zone and day). So an entry lost, unreachable, or restored from an old
  snapshot of the cache is at worst a miss, on every worker.
- Every key names the deployed code (``CODE_VERSION``), the language the
  entry is in, and whose the entry is: every visitor's, or one signed-in
  person's (their id). A person's page is never served to anyone else, and
  a page is never served in another language than it was made in.
- A kept page holds placeholders for what differs per response: the CSRF
  token (Django's ``get_token``), the signed-in person's name, and a view's
  ``own`` values (a guided run's token). Each response gets its own.

The public API:

- ``KeptPageMiddleware`` answers a visitor's warm catalogue page before the
  session, CSRF, authentication and messages layers run: a GET with no query
  string and no session or messages cookie, of a view decorated with
  ``@kept_for_visitors``.
- ``kept_page(request, template, ...)`` renders a page that differs by person
  or by run, or answers it from the cache; ``kept_view(stamp=...)`` does the
  same for a whole view, and ``kept_context(request)`` is what such a view
  adds to its context.
- ``cached(kind, name, build)`` and the ``cached_*`` functions: the
  catalogue's rendered parts; ``catalogue_changed()`` after any change to it.
"""

import hashlib
import importlib.metadata
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.html import escape

from .models import CatalogueVersion, Routine, RoutineStep, estimated_time_of
from .pages import ExercisePage, GuidePages, RoutinePage
from .plan import RoutinePlan

PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name)
# Stand in a kept page for the requesting browser's CSRF token (the
# csrf_token tag renders it when the context gives it as ``csrf_token``) and
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
    templates, static files and translations, and the installed libraries' names and
    versions (a page shows their templates and names their static files by
    hashed names; a pickled model names Django's version).
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
    folders += [
        *settings.TEMPLATES[0]["DIRS"],
        *settings.STATICFILES_DIRS,
        *settings.LOCALE_PATHS,
    ]
    return source_version(*folders, texts=libraries)


# The version of the code that made a cached entry: read once, at start-up,
# the same in every process of a deploy wherever it is copied.
CODE_VERSION = code_version()


def entry_key(kind, name, who="all"):
    """
    The key of ``who``'s cached ``kind`` of entry in the active language,
    under this code's version.
    """
    digest = hashlib.blake2b(str(name).encode(), digest_size=16).hexdigest()
    language = translation.get_language()
    return f"kept:{CODE_VERSION}:{language}:{kind}:{who}:{digest}"


# The catalogue's version as this request first read it (KeptPageMiddleware
# gives each request a fresh memo): a page's parts and the page itself are
# of one version, read once.
_request_memo = ContextVar("catalogue_version_memo", default=None)


def catalogue_version():
    memo = _request_memo.get()
    if memo is None:
        return CatalogueVersion.objects.current()
    if "version" not in memo:
        memo["version"] = CatalogueVersion.objects.current()
    return memo["version"]


def catalogue_changed():
    """
    Call in the transaction of any change to the catalogue (the admin and
    ``load_catalogue`` do). A change made around them (a shell's
    ``QuerySet.update()``, ``loaddata``) shows once this is called, or once
    the kept entries expire (``DJANGO_CATALOGUE_CACHE_SECONDS``).
    """
    CatalogueVersion.objects.bump()
    memo = _request_memo.get()
    if memo is not None:
        memo.clear()


def is_impersonal(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.GET
        and not any(name in request.COOKIES for name in PERSONAL_COOKIES)
    )


def current(key, version):
    """The entry kept under ``key`` for ``version`` (a stamp), or None."""
    entry = cache.get(key)
    return entry[1] if entry is not None and entry[0] == version else None


def keep(key, version, value):
    cache.set(key, (version, value), settings.CATALOGUE_CACHE_SECONDS)


class KeptPageMiddleware:
    """
    A visitor's catalogue page (``@kept_for_visitors``), answered from the
    cache before the layers below run, with the headers they gave it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_memo.set({})
        # The language LocaleMiddleware will choose: the address's (English
        # has no prefix; PreferredLanguageMiddleware has sent a browser that
        # wants another language to its address already).
        language = (
            translation.get_language_from_path(request.path_info)
            or settings.LANGUAGE_CODE
        )
        try:
            with translation.override(language):
                return self.answer(request)
        finally:
            _request_memo.reset(token)

    def answer(self, request):
        # Django checks the host in CommonMiddleware, below: a kept page is
        # answered for ALLOWED_HOSTS only (DisallowedHost answers 400).
        request.get_host()
        if not (
            is_impersonal(request)
            and not request.path_info.startswith(settings.STATIC_URL)
            and is_kept_for_visitors(request.path_info)
        ):
            return self.get_response(request)
        key = entry_key("page", request.path, "visitor")
        version = catalogue_version()
        kept = current(key, version)
        if kept is not None:
            content, headers = kept
            return HttpResponse(content, headers=headers)
        response = self.get_response(request)
        if is_for_everyone(response):
            keep(key, version, (response.content, dict(response.headers)))
        return response


def is_for_everyone(response):
    """
    Whether ``response`` may be kept and served to every visitor: a 200 that
    sets no cookie (a session, a CSRF token's), is not streamed, is not
    marked private, and has no CSP nonce (each response must have its own).
    """
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.cookies
        and not response.streaming
        and "private" not in cache_control
        and "no-store" not in cache_control
        and "nonce-" not in response.get("Content-Security-Policy", "")
    )


def kept_for_visitors(view):
    """Mark ``view``'s pages as the same for every visitor (``KeptPageMiddleware``)."""

    @wraps(view)
    def marked(*args, **kwargs):
        return view(*args, **kwargs)

    # Copied to the view function by method_decorator and as_view(), as
    # Django's own csrf_exempt is.
    marked.kept_for_visitors = True
    return marked


def is_kept_for_visitors(path):
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return getattr(match.func, "kept_for_visitors", False)


def kept_value(kind, name, stamp, build, *, who="all"):
    """
    ``who``'s ``kind`` of entry for ``name``, from the cache when it was made
    for ``stamp`` (the versions of what it is made from, read before), or
    else ``build()``'s and kept; None, not kept, when ``build()`` finds
    nothing (an unknown slug is not worth an entry).
    """
    key = entry_key(kind, name, who)
    value = current(key, stamp)
    if value is None:
        value = build()
        if value is not None:
            keep(key, stamp, value)
    return value


def cached(kind, name, build, *, with_version=False):
    """
    The catalogue's ``kind`` of entry for ``name`` (``kept_value``), by the
    catalogue's version. With ``with_version``, (the version it is of, the
    entry).
    """
    version = catalogue_version()
    value = kept_value(kind, name, version, build)
    return (version, value) if with_version else value


def cached_plan(slug):
    """
    A routine's ``RoutinePlan`` from the cache, or None when it has no steps:
    the guide's pages need no catalogue query once warm, and three cold.
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

    return cached("guide", slug, build, with_version=with_version)


def cached_routine_page(slug, *, with_version=False):
    """The catalogue's part of a routine's page, or None when there is no such routine."""
    return cached(
        "routine-page", slug, lambda: RoutinePage.of(slug), with_version=with_version
    )


def cached_exercise_page(slug, *, with_version=False):
    """The catalogue's part of an exercise's page, or None when there is none."""
    return cached(
        "exercise-page", slug, lambda: ExercisePage.of(slug), with_version=with_version
    )


def placeholder(name):
    return f"{name}-of-this-request-5d0b7a13"


class SignedInPerson:
    """Whoever is signed in, as a kept page's header shows them: by a placeholder."""

    is_authenticated = True
    username = NAME_PLACEHOLDER


def filled(request, content, own=()):
    """A kept page's ``content`` (bytes) with this response's values in it."""
    if request.user.is_authenticated:
        content = content.replace(
            NAME_PLACEHOLDER.encode(), escape(request.user.username).encode()
        )
    for name, value in dict(own).items():
        content = content.replace(
            placeholder(name).encode(), escape(value or "").encode()
        )
    if CSRF_PLACEHOLDER.encode() in content:
        # Masked afresh for each response, and sets the cookie, as
        # rendering the token would.
        content = content.replace(
            CSRF_PLACEHOLDER.encode(), get_token(request).encode()
        )
    return content


def is_kept(request):
    """Whether ``request`` may be served from, and fill, the cache: no message waits."""
    return request.method in ("GET", "HEAD") and not (
        request.COOKIES.get(CookieStorage.cookie_name)
        or request.session.get(SessionStorage.session_key)
    )


def owner_key(request, page):
    """The key of ``page`` for whoever is asking: a person's own, or every visitor's."""
    user = request.user
    return entry_key("page", page, user.pk if user.is_authenticated else "visitor")


def kept_page(request, template, context, *, stamp, variant, own=None):
    """
    ``render(request, template, context)``, or the same page from the cache:
    for the signed-in person under their id (never served to anyone else), or
    for every visitor; by ``stamp`` (the versions of what ``context`` was read
    from, read before it), the template and ``variant``. ``variant`` holds, as
    strings, numbers, dates and tuples, what else in ``context`` differs from
    one request to another (the run's marks, the screening's answers); the
    person's name, the CSRF token and ``own`` (values of this request alone,
    {name in the context: string}) are filled in for each response. A POST, or
    a request with a message waiting, gets the page rendered for it alone.
    """
    own = own or {}
    if not is_kept(request):
        return render(request, template, {**context, **own})
    key = owner_key(request, (template, variant))
    content = current(key, stamp)
    if content is None:
        user = request.user
        content = render_to_string(
            template,
            {
                **context,
                **{name: placeholder(name) for name in own},
                "user": SignedInPerson if user.is_authenticated else user,
                "csrf_token": CSRF_PLACEHOLDER,
            },
            request,
        ).encode()
        keep(key, stamp, content)
    return HttpResponse(filled(request, content, own))


def token_free(content):
    """Whether every form's CSRF token in ``content`` is the placeholder."""
    return content.count(b'name="csrfmiddlewaretoken"') == content.count(
        CSRF_PLACEHOLDER.encode()
    )


def kept_context(request):
    """What a ``kept_view``'s view adds to its context: the token's placeholder."""
    if getattr(request, "kept_page", False):
        return {"csrf_token": CSRF_PLACEHOLDER}
    return {}


def kept_view(stamp, *, query=()):
    """
    Serve a signed-in person's page from the cache. ``stamp(request)`` gives
    the versions of everything the page shows (None: render it, keep
    nothing); ``query``, the names of the query parameters the view reads (any
    other makes it rendered, not kept). The view adds ``kept_context(request)``
    to its context.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            now = None
            if (
                is_kept(request)
                and request.user.is_authenticated
                and not set(request.GET) - set(query)
            ):
                now = stamp(request)
            if now is None:
                return view(request, *args, **kwargs)
            params = [
                (name, request.GET[name]) for name in query if name in request.GET
            ]
            key = owner_key(request, f"{request.path}?{urlencode(params)}")
            now = (now, catalogue_version())
            kept = current(key, now)
            if kept is not None:
                content, headers = kept
                return HttpResponse(filled(request, content), headers=headers)
            request.kept_page = True
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            # The view's own headers only: the middleware adds theirs to each.
            if (
                response.status_code == 200
                and not response.cookies
                and token_free(response.content)
            ):
                keep(key, now, (response.content, dict(response.headers)))
            response.content = filled(request, response.content)
            return response

        return wrapped

    return decorate


@dataclass(frozen=True)
class Rung:
    """A strength routine of the ladder, as a person's plan shows it."""

    pk: int
    slug: str
    title: str
    # The English title, the one a person's sessions keep.
    title_en: str
    estimated_time: str


def ladder_of(routines):
    """
    The strength routines with steps among ``routines`` (pairs of a routine
    and its steps, in the ladder's order), as ``Rung``s.
    """
    rungs = []
    for routine, steps in routines:
        if routine.kind != Routine.Kind.STRENGTH or not steps:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            title_en = routine.title
        rungs.append(
            Rung(
                routine.pk,
                routine.slug,
                routine.title,
                title_en,
                estimated_time_of(steps, routine.steps_are_alternatives),
            )
        )
    return rungs


def cached_ladder(routines=None):
    """
    The ladder's strength routines as ``Rung``s, from the cache: built from
    ``routines`` (the ladder, steps fetched: the home page has them) when
    given, or else in one query.
    """

    def build():
        if routines is not None:
            return ladder_of((routine, routine.steps.all()) for routine in routines)
        # One query: the strength routines' steps, each with its routine, in
        # the ladder's order (``RoutineQuerySet.ladder``).
        steps = (
            RoutineStep.objects.filter(routine__kind=Routine.Kind.STRENGTH)
            .select_related("routine")
            .order_by("routine__level", "routine__title", "routine_id", "order")
        )
        return ladder_of(
            (group[0].routine, group)
            for group in (
                list(g) for _, g in groupby(steps, key=attrgetter("routine_id"))
            )
        )

    return cached("ladder", "strength", build)
