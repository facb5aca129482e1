"""``POST /api/v1/launch/``: CSM asks for a one-time link that opens the incident page signed in."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from csm_teamviewer.signed_in import AgentRequest

from .apis import _ERRORS, AgentApi, _errors
from .serializers import StrictCharField, StrictEmailField, _NullIsBlank, printable, single_line, validated
from .services.launch import launch_link_create


def _one_path_segment(value: str) -> None:
    # The id becomes one segment of the page's URL (/incidents/<id>/); a browser would resolve
    # "." and ".." away.
    if "/" in value or value in (".", ".."):
        raise serializers.ValidationError(_("The incident id must not contain '/' or be '.' or '..'."))


class LaunchInputSerializer(_NullIsBlank, serializers.Serializer):
    """The incident to open, and the requester to prefill the create form with."""

    blank_when_null = ("requester_name", "requester_email")

    incident_id = StrictCharField(
        max_length=64, validators=[printable, _one_path_segment], help_text="The CSM incident id."
    )
    requester_name = StrictCharField(
        max_length=100, required=False, allow_blank=True, allow_null=True, default="", validators=[single_line]
    )
    requester_email = StrictEmailField(
        max_length=254, required=False, allow_blank=True, allow_null=True, default=""
    )


class LaunchLinkSerializer(serializers.Serializer):
    url = serializers.CharField(
        read_only=True,
        help_text="Open once, within LAUNCH_LINK_LIFETIME_SECONDS (2 minutes by default): signs the "
        "agent in and shows `/incidents/{incident_id}/` with the requester prefilled.",
    )


_STAFF_403 = (
    f"{_ERRORS[403]} `staff_launch_refused`: `X-CSM-User` names a staff or superuser account; "
    "a launch link would sign its holder in to Django admin."
)


class LaunchLinkApi(AgentApi):
    @extend_schema(
        operation_id="launch_create",
        tags=["launch links"],
        summary="A one-time link that opens the incident page signed in",
        description="For CSM's web-page control or a browser tab: the link signs the acting agent "
        "in (for later visits too) and opens the incident's TeamViewer page. Single use and "
        "short-lived; only its hash is stored.",
        request=LaunchInputSerializer,
        responses={
            201: LaunchLinkSerializer,
            **_errors(400, 413, 415, 401, 403, described={403: _STAFF_403}),
        },
    )
    def post(self, request: AgentRequest) -> Response:
        url = launch_link_create(agent=request.user, **validated(LaunchInputSerializer, request.data))
        # The link signs its holder in: no cache may keep it.
        return Response({"url": url}, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})
