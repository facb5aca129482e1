"""The audit's former gaps, each an event with its actor and time: launch links issued and used,
API keys created and revoked (command and admin), invitation templates edited."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import ApiKey, InvitationTemplate
from tests.factories import ApiKeyFactory, InvitationTemplateFactory

from .conftest import API

Action = AuditEvent.Action


def only_event(action: str) -> AuditEvent:
    (event,) = AuditEvent.objects.filter(action=action)
    assert abs((timezone.now() - event.at).total_seconds()) < 60
    return event


def test_a_launch_link_is_audited_when_issued_and_when_used(api, agent, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    url = api.post(f"{API}/launch/", {"incident_id": "INC-1001"}, format="json").json()["url"]

    issued = only_event(Action.LAUNCH_ISSUED)
    assert (issued.actor, issued.incident_id, issued.via) == (agent, "INC-1001", "api")
    assert not AuditEvent.objects.filter(action=Action.LAUNCH_USED).exists()

    assert Client().get(url.removeprefix("http://testserver")).status_code == 302
    used = only_event(Action.LAUNCH_USED)
    assert (used.actor, used.incident_id, used.via) == (agent, "INC-1001", "page")
    # The token opens the page: it is in no event.
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert not AuditEvent.objects.filter(detail__contains=token).exists()


def test_a_refused_launch_link_is_not_audited_as_used(db):
    Client().get("/incidents/launch/" + "A" * 43 + "/")
    assert not AuditEvent.objects.filter(action=Action.LAUNCH_USED).exists()


def test_the_command_audits_the_key_it_creates_without_the_key(db):
    out = StringIO()
    call_command("create_api_key", "CSM production", stdout=out, stderr=StringIO())

    event = only_event(Action.API_KEY_CREATED)
    api_key = ApiKey.objects.get()
    assert (event.actor, event.via) == (None, "command")
    assert event.detail == f"CSM production ({api_key.prefix}…)"
    assert out.getvalue().strip() not in event.detail


def test_the_admin_audits_the_key_it_creates_and_the_admin_who_did(admin_client, admin_user):
    admin_client.post(reverse("admin:sessions_app_apikey_add"), {"name": "CSM staging"})

    event = only_event(Action.API_KEY_CREATED)
    assert (event.actor, event.via) == (admin_user, "admin")
    assert event.detail.startswith("CSM staging (csmtv_")


def test_revoking_keys_in_the_admin_audits_each_once(admin_client, admin_user):
    first, second = ApiKeyFactory(name="first"), ApiKeyFactory(name="second")
    changelist = reverse("admin:sessions_app_apikey_changelist")
    for _ in range(2):  # revoking a revoked key again changes nothing and says nothing
        admin_client.post(changelist, {"action": "revoke", "_selected_action": [first.pk, second.pk]})

    events = AuditEvent.objects.filter(action=Action.API_KEY_REVOKED).order_by("detail")
    assert [(event.actor, event.via) for event in events] == [(admin_user, "admin")] * 2
    assert [event.detail.split(" (")[0] for event in events] == ["first", "second"]
    assert all(key.revoked_at for key in ApiKey.objects.all())


def test_editing_an_invitation_template_in_the_admin_is_audited(admin_client, admin_user):
    form = {
        "language": "ja",
        "is_active": "on",
        "subject": "リモートサポート {{ code }}",
        "text_body": "{{ link }}",
        "html_body": "",
    }
    admin_client.post(reverse("admin:sessions_app_invitationtemplate_add"), form)
    template = InvitationTemplate.objects.get()
    admin_client.post(
        reverse("admin:sessions_app_invitationtemplate_change", args=[template.pk]),
        {**form, "text_body": "{{ link }} ({{ code }})"},
    )
    admin_client.post(
        reverse("admin:sessions_app_invitationtemplate_delete", args=[template.pk]), {"post": "yes"}
    )

    events = AuditEvent.objects.filter(action=Action.TEMPLATE_EDITED).order_by("at", "pk")
    assert [(event.actor, event.via, event.detail) for event in events] == [
        (admin_user, "admin", "ja: created"),
        (admin_user, "admin", "ja: changed text_body"),
        (admin_user, "admin", "ja: deleted"),
    ]
    assert not InvitationTemplate.objects.exists()


def test_deleting_templates_from_the_list_audits_each(admin_client):
    InvitationTemplateFactory(language="ja")
    InvitationTemplateFactory(language="en")
    admin_client.post(
        reverse("admin:sessions_app_invitationtemplate_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": list(InvitationTemplate.objects.values_list("pk", flat=True)),
            "post": "yes",
        },
    )
    details = sorted(
        AuditEvent.objects.filter(action=Action.TEMPLATE_EDITED).values_list("detail", flat=True)
    )
    assert details == ["en: deleted", "ja: deleted"]
