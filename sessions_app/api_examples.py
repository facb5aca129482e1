"""The OpenAPI document's examples: a request and an answer for every operation, and a body for
every error code an operation can return.

One catalogue rather than an ``OpenApiExample`` on each decorator: the schema hook
(``api_schema.py``) gives each documented error status the examples of the codes its
description names, so a code added to a description without an example here shows up in the
test that every response has one. Error bodies come from the error classes themselves (their
real text); ``PUBLIC_BASE_URL`` is read when the document is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

from csm_teamviewer.error_responses import fields_invalid
from csm_teamviewer.errors import (
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TeamViewerLicenseLimit,
    TeamViewerLoginRequired,
    TeamViewerRateLimited,
    TeamViewerRejected,
    TeamViewerUnavailable,
)
from csm_teamviewer.suppress_http_code import PARAMETER, invalid_value

from .parsers import RequestTooLarge
from .services.launch import LaunchForStaffRefused
from .services.sessions import SessionBeingCreated, SessionNotLive

SESSION_ID = "3f2c8a4e-9b1d-4c7e-8f6a-2d5b7e9c1a04"
LOGIN_FLOW = "q3Vx8kPz0bN4mT7wYc2LrA9sJd6HfE1u"
INCIDENT_ID = "102522"
_LICENCE = TeamViewerLicenseLimit("Your license does not allow more sessions.")
Example = dict[str, Any]
_LINK = "https://start.teamviewer.com/s12-345-678"  # the example session's supporter link


def _base() -> str:
    return settings.PUBLIC_BASE_URL


def session_example(**changes: Any) -> dict[str, Any]:
    code = "s12-345-678"
    body: dict[str, Any] = {
        "id": SESSION_ID,
        "incident_id": INCIDENT_ID,
        "code": code,
        "state": "open",
        "end_customer_link": f"https://get.teamviewer.com/{code}",
        "supporter_link": _LINK,
        "requester_name": "Hanako Yamada",
        "requester_email": "hanako.yamada@example.com",
        "description": "Printer driver will not install",
        "agent": "agent.smith",
        "valid_until": "2026-12-08T09:15:00Z",
        "created_at": "2026-12-07T09:15:00Z",
        "closed_at": None,
        "email_status": "queued",
        "email_sent_at": None,
        "connections": [],
        "connections_status": "not_fetched",
        "customer_waiting_since": None,
        "csm_journal": "pending",
    }
    return {**body, **changes}


def _closed_session() -> dict[str, Any]:
    return session_example(
        state="closed",
        closed_at="2026-12-07T09:48:12Z",
        email_status="sent",
        email_sent_at="2026-12-07T09:15:04Z",
        connections_status="pending",
        csm_journal="pending",  # the close's own note is on its way when the close answers
    )


def _authorize_url() -> str:
    return f"{_base()}/oauth/teamviewer/start/{LOGIN_FLOW}/"


# --- requests ---------------------------------------------------------------------------------

REQUESTS: dict[str, dict[str, Example]] = {
    "sessions_create": {
        "create": {
            "summary": "Create the incident's session and email the requester",
            "value": {
                "incident_id": INCIDENT_ID,
                "requester_name": "Hanako Yamada",
                "requester_email": "hanako.yamada@example.com",
                "description": "Printer driver will not install",
                "send_email": True,
                "language": "ja",
            },
        }
    },
    "sessions_email": {
        "requester": {"summary": "To the requester", "value": {}},
        "other": {
            "summary": "To another address",
            "value": {"to": "it.contact@example.com", "language": "en"},
        },
    },
    "launch_create": {
        "launch": {
            "summary": "Open the incident's TeamViewer tab",
            "value": {
                "incident_id": INCIDENT_ID,
                "requester_name": "Hanako Yamada",
                "requester_email": "hanako.yamada@example.com",
            },
        }
    },
}

# Path and query parameters: the rest of an example request.
PARAMETERS = {
    "session_id": SESSION_ID,
    "login_flow": LOGIN_FLOW,
    "incident_id": INCIDENT_ID,
    "state": "open",
    PARAMETER: "1",
}


# --- answers ----------------------------------------------------------------------------------


def success_examples(operation_id: str, status: int) -> dict[str, Example]:
    """The examples of an operation's 2xx answer with a body."""
    examples: dict[tuple[str, int], dict[str, Example]] = {
        ("sessions_list", 200): {
            "page": {
                "summary": "One page",
                "value": {"count": 1, "next": None, "previous": None, "results": [session_example()]},
            }
        },
        ("sessions_create", 201): {"created": {"summary": "Created now", "value": session_example()}},
        ("sessions_create", 200): {
            "existing": {"summary": "The agent's open session on the incident", "value": session_example()}
        },
        ("sessions_retrieve", 200): {"session": {"summary": "A session", "value": session_example()}},
        ("sessions_email", 202): {"queued": {"summary": "Queued", "value": session_example()}},
        ("sessions_join", 200): {
            "link": {
                "summary": "The supporter links: the TeamViewer app's, and the web client's where TeamViewer gave one",
                "value": {"supporter_link": _LINK, "webclient_supporter_link": f"{_LINK}?client=web"},
            }
        },
        ("sessions_close", 200): {"closed": {"summary": "Closed", "value": _closed_session()}},
        ("me_teamviewer_retrieve", 200): {
            "connected": {
                "summary": "Connected",
                "value": {
                    "connected": True,
                    "expires_at": "2026-12-07T10:15:00Z",
                    "account_name": "Agent",
                    "account_email": "agent@example.com",
                },
            },
            "not_connected": {
                "summary": "Not connected",
                "value": {"connected": False, "expires_at": None, "account_name": None, "account_email": None},
            },
        },
        ("me_teamviewer_login", 200): {
            "started": {
                "summary": "A sign-in",
                "value": {"authorize_url": _authorize_url(), "login_flow": LOGIN_FLOW},
            }
        },
        ("login_flows_retrieve", 200): _login_flow_examples(),
        ("launch_create", 201): {
            "link": {
                "summary": "A one-time link",
                "value": {"url": f"{_base()}/incidents/launch/{'A' * 43}/"},
            }
        },
    }
    return examples.get((operation_id, status), {})


def _login_flow_examples() -> dict[str, Example]:
    def flow(status: str, action: str | None, **rest: Any) -> dict[str, Any]:
        body = {"login_flow": LOGIN_FLOW, "status": status, "action": action}
        return {
            **body,
            "expires_at": "2026-12-07T09:25:00Z",
            "session": None,
            "created": None,
            "error": None,
            **rest,
        }

    refused = {"code": "access_denied", "detail": ""}
    licence = _LICENCE.body()
    return {
        "pending": {"summary": "Not signed in yet", "value": flow("pending", "create")},
        "created": {
            "summary": "Signed in; the create made the session",
            "value": flow("completed", "create", session=session_example(), created=True),
        },
        "connected": {"summary": "Signed in (no action)", "value": flow("completed", None)},
        "refused": {
            "summary": "The agent refused at TeamViewer",
            "value": flow("failed", "create", error=refused),
        },
        "create_failed": {
            "summary": "Signed in; the create failed",
            "value": flow("failed", "create", error=licence),
        },
        "expired": {"summary": "Never signed in", "value": flow("expired", "close")},
    }


_FIELD_ERRORS = {
    "sessions_list": {"state": ['"done" is not a valid choice.']},
    "sessions_create": {"incident_id": ["This field is required."]},
    "sessions_email": {"to": ["Enter a valid email address."]},
    "launch_create": {"incident_id": ["The incident id must not contain '/' or be '.' or '..'."]},
}
_JSON = {"code": "invalid", "detail": "JSON parse error - Expecting value: line 1 column 1 (char 0)"}


def error_examples(operation_id: str, method: str, code: str) -> dict[str, Example]:
    """The examples of one error ``code`` as the operation answers it."""
    if code == "invalid":
        found = {
            "suppress_value": {
                "summary": f"A {PARAMETER} value that is neither on nor off",
                "value": invalid_value().body(),
            }
        }
        if operation_id in _FIELD_ERRORS:
            found["fields"] = {
                "summary": "A field is wrong",
                "value": fields_invalid(_FIELD_ERRORS[operation_id]).body(),
            }
        if method == "post":
            found["json"] = {"summary": "The body is not JSON", "value": _JSON}
        return found
    body = _ERRORS.get(code)
    return {code: {"summary": body[0], "value": body[1]()}} if body else {}


# Each code's summary and body.
_ERRORS: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "not_authenticated": ("No, unknown or revoked API key, or no X-CSM-User", NotAuthenticated().body),
    "permission_denied": ("The agent is deactivated, or may not do this", PermissionDenied().body),
    "not_found": ("No such id", NotFound().body),
    "teamviewer_login_required": (
        "The agent must sign in to TeamViewer (open authorize_url)",
        lambda: TeamViewerLoginRequired(authorize_url=_authorize_url(), login_flow=LOGIN_FLOW).body(),
    ),
    "session_creating": ("The session has no TeamViewer code yet", SessionBeingCreated().body),
    "session_closed": ("The session is closed or expired", SessionNotLive().body),
    "request_too_large": (
        "The body is too large",
        RequestTooLarge("The request body is larger than 65536 bytes.").body,
    ),
    "unsupported_media_type": (
        "The body is not sent as application/json",
        lambda: {
            "code": "unsupported_media_type",
            "detail": 'Unsupported media type "text/plain" in request.',
        },
    ),
    "teamviewer_rejected": (
        "TeamViewer refused the request",
        TeamViewerRejected("The session group does not exist.", teamviewer_error="invalid_request").body,
    ),
    "teamviewer_license_limit": ("The TeamViewer licence allows no more sessions", _LICENCE.body),
    "staff_launch_refused": ("X-CSM-User names a staff account", LaunchForStaffRefused().body),
    "throttled": (
        "The API key or agent used up its request budget",
        lambda: {
            "code": "throttled",
            "detail": "Request was throttled. Expected available in 42 seconds.",
            "retry_after": 42,
        },
    ),
    "teamviewer_rate_limited": (
        "TeamViewer is limiting requests",
        TeamViewerRateLimited(retry_after=60).body,
    ),
    "teamviewer_unavailable": (
        "TeamViewer is down, slow, or answered nonsense",
        TeamViewerUnavailable().body,
    ),
    "service_unavailable": ("This server's database is briefly out of reach", ServiceUnavailable().body),
}
