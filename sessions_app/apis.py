"""The REST API for CSM's one-steps: thin views that validate, call one service, serialize.

``/sessions/`` and ``/me/teamviewer/`` each serve two actions on one URL (the public interface
fixes the paths), so those views hold one small method per action.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from csm_teamviewer.signed_in import AgentRequest
from journal_app.selectors import journal_state_after_create
from tokens_app.services import token_disconnect, token_status

from .auth import ApiKeyAuthentication, IsCsmAgent
from .models import Session
from .pagination import SessionPagination
from .parsers import BoundedJSONParser, RequestTooLarge
from .selectors import session_get, session_list
from .serializers import (
    ErrorSerializer,
    SessionCreateInputSerializer,
    SessionEmailInputSerializer,
    SessionListFilterSerializer,
    SessionSerializer,
    SupporterLinkSerializer,
    TeamViewerConnectionSerializer,
    validated,
)
from .services.create import SessionRequest, session_create
from .services.sessions import session_close, session_email, session_join
from .session_body import session_data, session_list_data, session_list_values
from .throttles import AgentThrottle, ApiKeyThrottle, WindowThrottle, throttles_refusing

VIA = "api"

_ERRORS = {
    400: "`invalid`: a field is wrong (see `errors`) or the body is not JSON.",
    401: "`not_authenticated`: the API key is missing, unknown or revoked, or `X-CSM-User` is "
    "missing or malformed (`WWW-Authenticate: Token`).",
    403: "`permission_denied`: the agent is deactivated or may not do this.",
    404: "`not_found`: no session with this id.",
    409: "`teamviewer_login_required`: the agent must sign in to TeamViewer; open `authorize_url` and "
    "the action is carried out by itself when the login completes.",
    413: "`request_too_large`: the body is over the server's limit.",
    415: "`unsupported_media_type`: send `Content-Type: application/json`.",
    422: "`teamviewer_rejected`: TeamViewer refused the request (its own message in `detail`).",
    429: "`teamviewer_rate_limited`: TeamViewer is limiting requests; `throttled`: this API key or "
    "agent used up its request budget. Wait `retry_after` seconds (also the `Retry-After` header).",
    502: "`teamviewer_unavailable`: TeamViewer failed or answered with something that is not its JSON.",
    503: "`teamviewer_unavailable`: TeamViewer cannot be reached. `service_unavailable`: this server's "
    "database is briefly out of reach (any endpoint; `Retry-After`).",
    504: "`teamviewer_unavailable`: TeamViewer did not answer in time.",
}
_THROTTLED = (
    "`throttled`: this API key or agent used up its request budget; wait `retry_after` seconds "
    "(also the `Retry-After` header)."
)
_AUTH = (401, 403)
_BODY = (400, 413, 415)
_TEAMVIEWER = (409, 422, 429, 502, 503, 504)


def _errors(*codes: int, described: dict[int, str] | None = None) -> dict[int, OpenApiResponse]:
    """The documented error answers; ``described`` replaces the usual text for some codes."""
    descriptions = {**_ERRORS, **(described or {})}
    if 429 not in codes:
        # Every operation spends the key's and the agent's request budget.
        codes, descriptions[429] = (*codes, 429), _THROTTLED
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in codes}


_SESSION_ID = OpenApiParameter(
    "session_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The session's id."
)
_LICENCE_403 = (
    f"{_ERRORS[403]} `teamviewer_license_limit`: TeamViewer's licence allows no more sessions "
    "(its text in `detail`)."
)
_CLOSE_409 = f"{_ERRORS[409]} `session_creating`: the session has no TeamViewer code yet."
_CLOSED_409 = (
    "`session_closed`: the session is closed or expired; `session_creating`: it has no TeamViewer code yet."
)


class AgentApi(APIView):
    """An API key and an acting agent on every call; JSON bodies, bounded in size."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsCsmAgent]
    # After authentication: an unknown key is a 401 and spends no budget.
    throttle_classes = [ApiKeyThrottle, AgentThrottle]
    parser_classes = [BoundedJSONParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method == "POST":
            # Parse now, so a malformed or oversized body is refused before anything is done.
            _ = request.data

    def check_throttles(self, request: Request) -> None:
        # Both budgets in one cache round trip; the longest wait is the one to report.
        refusing = throttles_refusing(cast(list[WindowThrottle], self.get_throttles()), request)
        if refusing:
            self.throttled(request, max(throttle.wait() for throttle in refusing))

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestDataTooBig):
            # Django's own size check (should anything read request.body) is a 413 too, not a 500.
            exc = RequestTooLarge()
        return super().handle_exception(exc)


def _session_response(
    request: AgentRequest, session: Session, code: int = status.HTTP_200_OK, *, csm_journal: str | None = None
) -> Response:
    return Response(session_data(session, viewer=request.user, csm_journal=csm_journal), status=code)


class SessionsApi(AgentApi):
    pagination_class = SessionPagination

    @extend_schema(
        operation_id="sessions_list",
        tags=["sessions"],
        summary="List sessions (by incident and state)",
        description="Newest first. Sessions of other agents are listed too, without their supporter link.",
        parameters=[SessionListFilterSerializer],
        responses={200: SessionSerializer(many=True), **_errors(400, *_AUTH)},
    )
    def get(self, request: AgentRequest) -> Response:
        sessions = session_list(**validated(SessionListFilterSerializer, request.query_params))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(session_list_values(sessions), request, view=self)
        return paginator.get_paginated_response(session_list_data(page, viewer=request.user))

    @extend_schema(
        operation_id="sessions_create",
        tags=["sessions"],
        summary="Create the incident's session",
        description="201 with the new session; 200 with the agent's existing open session on that "
        "incident (a double click or a retry never makes two TeamViewer sessions). With `send_email` "
        "and a `requester_email` the invitation is queued.",
        request=SessionCreateInputSerializer,
        responses={
            201: OpenApiResponse(SessionSerializer, description="Created now."),
            200: OpenApiResponse(SessionSerializer, description="The agent's existing live session."),
            **_errors(*_BODY, *_AUTH, *_TEAMVIEWER, described={403: _LICENCE_403}),
        },
    )
    def post(self, request: AgentRequest) -> Response:
        data = validated(SessionCreateInputSerializer, request.data)
        session, created = session_create(agent=request.user, session_request=SessionRequest(**data), via=VIA)
        if not created:
            return _session_response(request, session)
        # A new session's journal state is known without a query: its create's note is on its way.
        journal = journal_state_after_create()
        return _session_response(request, session, status.HTTP_201_CREATED, csm_journal=journal)


class SessionDetailApi(AgentApi):
    @extend_schema(
        operation_id="sessions_retrieve",
        tags=["sessions"],
        summary="One session",
        parameters=[_SESSION_ID],
        responses={200: SessionSerializer, **_errors(*_AUTH, 404)},
    )
    def get(self, request: AgentRequest, session_id: str) -> Response:
        return _session_response(request, session_get(session_id=session_id))


class SessionEmailApi(AgentApi):
    @extend_schema(
        operation_id="sessions_email",
        tags=["sessions"],
        summary="Send or resend the invitation",
        description="Queues the invitation with the end-customer link to `to`, or else to the "
        "requester's email; it goes out even when the mail server is down for a while.",
        parameters=[_SESSION_ID],
        request=SessionEmailInputSerializer,
        responses={
            202: OpenApiResponse(SessionSerializer, description="Queued."),
            **_errors(*_BODY, *_AUTH, 404, 409, described={409: _CLOSED_409}),
        },
    )
    def post(self, request: AgentRequest, session_id: str) -> Response:
        session = session_get(session_id=session_id)
        data = validated(SessionEmailInputSerializer, request.data)
        session_email(session=session, actor=request.user, via=VIA, **data)
        return _session_response(request, session, status.HTTP_202_ACCEPTED)


class SessionJoinApi(AgentApi):
    @extend_schema(
        operation_id="sessions_join",
        tags=["sessions"],
        summary="Join as admin: the supporter link (and the web client's, where there is one)",
        description="Only for the session's agent or a staff user; others get 403. "
        "`webclient_supporter_link` (join in the browser) is there only where TeamViewer gave one.",
        parameters=[_SESSION_ID],
        request=None,
        responses={
            200: SupporterLinkSerializer,
            **_errors(*_BODY, *_AUTH, 404, 409, described={409: _CLOSED_409}),
        },
    )
    def post(self, request: AgentRequest, session_id: str) -> Response:
        links = session_join(session=session_get(session_id=session_id), actor=request.user, via=VIA)
        body = {"supporter_link": links.supporter_link}
        if links.webclient_supporter_link:
            body["webclient_supporter_link"] = links.webclient_supporter_link
        return Response(body)


class SessionCloseApi(AgentApi):
    @extend_schema(
        operation_id="sessions_close",
        tags=["sessions"],
        summary="Close at TeamViewer and here",
        description="Closing a closed session is 200 too, and so is closing one TeamViewer no longer "
        "knows (it is closed here). Only the session's agent or a staff user may close it; either "
        "way the agent's TeamViewer token is used. Login required (409): the agent's login closes "
        "the session by itself; a staff caller gets the 409 without `authorize_url`.",
        parameters=[_SESSION_ID],
        request=None,
        responses={
            200: SessionSerializer,
            **_errors(*_BODY, *_AUTH, 404, *_TEAMVIEWER, described={409: _CLOSE_409}),
        },
    )
    def post(self, request: AgentRequest, session_id: str) -> Response:
        session = session_close(session=session_get(session_id=session_id), actor=request.user, via=VIA)
        return _session_response(request, session)


class MyTeamViewerApi(AgentApi):
    @extend_schema(
        operation_id="me_teamviewer_retrieve",
        tags=["teamviewer connection"],
        summary="The acting agent's TeamViewer connection",
        responses={200: TeamViewerConnectionSerializer, **_errors(*_AUTH)},
    )
    def get(self, request: AgentRequest) -> Response:
        return Response(TeamViewerConnectionSerializer(token_status(agent=request.user)).data)

    @extend_schema(
        operation_id="me_teamviewer_disconnect",
        tags=["teamviewer connection"],
        summary="Disconnect from TeamViewer",
        description="Revokes the token at TeamViewer (when reachable) and forgets it here.",
        responses={
            204: OpenApiResponse(description="Disconnected (also when nothing was connected)."),
            **_errors(*_AUTH),
        },
    )
    def delete(self, request: AgentRequest) -> Response:
        token_disconnect(agent=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
