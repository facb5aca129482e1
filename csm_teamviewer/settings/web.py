"""Django itself and the REST API: apps, middleware, templates, database, cache, languages,
static files, logging; DRF, the OpenAPI document, request budgets and body size."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.rates import parse_rate

from .environment import BASE_DIR, DEBUG, VAR_DIR, env
from .operations import logging_config

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "csm_teamviewer.audit",
    "csm_teamviewer.sandbox",
    "csm_teamviewer.csm_sandbox",
    "tokens_app",
    "sessions_app",
    "journal_app",
]

MIDDLEWARE = [
    # First: every answer is counted and logged with its request id (and carries it back).
    "csm_teamviewer.observability.requests.RequestObservationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that can answer an API error, so ?suppress_http_code=1 reaches them all.
    "csm_teamviewer.suppress_http_code.SuppressHttpCodeMiddleware",
    # A database out of reach is a 503 service_unavailable, not a 500.
    "csm_teamviewer.error_responses.DatabaseUnavailableMiddleware",
    "csp.middleware.CSPMiddleware",
    # Above the session and CSRF middleware: it rewrites the cookies they set.
    "csm_teamviewer.partitioned_cookies.PartitionedCookieMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "csm_teamviewer.urls"
WSGI_APPLICATION = "csm_teamviewer.wsgi.application"

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
                "csm_teamviewer.context_processors.sandbox",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# Keep each thread's connection between requests: opening one costs more than most requests
# (a new PostgreSQL backend per request). The health check drops a connection the database lost.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, the worker and beat share one file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Shared by every web process when it is Redis (redis://host:6379/1): the API's request budgets
# and the session-sync pacing then hold across processes. Default: each process's own memory.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Agents' sign-in.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A launch link from POST /api/v1/launch/ is spent within this time or never.
LAUNCH_LINK_LIFETIME_SECONDS = env.int("LAUNCH_LINK_LIFETIME_SECONDS", default=120)

# English unless the browser asks for Japanese; the service desks we serve work in Japanese.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # collectstatic fills it in production
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "csm_teamviewer.static_storage.StaticFilesStorage"
    },
}
# collectstatic is an optimisation, not a step a plain install can forget: without it WhiteNoise
# serves the files from where the apps keep them (csm_teamviewer/static_storage.py).
WHITENOISE_USE_FINDERS = True

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = logging_config(LOG_LEVEL)  # plain or JSON lines: settings/operations.py


# --- the REST API ---------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "csm_teamviewer.error_responses.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "csm-teamviewer",
    "DESCRIPTION": "TeamViewer remote support for Cherwell Service Management incidents.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # servers from PUBLIC_BASE_URL, ?suppress_http_code on every operation, and the examples.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sessions_app.api_schema.postprocess",
    ],
    # In the order of the CSM guide (docs/csm/).
    "TAGS": [
        {"name": "sessions", "description": "Create, list, email, join and close the incident's sessions."},
        {
            "name": "teamviewer connection",
            "description": "The acting agent's TeamViewer connection: its state, a sign-in, a disconnect.",
        },
        {
            "name": "login flows",
            "description": "How a sign-in went, and what the create or close it resumed became.",
        },
        {"name": "launch links", "description": "One-time links that open the incident page signed in."},
    ],
}


def rate(name: str, default: str) -> str:
    """The variable's rate (``"120/min"``), checked now: a typo stops start-up naming it."""
    value = env.str(name, default=default).strip()
    try:
        parse_rate(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must look like '120/min' (per s, min, hour or day), or be empty.") from None
    return value


# Requests per API key and per agent (sessions_app/throttles.py); empty: no budget.
API_THROTTLE_PER_KEY = rate("API_THROTTLE_PER_KEY", "600/min")
API_THROTTLE_PER_AGENT = rate("API_THROTTLE_PER_AGENT", "120/min")
# Bodies larger than this are refused before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=64 * 1024)
