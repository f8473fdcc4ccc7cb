"""
BackCare settings, read from the environment.

Development defaults are safe to run locally (debug on, SQLite in the project);
production sets DJANGO_DEBUG=false and must then provide DJANGO_SECRET_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Before the admin, as it asks: the catalogue's columns per language.
    "modeltranslation",
    "exercises",
    "accounts",
    # For its management command (render_icons); it has no models.
    "backcare_site",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
]

MIDDLEWARE = [
    # First, before anything that may query: a deadline on every wait on
    # PostgreSQL, so a database that hangs answers 503 instead of nothing.
    "backcare_site.db.DeadlineMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # An English address asked for by a browser that wants another language
    # is sent to that language's (backcare_site/language.py).
    "backcare_site.language.PreferredLanguageMiddleware",
    # A visitor's warm catalogue page is answered here, with the headers the
    # layers below gave it when it was made (exercises/cache.py).
    "exercises.cache.KeptPageMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: from the URL's prefix (English has none), else the
    # language cookie or the browser's Accept-Language (backcare_site/urls.py).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in person's time zone and screening answers.
    "accounts.middleware.PersonMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backcare_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # A signed-in person's Today card, read only where shown.
                "accounts.today.today",
            ],
        },
    },
]

WSGI_APPLICATION = "backcare_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# PostgreSQL is another server, so it gets libpq's own timeouts: connecting
# gives up after DATABASE_CONNECT_TIMEOUT seconds (2 at least); TCP keepalives
# find a kept connection whose server left the network within about 25 s, and
# data it leaves unacknowledged for 10 s ends the connection; the server
# cancels a statement after DATABASE_STATEMENT_TIMEOUT_MS (0: never). A server
# that hangs while its machine still answers TCP (stopped, swapping) trips none
# of these: backcare_site.db ends every wait of a request on it a moment after
# the statement timeout. SQLite, a file, only waits for another writer's lock:
# as long as a statement may take (sqlite3's 5 s when that is never).
DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DJANGO_DB_CONNECT_TIMEOUT", "5"))
DATABASE_STATEMENT_TIMEOUT_MS = int(
    os.environ.get("DJANGO_DB_STATEMENT_TIMEOUT_MS", "10000")
)
_options = DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    _options.setdefault("keepalives", 1)
    _options.setdefault("keepalives_idle", 10)
    _options.setdefault("keepalives_interval", 5)
    _options.setdefault("keepalives_count", 3)
    _options.setdefault("tcp_user_timeout", 10_000)
    _options["options"] = (
        f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS} "
        + _options.get("options", "")
    ).strip()
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _options.setdefault("timeout", DATABASE_STATEMENT_TIMEOUT_MS / 1000 or 5)

# The catalogue's pages come from this cache; it must be shared by every
# process (Redis) or a page kept by one worker would be missed by the others.
# django-redis's IGNORE_EXCEPTIONS makes an unreachable Redis a cache miss, so
# the site serves (slower) without it; each call waits at most the timeout.
CACHE_TIMEOUT_SECONDS = float(os.environ.get("DJANGO_CACHE_TIMEOUT_SECONDS", "0.5"))
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "backcare"),
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": CACHE_TIMEOUT_SECONDS,
                "SOCKET_TIMEOUT": CACHE_TIMEOUT_SECONDS,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "backcare.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CATALOGUE_CACHE_SECONDS = int(os.environ.get("DJANGO_CATALOGUE_CACHE_SECONDS", "3600"))

# The form a guided run's finish page offers for keeping the run: the
# catalogue (exercises) shows it and names no module of the accounts app.
GUIDED_RUN_SAVE_FORM = "accounts.forms.PainNotesForm"

# Who did which routine last, for the home page's first action: the
# catalogue keeps no one's sessions, so it asks the app that does.
LAST_ROUTINE = "accounts.routines.last_routine_id"

# Sessions live in the database, so any number of hosts share them and a
# log-out ends a session on every one at once, whatever the cache does.
# Django's engine, with each row marked with its person: deleting an account
# ends its sessions on every device (accounts/sessions).
SESSION_ENGINE = "accounts.sessions.db"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five failed log-ins for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Retrying while locked must not restart the 15 minutes the lockout page promises.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# The client's address, for every per-address limit. With no proxy in front,
# REMOTE_ADDR only (a client could write any X-Forwarded-For). Behind N
# proxies, the address the nearest one put in X-Forwarded-For: django-ipware
# counts the proxies listed in the header, and the nearest is REMOTE_ADDR.
PROXY_COUNT = int(os.environ.get("DJANGO_PROXY_COUNT", "0"))
if PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT - 1
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_ENABLED = env_bool("DJANGO_AXES_ENABLED", True)
# Beyond axes' lock of one username from one address: failed log-ins from one
# address across every username, and password-reset mails, per hour.
LOGIN_FAILURES_PER_ADDRESS = int(
    os.environ.get("DJANGO_LOGIN_FAILURES_PER_ADDRESS", "30")
)
RESET_MAILS_PER_EMAIL = int(os.environ.get("DJANGO_RESET_MAILS_PER_EMAIL", "3"))
RESET_MAILS_PER_ADDRESS = int(os.environ.get("DJANGO_RESET_MAILS_PER_ADDRESS", "5"))
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "exercises:home"

# English at unprefixed addresses, Simplified Chinese under /zh-hans/. A
# language is added here, in backcare_site/locale/ (`makemessages`) and as the catalogue's
# columns (exercises/translation.py): README, "Adding a language".
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "backcare_site" / "locale"]
# A catalogue text not yet translated shows in English rather than not at all.
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en-gb",)
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Editors' uploads (pictures of exercises) go to the default storage: files
# under MEDIA_ROOT, served at MEDIA_URL by the reverse proxy in production
# (README, "Pictures and media"). An operator may swap the backend for any
# Django storage; the code only uses the storage API.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "backcare_site.storage.StaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploads: a file over FILE_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB) goes to a
# temporary file rather than memory, and the picture form refuses anything
# over 5 MB. Django has no cap on a whole request's files, so the reverse
# proxy's client_max_body_size (6m in the README) is the request size cap.
# DATA_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB) caps the rest of a form.

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("DJANGO_EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "BackCare <noreply@localhost>"
)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # The cache's failures (django-redis, DJANGO_REDIS_LOGGER), once a minute.
    "filters": {"seldom": {"()": "backcare_site.logs.Seldom", "seconds": 60}},
    "loggers": {"backcare.cache": {"filters": ["seldom"]}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
    },
}
