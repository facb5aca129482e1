"""One factory per model (factory-boy). Encrypted fields are set through the model, as the code does.

Defaults describe the common case: an agent's open session on INC-1001 waiting for its customer,
a live TeamViewer token, a pending login. Pass fields to say what a test is about.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from journal_app.models import JournalNote, new_marker
from sessions_app.models import ApiKey, InvitationEmail, InvitationTemplate, LaunchLink, Session
from tokens_app.models import LoginFlow, TeamViewerToken


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class AgentFactory(factory.django.DjangoModelFactory):
    """A service-desk agent: a Django user as a CSM login provisions one."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"agent{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    # No usable password, as provisioning leaves it: agents sign in through CSM or a launch link.
    password = factory.django.Password(None)


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A CSM API key; ``key`` is the secret itself (only its digest is stored, as in the service)."""

    class Meta:
        model = ApiKey
        exclude = ("key",)

    key = factory.Sequence(lambda n: f"csmtv_factory-key-{n:04d}")
    name = factory.Sequence(lambda n: f"CSM {n}")
    prefix = factory.LazyAttribute(lambda api_key: api_key.key[:12])
    digest = factory.LazyAttribute(lambda api_key: _sha256(api_key.key))


class SessionFactory(factory.django.DjangoModelFactory):
    """An open session on INC-1001, valid for a day, its links named after its code."""

    class Meta:
        model = Session

    agent = factory.SubFactory(AgentFactory)
    incident_id = "INC-1001"
    state = Session.State.OPEN
    code = "s98-765-432"
    end_customer_link = factory.LazyAttribute(lambda session: f"https://get.teamviewer.test/{session.code}")
    supporter_link = factory.LazyAttribute(
        lambda session: f"https://start.teamviewer.test/{session.code}?secret=supporter"
    )
    requester_name = "Hanako Yamada"
    requester_email = "hanako@example.com"
    valid_until = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=24))


class InvitationEmailFactory(factory.django.DjangoModelFactory):
    """An invitation queued for the session's requester."""

    class Meta:
        model = InvitationEmail

    session = factory.SubFactory(SessionFactory)
    to = factory.LazyAttribute(lambda email: email.session.requester_email or "requester@example.com")
    language = "en"


class InvitationTemplateFactory(factory.django.DjangoModelFactory):
    """An admin's override of the English invitation, using the placeholders."""

    class Meta:
        model = InvitationTemplate
        django_get_or_create = ("language",)

    language = "en"
    subject = "Support for {{ incident_id }}"
    text_body = "{{ requester_name }}, join at {{ link }} with code {{ code }}."


class AuditEventFactory(factory.django.DjangoModelFactory):
    """A successful create of the session, by its agent."""

    class Meta:
        model = AuditEvent

    class Params:
        session = factory.SubFactory(SessionFactory)

    actor = factory.LazyAttribute(lambda event: event.session.agent if event.session else None)
    action = AuditEvent.Action.CREATE
    incident_id = factory.LazyAttribute(lambda event: event.session.incident_id if event.session else "")
    session_id = factory.LazyAttribute(lambda event: event.session.pk if event.session else None)
    session_code = factory.LazyAttribute(lambda event: event.session.code if event.session else "")


class LaunchLinkFactory(factory.django.DjangoModelFactory):
    """An unused launch link; ``token`` is the secret in its URL (only its digest is stored)."""

    class Meta:
        model = LaunchLink
        exclude = ("token",)

    token = factory.Sequence(lambda n: f"launch-token-{n:04d}")
    digest = factory.LazyAttribute(lambda link: _sha256(link.token))
    agent = factory.SubFactory(AgentFactory)
    incident_id = "INC-1001"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=2))


class TeamViewerTokenFactory(factory.django.DjangoModelFactory):
    """A live token: an hour left, well outside the refresh margin."""

    class Meta:
        model = TeamViewerToken

    agent = factory.SubFactory(AgentFactory)
    access_token = factory.Sequence(lambda n: f"access-token-{n}-plaintext")
    refresh_token = factory.Sequence(lambda n: f"refresh-token-{n}-plaintext")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class LoginFlowFactory(factory.django.DjangoModelFactory):
    """A login the agent has not opened yet (its start link unused)."""

    class Meta:
        model = LoginFlow

    agent = factory.SubFactory(AgentFactory)

    class Params:
        # Sent to TeamViewer: the state the callback must bring back.
        started = factory.Trait(status=LoginFlow.Status.STARTED, started_at=factory.LazyFunction(timezone.now))


class JournalNoteFactory(factory.django.DjangoModelFactory):
    """A pending note for INC-1001's journal, its marker in its text, as ``journal_note`` writes it."""

    class Meta:
        model = JournalNote

    session_id = factory.LazyFunction(uuid.uuid4)
    incident_id = "INC-1001"
    event = JournalNote.Event.CREATED
    language = "en"
    marker = factory.LazyFunction(new_marker)
    text = factory.LazyAttribute(lambda note: f"TeamViewer session created {note.marker}\nSession code: s98-765-432")
