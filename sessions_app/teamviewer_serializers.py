"""The REST API's answers about the agent's TeamViewer side: the join links and the connection."""

from __future__ import annotations

from rest_framework import serializers


class SupporterLinkSerializer(serializers.Serializer):
    supporter_link = serializers.CharField(read_only=True, help_text="Join as admin (the TeamViewer app).")
    webclient_supporter_link = serializers.CharField(
        read_only=True,
        required=False,
        help_text="Join in the browser (TeamViewer's web client, nothing to install); only where "
        "TeamViewer gave one.",
    )


class TeamViewerConnectionSerializer(serializers.Serializer):
    connected = serializers.BooleanField(
        read_only=True, help_text="Whether a usable TeamViewer token is held."
    )
    expires_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the access token expires (it is refreshed by itself).",
    )
    account_name = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The TeamViewer account's name, as TeamViewer gave it at the last sign-in; null when "
        "not connected or when TeamViewer did not say.",
    )
    account_email = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The TeamViewer account's email, as TeamViewer gave it at the last sign-in; null when "
        "not connected or when TeamViewer did not say.",
    )
