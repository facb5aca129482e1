"""Signing in to TeamViewer without reading an error body: start a sign-in, then ask how it went.

``POST /api/v1/me/teamviewer/login/`` starts a sign-in with nothing to carry out afterwards
(connect before the first create); ``GET /api/v1/login-flows/{login_flow}/`` tells the acting
agent how one of their sign-ins went, this one or one a create or close answered 409 with, and,
once it completed, what the resumed create or close became. So a CSM one-step needs only
``authorize_url`` and ``login_flow`` from an answer, never the body of an error.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from csm_teamviewer.errors import NotFound
from csm_teamviewer.signed_in import AgentRequest
from tokens_app.login_result import LoginResult
from tokens_app.models import LoginFlow
from tokens_app.selectors import login_flow_own
from tokens_app.services import login_flow_create

from .apis import _AUTH, _BODY, AgentApi, _errors
from .selectors import session_get
from .serializers import ErrorSerializer, SessionSerializer
from .session_body import session_data

# An answer that starts or reports a sign-in is the agent's alone: no cache may keep it.
_NO_STORE = {"Cache-Control": "no-store"}


class LoginStartSerializer(serializers.Serializer):
    authorize_url = serializers.CharField(
        read_only=True,
        help_text="A one-time link on this server that starts the TeamViewer sign-in; open it in the "
        "agent's browser within LOGIN_FLOW_LIFETIME_SECONDS (10 minutes by default).",
    )
    login_flow = serializers.CharField(
        read_only=True, help_text="The sign-in's id, for `GET /api/v1/login-flows/{login_flow}/`."
    )


class LoginFlowStatusSerializer(serializers.Serializer):
    """How one of the agent's sign-ins went, and what the action it resumed became."""

    login_flow = serializers.CharField(read_only=True, help_text="The sign-in's id.")
    status = serializers.ChoiceField(
        choices=["pending", "completed", "failed", "expired"],
        read_only=True,
        help_text="`pending`: not finished yet; `completed`: signed in, and the resumed action (if "
        "any) succeeded; `failed`: the sign-in or its action failed (see `error`); `expired`: it "
        "ran out before the agent signed in.",
    )
    action = serializers.ChoiceField(
        choices=["create", "close"],
        read_only=True,
        allow_null=True,
        help_text="What the sign-in carries out once complete; null for a sign-in without one.",
    )
    expires_at = serializers.DateTimeField(
        read_only=True, help_text="Until when the sign-in can be finished."
    )
    session = SessionSerializer(
        read_only=True,
        allow_null=True,
        help_text="Once a resumed create or close completed: the session as `GET /api/v1/sessions/{id}/` "
        "shows it now. Null otherwise.",
    )
    created = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text="For a completed create: true when it made the session, false when the agent already "
        "had one open on the incident. Null otherwise.",
    )
    error = ErrorSerializer(
        read_only=True,
        allow_null=True,
        help_text="When `failed`: why, as an error body (`access_denied` when the agent refused at "
        "TeamViewer; the create's or close's own error, such as `teamviewer_license_limit`). Null otherwise.",
    )


def login_flow_body(flow: LoginFlow, *, viewer: User) -> dict[str, Any]:
    """The status answer for the flow's own agent (never its state, verifier or tokens)."""
    unfinished = flow.status in (LoginFlow.Status.PENDING, LoginFlow.Status.STARTED)
    result = None if unfinished else LoginResult.from_json(flow.result)
    body: dict[str, Any] = {
        "login_flow": flow.flow_id,
        "status": ("expired" if flow.is_expired else "pending") if unfinished else "completed",
        "action": flow.action or None,
        "expires_at": serializers.DateTimeField().to_representation(flow.expires_at),
        "session": None,
        "created": None,
        "error": None,
    }
    if unfinished:
        return body
    if flow.status == LoginFlow.Status.FAILED or (result is not None and not result.ok):
        failed = result or LoginResult(ok=False, code="teamviewer_error")
        body.update(status="failed", error={"code": failed.code, "detail": failed.detail, **failed.answer})
    elif result is not None and "session" in result.answer:
        body.update(
            session=_session_now(result.answer["session"], viewer=viewer),
            created=result.answer.get("created"),
        )
    return body


def _session_now(stored: dict[str, Any], *, viewer: User) -> dict[str, Any]:
    """The resumed action's session as it is now; as it was then if it has since been deleted."""
    try:
        return session_data(session_get(session_id=str(stored.get("id", ""))), viewer=viewer)
    except NotFound:
        return stored


_LOGIN_FLOW = OpenApiParameter(
    "login_flow",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The sign-in's id: `login_flow` from the login answer or from a 409 "
    "`teamviewer_login_required`.",
)
_NOT_YOURS = (
    "`not_found`: no sign-in of the acting agent has this id (another agent's is not found either), "
    "or the cleanup has removed it (an unfinished one soon after it expired, a finished one a day later)."
)


class TeamViewerLoginApi(AgentApi):
    @extend_schema(
        operation_id="me_teamviewer_login",
        tags=["teamviewer connection"],
        summary="Start a TeamViewer sign-in (connect)",
        description="A sign-in with nothing to carry out afterwards: open `authorize_url` in the "
        "agent's browser, and the agent's TeamViewer account is connected. Starts a new sign-in "
        "even when the agent is connected already (to switch accounts or renew consent); "
        "`GET /api/v1/me/teamviewer/` tells whether one is needed. Follow it with "
        "`GET /api/v1/login-flows/{login_flow}/`.",
        request=None,
        responses={200: LoginStartSerializer, **_errors(*_BODY, *_AUTH)},
    )
    def post(self, request: AgentRequest) -> Response:
        flow = login_flow_create(agent=request.user)
        return Response({"authorize_url": flow.authorize_url, "login_flow": flow.flow_id}, headers=_NO_STORE)


class LoginFlowApi(AgentApi):
    @extend_schema(
        operation_id="login_flows_retrieve",
        tags=["login flows"],
        summary="How the agent's sign-in went, and what its create or close became",
        description="Only the acting agent's own sign-ins; any other id is 404.",
        parameters=[_LOGIN_FLOW],
        responses={
            200: LoginFlowStatusSerializer,
            **_errors(*_AUTH, 404, described={404: _NOT_YOURS}),
        },
    )
    def get(self, request: AgentRequest, login_flow: str) -> Response:
        flow = login_flow_own(flow_id=login_flow, agent=request.user)
        return Response(login_flow_body(flow, viewer=request.user), headers=_NO_STORE)
