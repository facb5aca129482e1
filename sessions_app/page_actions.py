"""The incident page's buttons: JSON endpoints over the same services as the REST API.

Signed in with Django's session (CSRF enforced by DRF's SessionAuthentication) instead of an
API key; the same input serializers, services and error format as ``apis.py``. Each answers
``{"session": …}`` (plus ``created`` or ``supporter_link``), the shape a resumed login reports
too, so the page's script handles both alike. Not part of the public API: left out of OpenAPI.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from csm_teamviewer.errors import Invalid, NotFound

from .apis import _validated
from .models import Session
from .parsers import BoundedJSONParser
from .selectors import session_get
from .serializers import SessionCreateInputSerializer, SessionEmailInputSerializer, session_data
from .services.create import SessionRequest, session_create
from .services.sessions import session_close, session_email, session_join
from .throttles import AgentThrottle

VIA = "page"


class PageAction(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    # The same per-agent budget as the REST API (sessions_app/throttles.py).
    throttle_classes = [AgentThrottle]
    parser_classes = [BoundedJSONParser]

    def body(self, session: Session, **extra: Any) -> dict[str, Any]:
        return {"session": session_data(session, viewer=self.request.user), **extra}


def _fields(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise Invalid(errors={"non_field_errors": ["Send a JSON object."]})
    return dict(request.data)


def _incident_session(*, incident_id: str, session_id: str) -> Session:
    session = session_get(session_id=session_id)
    if session.incident_id != incident_id:
        raise NotFound()
    return session


class CreateAction(PageAction):
    @extend_schema(exclude=True)
    def post(self, request: Request, incident_id: str) -> Response:
        data = _validated(SessionCreateInputSerializer, {**_fields(request), "incident_id": incident_id})
        session, created = session_create(agent=request.user, session_request=SessionRequest(**data), via=VIA)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.body(session, created=created), status=code)


class EmailAction(PageAction):
    @extend_schema(exclude=True)
    def post(self, request: Request, incident_id: str, session_id: str) -> Response:
        session = _incident_session(incident_id=incident_id, session_id=session_id)
        data = _validated(SessionEmailInputSerializer, _fields(request))
        session_email(session=session, actor=request.user, via=VIA, **data)
        return Response(self.body(session), status=status.HTTP_202_ACCEPTED)


class JoinAction(PageAction):
    @extend_schema(exclude=True)
    def post(self, request: Request, incident_id: str, session_id: str) -> Response:
        session = _incident_session(incident_id=incident_id, session_id=session_id)
        link = session_join(session=session, actor=request.user, via=VIA)
        return Response(self.body(session, supporter_link=link))


class CloseAction(PageAction):
    @extend_schema(exclude=True)
    def post(self, request: Request, incident_id: str, session_id: str) -> Response:
        session = _incident_session(incident_id=incident_id, session_id=session_id)
        session = session_close(session=session, actor=request.user, via=VIA)
        return Response(self.body(session))
