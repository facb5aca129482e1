"""The audit trail in the admin: read-only, and a link to each session still kept."""
from __future__ import annotations

import uuid

from django.urls import reverse

from csm_teamviewer.audit.models import AuditEvent
from tests.factories import AuditEventFactory


def _change_page(client, event: AuditEvent) -> str:
    return client.get(reverse("admin:audit_auditevent_change", args=[event.pk])).content.decode()


def test_an_event_links_to_its_session_while_the_session_exists(admin_client):
    event = AuditEventFactory()
    session_url = reverse("admin:sessions_app_session_change", args=[event.session_id])
    assert f'href="{session_url}"' in _change_page(admin_client, event)


def test_an_event_of_a_deleted_session_shows_its_id_without_a_link(admin_client):
    gone = uuid.uuid4()
    event = AuditEventFactory(session=None, session_id=gone, session_code="s12-345-678")
    html = _change_page(admin_client, event)
    assert str(gone) in html and f"/admin/sessions_app/session/{gone}/" not in html


def test_the_list_searches_by_incident_and_filters_by_outcome(admin_client):
    AuditEventFactory(incident_id="INC-4004", outcome="ok")
    AuditEventFactory(incident_id="INC-5005", outcome="teamviewer_unavailable")
    url = reverse("admin:audit_auditevent_changelist")

    by_incident = admin_client.get(url, {"q": "INC-4004"}).context["cl"].result_list
    refused = admin_client.get(url, {"outcome__exact": "teamviewer_unavailable"}).context["cl"].result_list

    assert [e.incident_id for e in by_incident] == ["INC-4004"]
    assert [e.incident_id for e in refused] == ["INC-5005"]
