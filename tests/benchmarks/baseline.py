"""The floor of the stack: bare Django REST Framework views doing only what ours must do.

``BaselineCreate`` makes the one upstream call a create makes (no database, no auth);
``BaselineSessions`` reads the same session rows as the list endpoint and the incident page
(no auth, no pagination). What ours costs beyond these is what the server adds.
"""

from __future__ import annotations

import threading

import requests
from django.conf import settings
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sessions_app.models import Session

_local = threading.local()


def _http() -> requests.Session:
    # One keep-alive session per thread, as the project's client has.
    if not hasattr(_local, "http"):
        _local.http = requests.Session()
    return _local.http


class BaselineCreate(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request: Request) -> Response:
        upstream = _http().post(
            f"{settings.TEAMVIEWER_API_URL}/sessions",
            json={"groupname": "CSM", "description": str(request.data.get("description", ""))},
            headers={"Authorization": "Bearer baseline"},
            timeout=settings.TEAMVIEWER_TIMEOUT,
        )
        return Response(upstream.json(), status=upstream.status_code)


class BaselineSessionSerializer(serializers.ModelSerializer):
    agent = serializers.CharField(source="agent.username")

    class Meta:
        model = Session
        fields = [
            "id",
            "incident_id",
            "code",
            "state",
            "end_customer_link",
            "supporter_link",
            "requester_name",
            "requester_email",
            "description",
            "agent",
            "valid_until",
            "created_at",
            "closed_at",
            "email_status",
            "email_sent_at",
        ]


class BaselineSessions(ListAPIView):
    authentication_classes: list = []
    permission_classes: list = []
    pagination_class = None
    serializer_class = BaselineSessionSerializer

    def get_queryset(self):
        incident_id = self.request.query_params.get("incident_id", "")
        return Session.objects.select_related("agent").filter(incident_id=incident_id).order_by("-created_at")
