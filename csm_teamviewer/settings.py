"""Settings, all from the environment (and a ``.env`` file at the root).

Every variable has an embedded default that serves one machine (SQLite under ``var/``, a
broker that needs no server, console email, the built-in TeamViewer sandbox). ``DEBUG=0``
switches to production strictness: the secrets and hosts must then be given, or start-up
fails naming the missing variable. The names are the public interface (see README).
"""
import base64
import hashlib
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)


def _required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off.")
    return value


def _development_secret_key() -> str:
    # Kept on disk so that a restart does not log everybody out or orphan encrypted rows.
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _development_encryption_key(secret_key: str) -> str:
    digest = hashlib.sha256(b"csm-teamviewer encryption key:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
    ENCRYPTION_KEYS = env.list("ENCRYPTION_KEYS", default=[]) or [
        _development_encryption_key(SECRET_KEY)
    ]
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = _required("SECRET_KEY")
    ENCRYPTION_KEYS = [key.strip() for key in _required("ENCRYPTION_KEYS").split(",") if key.strip()]
    ALLOWED_HOSTS = [host.strip() for host in _required("ALLOWED_HOSTS").split(",") if host.strip()]

PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "csm_teamviewer.sandbox",
    "tokens_app",
    "sessions_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database out of reach is a 503 service_unavailable, not a 500.
    "csm_teamviewer.unavailable.DatabaseUnavailableMiddleware",
    "csp.middleware.CSPMiddleware",
    # Above the session and CSRF middleware: it rewrites the cookies they set.
    "csm_teamviewer.cookies.PartitionedCookieMiddleware",
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
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- TeamViewer -----------------------------------------------------------------------------
TEAMVIEWER_CLIENT_ID = env.str("TEAMVIEWER_CLIENT_ID", default="")
TEAMVIEWER_CLIENT_SECRET = env.str("TEAMVIEWER_CLIENT_SECRET", default="")
# No client ID: this server mounts its own TeamViewer stand-in and talks to it over HTTP.
TEAMVIEWER_SANDBOX = not TEAMVIEWER_CLIENT_ID
SANDBOX_PATH = "sandbox/teamviewer"
if TEAMVIEWER_SANDBOX:
    TEAMVIEWER_CLIENT_ID = "sandbox-client-id"
    TEAMVIEWER_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - the sandbox's own, public
    _api_default = f"{PUBLIC_BASE_URL}/{SANDBOX_PATH}/api/v1"
    _authorize_default = f"{PUBLIC_BASE_URL}/{SANDBOX_PATH}/oauth2/authorize"
else:
    if not TEAMVIEWER_CLIENT_SECRET:
        raise ImproperlyConfigured("TEAMVIEWER_CLIENT_SECRET must be set with TEAMVIEWER_CLIENT_ID.")
    _api_default = "https://webapi.teamviewer.com/api/v1"
    _authorize_default = "https://login.teamviewer.com/oauth2/authorize"
TEAMVIEWER_API_URL = env.str("TEAMVIEWER_API_URL", default=_api_default).rstrip("/")
TEAMVIEWER_AUTHORIZE_URL = env.str("TEAMVIEWER_AUTHORIZE_URL", default=_authorize_default)
TEAMVIEWER_REDIRECT_URI = f"{PUBLIC_BASE_URL}/oauth/teamviewer/callback/"
TEAMVIEWER_SESSION_GROUP = env.str("TEAMVIEWER_SESSION_GROUP", default="CSM")
# (connect, read) seconds for every call to TeamViewer.
TEAMVIEWER_TIMEOUT = (
    env.float("TEAMVIEWER_CONNECT_TIMEOUT", default=5.0),
    env.float("TEAMVIEWER_READ_TIMEOUT", default=15.0),
)
# Refresh this long before the access token's stated expiry.
TEAMVIEWER_REFRESH_MARGIN_SECONDS = env.int("TEAMVIEWER_REFRESH_MARGIN_SECONDS", default=300)
LOGIN_FLOW_LIFETIME_SECONDS = env.int("LOGIN_FLOW_LIFETIME_SECONDS", default=600)

SESSION_LIFETIME_HOURS = env.float("SESSION_LIFETIME_HOURS", default=24.0)
SESSION_RETENTION_DAYS = env.int("SESSION_RETENTION_DAYS", default=30)
# The incident page re-reads its live sessions this often, and asks TeamViewer about each at
# most this often (the customer joining turns "waiting" into "customer connected").
SESSION_SYNC_SECONDS = env.int("SESSION_SYNC_SECONDS", default=10)

# --- Cleanup and state sync (sessions_app/services/cleanup.py, run by beat) -------------------
# Requests per second the cleanup and the state sync send to TeamViewer at most (0: no limit).
# TeamViewer publishes no figure; it counts per function and per access token.
TEAMVIEWER_RATE_LIMIT = env.float("TEAMVIEWER_RATE_LIMIT", default=10.0)
CLEANUP_INTERVAL_SECONDS = env.float("CLEANUP_INTERVAL_SECONDS", default=300.0)
# Sessions closed (and old sessions deleted) per run at most; the next run does the rest.
CLEANUP_BATCH_SIZE = env.int("CLEANUP_BATCH_SIZE", default=500)
# Closes in flight at once (threads of the run), all within TEAMVIEWER_RATE_LIMIT.
CLEANUP_CONCURRENCY = env.int("CLEANUP_CONCURRENCY", default=8)
# A Retry-After up to this long is waited out; a longer one ends the run (the next carries on).
CLEANUP_MAX_WAIT_SECONDS = env.float("CLEANUP_MAX_WAIT_SECONDS", default=30.0)
SESSION_SYNC_INTERVAL_SECONDS = env.float("SESSION_SYNC_INTERVAL_SECONDS", default=60.0)
# Open sessions asked about per sync run.
SESSION_SYNC_BATCH_SIZE = env.int("SESSION_SYNC_BATCH_SIZE", default=100)
# How often beat looks at TeamViewer for sessions whose create never finished here (recorded or
# closed; sessions_app/services/reconcile.py). Only agents with an uncertain create are looked at.
RECONCILE_INTERVAL_SECONDS = env.float("RECONCILE_INTERVAL_SECONDS", default=300.0)

# --- Agents' sign-in ------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A launch link from POST /api/v1/launch/ is spent within this time or never.
LAUNCH_LINK_LIFETIME_SECONDS = env.int("LAUNCH_LINK_LIFETIME_SECONDS", default=120)

# --- Frames, cookies, HTTPS -----------------------------------------------------------------
CSM_FRAME_ANCESTORS = env.str("CSM_FRAME_ANCESTORS", default="").split()

# Only the incident page may be framed, by this server and CSM_FRAME_ANCESTORS (see
# csm_teamviewer/frames.py); every other page is DENY / frame-ancestors 'none'. No inline
# script or style anywhere: pages pass data to their scripts with json_script.
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        # The sandbox's login form redirects to the OAuth callback at PUBLIC_BASE_URL.
        "form-action": ["'self'", PUBLIC_BASE_URL],
        "frame-ancestors": ["'none'"],
    },
}

# Inside CSM's frame over HTTPS our cookies are third-party: SameSite=None (with Secure) lets
# the browser send them, and CHIPS' Partitioned keeps them where third-party cookies are
# blocked (csm_teamviewer/cookies.py). Partitioned cookies live in a jar for CSM's site, so a
# sign-in inside the frame does not sign the agent in on a top-level tab, and vice versa.
FRAMED_COOKIES = bool(CSM_FRAME_ANCESTORS) and not DEBUG
PARTITIONED_COOKIES = FRAMED_COOKIES and env.bool("PARTITIONED_COOKIES", default=True)
if FRAMED_COOKIES:
    SESSION_COOKIE_SAMESITE = "None"
    CSRF_COOKIE_SAMESITE = "None"

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' preload list is hard to undo: the domain's owner opts in.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_REFERRER_POLICY = "same-origin"

# --- Email ----------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="csm-teamviewer@localhost")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
# The invitation's language when the request names none: "ja" or "en".
INVITATION_DEFAULT_LANGUAGE = env.str("INVITATION_DEFAULT_LANGUAGE", default="ja")
# An invitation SMTP refuses is tried again after base × 2^(attempt-1) seconds, capped (60 s,
# 2 min, 4 min … 1 h), and marked failed after INVITATION_MAX_ATTEMPTS (about 2 hours in all).
INVITATION_MAX_ATTEMPTS = env.int("INVITATION_MAX_ATTEMPTS", default=8)
INVITATION_RETRY_BASE_SECONDS = env.float("INVITATION_RETRY_BASE_SECONDS", default=60.0)
INVITATION_RETRY_MAX_SECONDS = env.float("INVITATION_RETRY_MAX_SECONDS", default=3600.0)
# How often beat hands still-queued invitations (broker was down, worker died) to a worker again.
EMAIL_REDRIVE_SECONDS = env.float("EMAIL_REDRIVE_SECONDS", default=60.0)

# --- Celery ---------------------------------------------------------------------------------
# Without a broker URL, the filesystem transport under var/ needs no server at all.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    for _folder in ("queue", "processed", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Tasks go to this queue: deployments sharing one Redis each take their own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Periodic runs expire after one interval: a backlog (the worker was down) is not replayed.
CELERY_BEAT_SCHEDULE: dict = {
    "redrive-invitation-emails": {
        "task": "sessions_app.tasks.redrive_invitations",
        "schedule": EMAIL_REDRIVE_SECONDS,
    },
    "teamviewer-cleanup": {
        "task": "sessions_app.tasks.teamviewer_cleanup",
        "schedule": CLEANUP_INTERVAL_SECONDS,
        "options": {"expires": CLEANUP_INTERVAL_SECONDS},
    },
    "sync-session-states": {
        "task": "sessions_app.tasks.sync_session_states",
        "schedule": SESSION_SYNC_INTERVAL_SECONDS,
        "options": {"expires": SESSION_SYNC_INTERVAL_SECONDS},
    },
    "reconcile-teamviewer-sessions": {
        "task": "sessions_app.tasks.reconcile_sessions",
        "schedule": RECONCILE_INTERVAL_SECONDS,
        "options": {"expires": RECONCILE_INTERVAL_SECONDS},
    },
}

# --- REST framework and OpenAPI -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "csm_teamviewer.errors.api_exception_handler",
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
}


def _throttle_rate(name: str, default: str) -> str:
    value = env.str(name, default=default).strip()
    count, _slash, period = value.partition("/")
    if value and not (count.isdigit() and period in ("s", "sec", "m", "min", "h", "hour", "d", "day")):
        raise ImproperlyConfigured(f"{name} must look like '120/min' (per s, min, hour or day), or be empty.")
    return value


# Requests per API key and per agent (sessions_app/throttles.py); empty: no budget.
API_THROTTLE_PER_KEY = _throttle_rate("API_THROTTLE_PER_KEY", "600/min")
API_THROTTLE_PER_AGENT = _throttle_rate("API_THROTTLE_PER_AGENT", "120/min")
# Bodies larger than this are refused before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=64 * 1024)

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # authlib logs the PKCE verifier and tokens at DEBUG: never below INFO.
        "authlib": {"level": "INFO"},
        # urllib3 logs full request URLs (with OAuth codes) at DEBUG.
        "urllib3": {"level": "INFO"},
    },
}
