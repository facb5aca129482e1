"""The REST API: DRF, the OpenAPI document, request budgets and body size."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from csm_teamviewer.rates import parse_rate

from .environment import env

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
