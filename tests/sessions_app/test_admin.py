"""The Django admin: every page renders, no secret is ever on one, actions go through the services."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions_app.models import ApiKey, AuditEvent, InvitationEmail, InvitationTemplate, Session
from sessions_app.services.api_keys import api_key_authenticate, api_key_create
from sessions_app.services.audit import audit_record
from sessions_app.services.emails import invitation_queue
from tests.conftest import TV_API
from tokens_app.models import LoginFlow, TeamViewerToken

ACCESS_TOKEN = "tv-access-PLAINTEXT-7f3a9c"
REFRESH_TOKEN = "tv-refresh-PLAINTEXT-2b8e4d"
SUPPORTER_LINK = "https://start.teamviewer.test/s12-345-678?secret=SUPPORTER-PLAINTEXT"
WEBCLIENT_LINK = "https://login.teamviewer.test/s12-345-678?secret=WEBCLIENT-PLAINTEXT"
ADMIN_APPS = ("sessions_app", "tokens_app", "auth")


def make_session(agent, **overrides) -> Session:
    values = {
        "incident_id": "INC-3003",
        "code": "s12-345-678",
        "state": Session.State.OPEN,
        "end_customer_link": "https://get.teamviewer.test/s12345678",
        "supporter_link": SUPPORTER_LINK,
        "webclient_supporter_link": WEBCLIENT_LINK,
        "requester_name": "Hanako Yamada",
        "requester_email": "hanako@example.com",
        "valid_until": timezone.now() + timedelta(hours=24),
    }
    values.update(overrides)
    return Session.objects.create(agent=agent, **values)


def make_token(user, access: str = ACCESS_TOKEN, refresh: str = REFRESH_TOKEN) -> TeamViewerToken:
    return TeamViewerToken.objects.create(
        agent=user, access_token=access, refresh_token=refresh, expires_at=timezone.now() + timedelta(hours=1)
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def run_action(client: Client, model: type, action: str, objects: list) -> object:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    data = {"action": action, "_selected_action": [str(obj.pk) for obj in objects]}
    return client.post(url, data, follow=True)


@pytest.fixture
def secrets(agent) -> dict:
    """One of everything, holding secrets whose plaintext must never reach an admin page."""
    session = make_session(agent)
    make_token(agent)
    flow = LoginFlow.objects.create(
        agent=agent, action="close", action_args={"session_id": str(session.pk)},
        status=LoginFlow.Status.COMPLETED, result={"ok": True, "session": {"supporter_link": SUPPORTER_LINK}},
    )
    api_key, key = api_key_create(name="CSM production")
    invitation_queue(session=session, requested_by=agent, language="ja")
    audit_record(action=AuditEvent.Action.CREATE, actor=agent, session=session, via="api")
    InvitationTemplate.objects.create(language="en", subject="Support {{ incident_id }}", text_body="{{ link }}")
    return {
        "access token": ACCESS_TOKEN,
        "refresh token": REFRESH_TOKEN,
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
    user = get_user_model().objects.create_user(username="ops.sato", password="pw-ops-sato", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["sessions_app", "tokens_app"]))
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


# --- pages --------------------------------------------------------------------------------------


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
    make_session(other_agent, incident_id="INC-4004", code="s44-444-444", state=Session.State.CLOSED)
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


# --- session actions ----------------------------------------------------------------------------


def test_close_action_closes_at_teamviewer_with_the_agents_token(agent, admin_client, tv):
    session = make_session(agent)
    make_token(agent)
    tv.put(f"{TV_API}/sessions/s12-345-678", status=204)

    response = run_action(admin_client, Session, "close_sessions", [session])

    [call] = tv.calls
    assert call.request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert json.loads(call.request.body) == {"state": "closed"}
    session.refresh_from_db()
    assert session.state == "closed" and session.closed_at is not None
    assert any("Closed" in message for message in messages_of(response))
    event = AuditEvent.objects.get(action="close")
    assert (event.via, event.outcome, event.actor.username) == ("admin", "ok", "admin")


def test_close_action_without_the_agents_token_says_login_required(agent, admin_client, tv):
    session = make_session(agent)

    response = run_action(admin_client, Session, "close_sessions", [session])

    assert len(tv.calls) == 0
    [message] = messages_of(response)
    assert message.startswith(f"{session}: login required:") and "agent.smith" in message
    assert Session.objects.get(pk=session.pk).state == "open"


def test_close_action_on_own_session_without_token_shows_the_login_link(admin_user, admin_client, tv):
    session = make_session(admin_user)

    response = run_action(admin_client, Session, "close_sessions", [session])

    [message] = messages_of(response)
    flow = LoginFlow.objects.get(agent=admin_user, action="close")
    assert message == f"{session}: login required: {flow.authorize_url}"


def test_close_action_reports_teamviewer_errors_per_session(agent, admin_client, tv):
    session = make_session(agent)
    make_token(agent)
    tv.put(f"{TV_API}/sessions/s12-345-678", status=503)

    response = run_action(admin_client, Session, "close_sessions", [session])

    [message] = messages_of(response)
    assert "teamviewer_unavailable" in message
    assert Session.objects.get(pk=session.pk).state == "open"


def test_resend_action_queues_an_invitation_through_the_service(agent, admin_client, django_capture_on_commit_callbacks):
    session = make_session(agent)

    with django_capture_on_commit_callbacks() as callbacks:
        response = run_action(admin_client, Session, "resend_invitations", [session])

    email = InvitationEmail.objects.get(session=session)
    assert (email.status, email.to) == ("queued", "hanako@example.com")
    assert email.requested_by.username == "admin"
    assert len(callbacks) == 1  # handed to a worker once the transaction commits
    assert Session.objects.get(pk=session.pk).email_status == "queued"
    assert any("invitation queued to hanako@example.com" in message for message in messages_of(response))
    assert AuditEvent.objects.filter(action="email", via="admin", outcome="ok").exists()


def test_resend_action_on_closed_session_reports_the_error(agent, admin_client):
    session = make_session(agent, state=Session.State.CLOSED)

    response = run_action(admin_client, Session, "resend_invitations", [session])

    assert not InvitationEmail.objects.exists()
    [message] = messages_of(response)
    assert "session_closed" in message


def test_session_actions_need_the_change_permission(agent, db):
    session = make_session(agent)
    viewer = get_user_model().objects.create_user(username="viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_session"))
    client = Client()
    client.force_login(viewer)

    page = client.get(reverse("admin:sessions_app_session_changelist"))
    run_action(client, Session, "resend_invitations", [session])

    assert page.status_code == 200
    assert "resend_invitations" not in page.content.decode()
    assert not InvitationEmail.objects.exists()


# --- the outbox ---------------------------------------------------------------------------------


def test_retry_now_requeues_a_failed_invitation(agent, admin_client, django_capture_on_commit_callbacks):
    session = make_session(agent, email_status=Session.EmailStatus.FAILED)
    email = InvitationEmail.objects.create(
        session=session, to="hanako@example.com", language="en", status="failed", attempts=8,
        last_error="ConnectionRefusedError: Connection refused", next_attempt_at=timezone.now() + timedelta(hours=1),
    )

    with django_capture_on_commit_callbacks() as callbacks:
        response = run_action(admin_client, InvitationEmail, "retry_now", [email])

    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 0)
    assert email.next_attempt_at <= timezone.now()
    assert Session.objects.get(pk=session.pk).email_status == "queued"
    assert len(callbacks) == 1
    assert "1 invitation(s) queued again." in messages_of(response)


def test_outbox_list_shows_status_attempts_error_and_next_attempt(agent, admin_client):
    session = make_session(agent)
    InvitationEmail.objects.create(
        session=session, to="hanako@example.com", language="ja", attempts=3,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )

    html = admin_client.get(reverse("admin:sessions_app_invitationemail_changelist")).content.decode()

    assert "SMTPServerDisconnected: Connection unexpectedly closed" in html
    assert "INC-3003" in html and "hanako@example.com" in html
    assert "Next attempt" in html


# --- API keys -----------------------------------------------------------------------------------


def test_new_api_key_is_shown_once_and_works(admin_client):
    response = admin_client.post(reverse("admin:sessions_app_apikey_add"), {"name": "CSM staging"}, follow=True)

    api_key = ApiKey.objects.get(name="CSM staging")
    [key_message] = [m for m in messages_of(response) if "The new API key is" in m]
    key = key_message.split("<code>")[1].split("</code>")[0]
    assert key.startswith("csmtv_") and api_key_authenticate(key=key) == api_key
    html = response.content.decode()
    assert html.count(key) == 1 and api_key.digest not in html

    later = admin_client.get(reverse("admin:sessions_app_apikey_change", args=[api_key.pk])).content.decode()
    assert key not in later and api_key.digest not in later
    assert key not in admin_client.get(reverse("admin:sessions_app_apikey_changelist")).content.decode()


def test_api_key_add_form_asks_only_for_a_name(admin_client):
    form = admin_client.get(reverse("admin:sessions_app_apikey_add")).context["adminform"].form

    assert list(form.fields) == ["name"]


def test_revoke_action_revokes_keys_through_the_service(admin_client, db):
    api_key, key = api_key_create(name="old")

    run_action(admin_client, ApiKey, "revoke", [api_key])

    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_key_authenticate(key=key) is None


# --- invitation wording -------------------------------------------------------------------------


def test_invitation_template_with_unknown_placeholder_is_refused_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:sessions_app_invitationtemplate_add"),
        {"language": "ja", "is_active": "on", "subject": "ご案内 {{ incident }}", "text_body": "{{ link }}", "html_body": ""},
    )

    assert response.status_code == 200
    assert "Unknown placeholder" in response.content.decode()
    assert not InvitationTemplate.objects.exists()


def test_invitation_template_can_be_saved_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:sessions_app_invitationtemplate_add"),
        {"language": "ja", "is_active": "on", "subject": "ご案内 {{ incident_id }}", "text_body": "{{ link }}", "html_body": ""},
    )

    assert response.status_code == 302
    assert InvitationTemplate.objects.get(language="ja").subject == "ご案内 {{ incident_id }}"
