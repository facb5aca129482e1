"""The factories make rows the code accepts as its own (tests/factories.py)."""

from __future__ import annotations

import pytest
from django.db import connection

from sessions_app.models import Session
from sessions_app.services.api_keys import api_key_authenticate
from tests.factories import (
    AgentFactory,
    ApiKeyFactory,
    AuditEventFactory,
    InvitationEmailFactory,
    InvitationTemplateFactory,
    LaunchLinkFactory,
    LoginFlowFactory,
    SessionFactory,
    TeamViewerTokenFactory,
)

pytestmark = pytest.mark.django_db


def test_an_api_key_made_by_the_factory_authenticates_with_its_key():
    api_key = ApiKeyFactory(key="csmtv_a-key-for-this-test")
    assert api_key_authenticate(key="csmtv_a-key-for-this-test") == api_key
    assert api_key.prefix == "csmtv_a-key-"


def test_a_session_is_its_agents_open_session_and_its_secret_is_ciphertext_at_rest():
    session = SessionFactory()
    with connection.cursor() as cursor:
        cursor.execute("SELECT supporter_link FROM sessions_app_session WHERE id = %s", [session.pk.hex])
        stored = cursor.fetchone()
    assert session.state == Session.State.OPEN and session.agent.username.startswith("agent")
    assert "secret=supporter" not in stored[0]
    assert Session.objects.get(pk=session.pk).supporter_link.endswith(f"{session.code}?secret=supporter")


def test_the_token_and_login_factories_store_through_the_model():
    token = TeamViewerTokenFactory(access_token="plain-access")
    flow = LoginFlowFactory(started=True, agent=token.agent)
    assert type(token).objects.get(pk=token.pk).access_token == "plain-access"
    assert flow.status == "started" and flow.started_at is not None


def test_the_rest_relate_to_one_session_and_agent():
    email = InvitationEmailFactory()
    event = AuditEventFactory(session=email.session)
    link = LaunchLinkFactory(agent=email.session.agent)
    template = InvitationTemplateFactory()
    assert email.to == "hanako@example.com"
    assert (event.actor, event.incident_id) == (email.session.agent, "INC-1001")
    assert link.agent == event.actor and len(link.digest) == 64
    assert template.language == "en" and AgentFactory(username=link.agent.username) == link.agent


def test_an_agent_has_no_usable_password_as_when_provisioned():
    assert not AgentFactory().has_usable_password()
