"""The Django admin's pages: every one renders and shows no secret; the session list searches."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_record
from sessions_app.models import InvitationEmail, Session
from sessions_app.services.api_keys import api_key_create
from sessions_app.services.emails import invitation_queue
from tests.factories import (
    AgentFactory,
    InvitationTemplateFactory,
    LoginFlowFactory,
    SessionFactory,
    TeamViewerTokenFactory,
)
from tokens_app.models import LoginFlow, TeamViewerToken

SUPPORTER_LINK = "https://start.teamviewer.test/s12-345-678?secret=SUPPORTER-PLAINTEXT"
WEBCLIENT_LINK = "https://login.teamviewer.test/s12-345-678?secret=WEBCLIENT-PLAINTEXT"
ADMIN_APPS = ("audit", "sessions_app", "tokens_app", "auth")


@pytest.fixture
def secrets(agent) -> dict:
    """One of everything, holding secrets whose plaintext must never reach an admin page."""
    session = SessionFactory(
        agent=agent,
        incident_id="INC-3003",
        code="s12-345-678",
        supporter_link=SUPPORTER_LINK,
        webclient_supporter_link=WEBCLIENT_LINK,
    )
    token = TeamViewerTokenFactory(agent=agent)
    flow = LoginFlowFactory(
        agent=agent, action="close", action_args={"session_id": str(session.pk)},
        status=LoginFlow.Status.COMPLETED, result={"ok": True, "session": {"supporter_link": SUPPORTER_LINK}},
    )
    api_key, key = api_key_create(name="CSM production")
    invitation_queue(session=session, requested_by=agent, language="ja")
    audit_record(action=AuditEvent.Action.CREATE, actor=agent, session=session, via="api")
    InvitationTemplateFactory(text_body="{{ link }}")
    return {
        "access token": token.access_token,
        "refresh token": token.refresh_token,
        "supporter link": SUPPORTER_LINK,
        "webclient supporter link": WEBCLIENT_LINK,
        "supporter secret": "SUPPORTER-PLAINTEXT",
        "PKCE verifier": flow.code_verifier,
        "OAuth state": flow.state,
        "login link id": flow.flow_id,
        "API key": key,
        "API key digest": api_key.digest,
    }


@pytest.fixture
def staff_client(db) -> Client:
    """A staff member (not a superuser) given every permission on the service's models."""
    user = AgentFactory(username="ops.sato", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["audit", "sessions_app", "tokens_app"]))
    client = Client()
    client.force_login(user)
    return client


def admin_pages(user) -> list[str]:
    """Every changelist, change and add page of the service's models, plus the index and status."""
    request = type("Request", (), {"user": user})()
    urls = [reverse("admin:index"), reverse("admin:tokens_app_teamviewer_status")]
    for model, model_admin in admin.site._registry.items():
        app, name = model._meta.app_label, model._meta.model_name
        if app not in ADMIN_APPS or not model_admin.has_view_or_change_permission(request):
            continue
        urls.append(reverse(f"admin:{app}_{name}_changelist"))
        for obj in model.objects.all()[:3]:
            urls.append(reverse(f"admin:{app}_{name}_change", args=[obj.pk]))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"admin:{app}_{name}_add"))
    return urls


@pytest.mark.parametrize("who", ["superuser", "staff"])
def test_every_admin_page_renders_and_shows_no_secret(who, secrets, admin_client, staff_client, admin_user):
    client = admin_client if who == "superuser" else staff_client
    user = admin_user if who == "superuser" else get_user_model().objects.get(username="ops.sato")
    pages = admin_pages(user)
    expected = {"session", "invitationemail", "invitationtemplate", "apikey", "auditevent", "teamviewertoken", "loginflow"}
    assert {url.split("/")[3] for url in pages if url.count("/") > 3} >= expected

    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for what, value in secrets.items():
            assert value not in html, f"{what} shown on {url}"


def test_session_list_searches_by_incident_and_code_and_filters(secrets, admin_client, other_agent):
    SessionFactory(agent=other_agent, incident_id="INC-4004", code="s44-444-444", state=Session.State.CLOSED)
    url = reverse("admin:sessions_app_session_changelist")

    by_incident = admin_client.get(url, {"q": "INC-4004"}).context["cl"].result_list
    by_code = admin_client.get(url, {"q": "s12-345-678"}).context["cl"].result_list
    closed = admin_client.get(url, {"state__exact": "closed"}).context["cl"].result_list
    queued = admin_client.get(url, {"email_status__exact": "queued"}).context["cl"].result_list

    assert [s.incident_id for s in by_incident] == ["INC-4004"]
    assert [s.incident_id for s in by_code] == ["INC-3003"]
    assert [s.code for s in closed] == ["s44-444-444"]
    assert [s.code for s in queued] == ["s12-345-678"]


def test_sessions_audit_outbox_and_logins_cannot_be_added_changed_or_deleted(secrets, admin_client):
    for model in (Session, AuditEvent, InvitationEmail, LoginFlow, TeamViewerToken):
        obj = model.objects.first()
        app, name = model._meta.app_label, model._meta.model_name
        assert admin_client.get(reverse(f"admin:{app}_{name}_add")).status_code == 403, name
        assert admin_client.post(reverse(f"admin:{app}_{name}_change", args=[obj.pk]), {}).status_code == 403, name
        assert admin_client.post(reverse(f"admin:{app}_{name}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=obj.pk).exists()


def test_index_links_to_the_teamviewer_status_panel(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()

    assert reverse("admin:tokens_app_teamviewer_status") in html
