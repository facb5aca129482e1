"""Who calls the REST API: CSM by its API key, acting for the agent named in ``X-CSM-User``.

Both are required on every endpoint. The key is checked first, so nobody without a key can
provision an agent. A missing or malformed ``X-CSM-User`` is a 401 ``not_authenticated`` (the
caller has not said who acts); a deactivated agent is a 403 ``permission_denied``.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from csm_teamviewer.authentication import agent_admit, agent_provision, csm_login
from csm_teamviewer.errors import Invalid, PermissionDenied

from .models import ApiKey
from .services.api_keys import api_key_with_agent

KEYWORD = "Token"
AGENT_HEADER = "X-CSM-User"
_AGENT_META = "HTTP_X_CSM_USER"


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Token <key>`` plus ``X-CSM-User: <CSM login>``."""

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # no credentials: the permission check answers 401
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the API key as 'Authorization: Token <key>'."))
        login, bad_login = _named_login(request)
        # The key and the named agent in one query; the key's verdict comes first.
        found = api_key_with_agent(key=parts[1].decode("latin-1"), login=login)
        if found is None:
            raise exceptions.AuthenticationFailed(_("The API key is not valid or has been revoked."))
        if bad_login is not None:
            raise exceptions.AuthenticationFailed(bad_login)
        api_key, agent = found
        return _admitted(agent or agent_provision(login=login)), api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) with ``WWW-Authenticate: Token``.
        return KEYWORD


def _named_login(request: Request) -> tuple[str, str | None]:
    """(the checked login, None) or ("", why ``X-CSM-User`` names none)."""
    value = _header_text(request.META.get(_AGENT_META, ""))
    if not value.strip():
        return "", str(_("The %(header)s header must name the acting CSM login.") % {"header": AGENT_HEADER})
    try:
        return csm_login(value), None
    except Invalid as exc:
        return "", str(exc.detail)


def _admitted(agent: User) -> User:
    try:
        return agent_admit(agent)
    except PermissionDenied as exc:
        raise exceptions.PermissionDenied(exc.detail) from None


def _header_text(value: str) -> str:
    # WSGI hands headers over as latin-1; a client sending a UTF-8 login means the UTF-8 text.
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


class IsCsmAgent(BasePermission):
    """A valid API key and an acting agent; without them DRF answers 401 ``not_authenticated``."""

    def has_permission(self, request: Request, view: object) -> bool:
        return request.auth is not None and request.user is not None


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Both headers as security schemes required together, so the OpenAPI document shows them."""

    target_class = "sessions_app.auth.ApiKeyAuthentication"
    name = ["ApiKeyAuth", "CsmUserAuth"]

    def get_security_definition(self, auto_schema: object) -> list[dict[str, str]]:
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token <key>`: a key from `python manage.py create_api_key NAME`. "
                "Missing, unknown or revoked: 401 `not_authenticated`.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": AGENT_HEADER,
                "description": "The acting agent's CSM login (1-150 characters, no spaces), "
                "provisioned on first use. Missing or malformed: 401 `not_authenticated`; "
                "a deactivated agent: 403 `permission_denied`.",
            },
        ]
