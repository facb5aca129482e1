"""Input and output shapes of the REST API (the names are the public interface)."""

from __future__ import annotations

import copy
import unicodedata
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from csm_teamviewer.error_responses import fields_invalid
from journal_app.selectors import journal_state

from .models import ConnectionsStatus, Session
from .services.emails import SUPPORTED_LANGUAGES
from .session_body import session_data

# Re-exported: the APIs find every serializer here.
from .teamviewer_serializers import SupporterLinkSerializer as SupporterLinkSerializer
from .teamviewer_serializers import TeamViewerConnectionSerializer as TeamViewerConnectionSerializer

PUBLIC_STATES = [
    (Session.State.OPEN.value, "open: waiting for the customer"),
    (Session.State.ACTIVE.value, "active: the customer is online (waiting for the agent, or connected)"),
    (Session.State.CLOSED.value, "closed"),
    (Session.State.EXPIRED.value, "expired: past valid_until and closed by the cleanup"),
]
LANGUAGE_CHOICES = [(code, code) for code in SUPPORTED_LANGUAGES]


def printable(value: str) -> None:
    """One line of visible text: no control characters, tabs or line breaks."""
    if not value.isprintable():
        raise serializers.ValidationError(_("Use printable characters only (no line breaks or tabs)."))


def no_control_characters(value: str) -> None:
    """Free text: line breaks and tabs are fine, other control characters are not."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
        raise serializers.ValidationError(_("Remove the control characters."))


def single_line(value: str) -> None:
    # A name may hold a full-width space (U+3000), which isprintable() refuses.
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise serializers.ValidationError(_("Use one line without control characters."))


class _JsonTypeOnly(serializers.Field):
    """DRF turns a number into a string and "yes" into True; a wrong JSON type is an error here."""

    json_type: type = str

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, self.json_type):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(_JsonTypeOnly, serializers.CharField):
    pass


class StrictEmailField(_JsonTypeOnly, serializers.EmailField):
    pass


class StrictBooleanField(_JsonTypeOnly, serializers.BooleanField):
    json_type = bool


class ErrorSerializer(serializers.Serializer):
    """Every error body: ``code`` and ``detail``, plus fields where they help."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `teamviewer_login_required`.")
    detail = serializers.CharField(
        help_text="A human-readable explanation (TeamViewer's own text where it gave one)."
    )
    errors = serializers.DictField(  # type: ignore[assignment]  # the error body's field, not Serializer.errors
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="With `invalid`: the messages for each field, by field name.",
    )
    retry_after = serializers.IntegerField(
        required=False, help_text="On every 429: seconds to wait (also in the `Retry-After` header)."
    )
    authorize_url = serializers.CharField(
        required=False,
        help_text="With `teamviewer_login_required`: a one-time link on this server that starts the "
        "TeamViewer login; once complete, the create or close is carried out by itself.",
    )
    login_flow = serializers.CharField(
        required=False, help_text="With `teamviewer_login_required`: the id of that pending login."
    )
    teamviewer_error = serializers.CharField(
        required=False, help_text="With `teamviewer_rejected`: TeamViewer's own error code."
    )


class ConnectionSerializer(serializers.Serializer):
    """One connection TeamViewer reported for the session's code."""

    start = serializers.DateTimeField(read_only=True, allow_null=True)
    end = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null while TeamViewer reports the connection as running."
    )
    duration_seconds = serializers.IntegerField(read_only=True, allow_null=True)
    supporter = serializers.CharField(read_only=True, help_text="Who connected, as TeamViewer names them.")
    device = serializers.CharField(
        read_only=True, help_text="The customer's device: its name and TeamViewer ID, or whichever is known."
    )
    notes = serializers.CharField(read_only=True, help_text="The supporter's notes on the connection.")


class SessionSerializer(serializers.Serializer):
    """A session as the viewing agent may see it: the supporter link only for its agent and staff."""

    id = serializers.UUIDField(read_only=True)
    incident_id = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True, help_text="TeamViewer's session code, e.g. `s12-345-678`.")
    state = serializers.ChoiceField(choices=PUBLIC_STATES, read_only=True)
    end_customer_link = serializers.CharField(read_only=True, help_text="The link for the customer.")
    supporter_link = serializers.SerializerMethodField()
    requester_name = serializers.CharField(read_only=True)
    requester_email = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    agent = serializers.CharField(
        source="agent.get_username", read_only=True, help_text="The agent's CSM login."
    )
    valid_until = serializers.DateTimeField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    email_status = serializers.ChoiceField(choices=Session.EmailStatus.choices, read_only=True)
    email_sent_at = serializers.DateTimeField(read_only=True, allow_null=True)
    connections = ConnectionSerializer(
        many=True,
        read_only=True,
        help_text="TeamViewer's connection reports for the session's code, oldest first. Fetched once "
        "the session is closed or expired; see `connections_status`.",
    )
    connections_status = serializers.ChoiceField(
        choices=ConnectionsStatus.choices,
        read_only=True,
        help_text="`not_fetched`: the session is not over; `pending`: being fetched (a report may still "
        "appear); `final`: complete (empty: the customer never connected); `failed`: could not be fetched.",
    )
    customer_waiting_since = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the customer was first seen online; null until then."
    )
    csm_journal = serializers.SerializerMethodField()

    @extend_schema_field(
        {
            "type": "string",
            "nullable": True,
            "description": "The agent's link into the session: null unless the caller is the "
            "session's agent or a staff user.",
        }
    )
    def get_supporter_link(self, session: Session) -> str | None:
        return session_data(session, viewer=self.context.get("viewer"))["supporter_link"]

    @extend_schema_field(
        {
            "type": "string",
            "enum": ["not_written", "pending", "written", "failed"],
            "description": "The session's notes in the incident's CSM journal: `failed` if one could "
            "not be written, else `pending` while one is on its way, `written` when all are, "
            "`not_written` when there are none (write-back off for its events).",
        }
    )
    def get_csm_journal(self, session: Session) -> str:
        return journal_state(session_id=session.pk)

    def to_representation(self, session: Session) -> dict[str, Any]:
        # The fields above are the contract (and the OpenAPI document); the body is built by hand
        # because DRF's field-by-field walk costs more than everything else in a listing.
        return session_data(session, viewer=self.context.get("viewer"))


class _InputSerializer(serializers.Serializer):
    """A request's input: its fields are shallow copies of the declared ones. DRF deep-copies
    each declared field (validators, choices) for every instance; binding is all that changes a
    field here, so a copy of its attributes serves, at half the CPU of validating a create."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


class _NullIsBlank:
    """CSM may send null for an empty optional text field: treat it as empty."""

    blank_when_null: tuple[str, ...] = ()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in self.blank_when_null:
            if attrs.get(name) is None and name in attrs:
                attrs[name] = ""
        return attrs


class SessionCreateInputSerializer(_NullIsBlank, _InputSerializer):
    """Create the incident's session; unknown fields are ignored."""

    blank_when_null = ("requester_name", "requester_email", "description")

    incident_id = StrictCharField(max_length=64, validators=[printable], help_text="The CSM incident id.")
    requester_name = StrictCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        validators=[single_line],
    )
    requester_email = StrictEmailField(
        max_length=254, required=False, allow_blank=True, allow_null=True, default=""
    )
    description = StrictCharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        validators=[no_control_characters],
    )
    send_email = StrictBooleanField(
        required=False, default=True, help_text="Send the invitation to requester_email (when given)."
    )
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        allow_null=True,
        default=None,
        help_text="The invitation's language; the server's default when omitted.",
    )


class _OptionalQueryBoolean(serializers.BooleanField):
    """A query parameter: absent means no filter (DRF reads an absent boolean in a form as false)."""

    default_empty_html = serializers.empty


class SessionListFilterSerializer(_InputSerializer):
    """The list's filters (query parameters); an empty value means no filter."""

    incident_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="Only this incident's sessions."
    )
    state = serializers.ChoiceField(
        choices=PUBLIC_STATES, required=False, allow_blank=True, help_text="Only sessions in this state."
    )
    customer_waiting = _OptionalQueryBoolean(
        required=False,
        allow_null=True,
        default=None,
        help_text="`true`: only live sessions whose customer TeamViewer has reported online (waiting "
        "for the agent, or connected); `false`: only the others.",
    )


class SessionEmailInputSerializer(_NullIsBlank, _InputSerializer):
    """Send or resend the invitation; both fields are optional."""

    blank_when_null = ("to",)

    to = StrictEmailField(
        max_length=254,
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text="The address to send to; the requester's email when omitted.",
    )
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        allow_null=True,
        default=None,
        help_text="The invitation's language; the session's, else the server's default, when omitted.",
    )


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The serializer's validated data; ``Invalid`` (400) naming each field's errors otherwise."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise fields_invalid(serializer.errors)
    return dict(serializer.validated_data)
