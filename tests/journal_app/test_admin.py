"""The journal outbox in the admin: the list, its filters and search, the read-only note, "Retry"."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from journal_app.models import JournalNote
from journal_app.sending import journal_note_send
from tests.admin_actions import admin_action_post, admin_messages
from tests.factories import AgentFactory, JournalNoteFactory

CHANGELIST = reverse("admin:journal_app_journalnote_changelist")
UNKNOWN = "attempt 1: CSM knows no incident 'INC-404': No Incident with public ID INC-404"


def test_retry_requeues_failed_notes_with_fresh_attempts(admin_client, django_capture_on_commit_callbacks):
    failed = JournalNoteFactory(status="failed", attempts=10, last_error="attempt 10: CSM unavailable: 503",
                                next_attempt_at=timezone.now() + timedelta(hours=1))
    written = JournalNoteFactory(status="written")

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_action_post(admin_client, JournalNote, "retry", [failed, written])

    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0) and failed.next_attempt_at <= timezone.now()
    assert JournalNote.objects.get(pk=written.pk).status == "written"
    assert len(callbacks) == 1  # the failed one, handed to a worker on commit
    assert admin_messages(response) == [
        "1 note(s) queued again.", "1 left alone: only failed notes are retried."
    ]


def test_a_retried_note_that_csm_had_kept_is_not_written_twice(admin_client, csm):
    # Its last attempt timed out after CSM saved it, and it was marked failed: the retry looks first.
    note = JournalNoteFactory(incident_id="INC-7", status="failed", attempts=10, last_attempt_at=timezone.now())
    csm.incident("INC-7").append(note.text)

    admin_action_post(admin_client, JournalNote, "retry", [note])

    assert journal_note_send(note_id=note.pk).outcome == "written"
    assert csm.notes("INC-7") == [note.text]


def test_the_list_shows_status_event_incident_attempts_and_the_reason(admin_client):
    JournalNoteFactory(incident_id="INC-404", status="failed", attempts=1, last_error=UNKNOWN)

    html = admin_client.get(CHANGELIST).content.decode()

    assert "INC-404" in html and "Failed" in html and "Session created" in html
    assert "CSM knows no incident" in html


def test_the_list_filters_by_status_and_event_and_searches_by_incident(admin_client):
    JournalNoteFactory(incident_id="INC-1", status="failed")
    JournalNoteFactory(incident_id="INC-2", status="written", event="closed")

    def listed(**query) -> list[str]:
        response = admin_client.get(CHANGELIST, query)
        return sorted(note.incident_id for note in response.context["cl"].result_list)

    assert listed(status__exact="failed") == ["INC-1"]
    assert listed(event__exact="closed") == ["INC-2"]
    assert listed(q="INC-2") == ["INC-2"]


def test_a_note_is_shown_whole_and_read_only(admin_client):
    note = JournalNoteFactory()
    url = reverse("admin:journal_app_journalnote_change", args=[note.pk])

    html = admin_client.get(url).content.decode()

    assert note.marker in html and "Session code: s98-765-432" in html
    assert admin_client.post(url, {"status": "written"}).status_code == 403
    assert JournalNote.objects.get(pk=note.pk).status == "pending"


def test_staff_who_may_only_view_cannot_retry(db, client):
    viewer = AgentFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_journalnote"))
    client.force_login(viewer)
    note = JournalNoteFactory(status="failed")

    admin_action_post(client, JournalNote, "retry", [note])

    assert JournalNote.objects.get(pk=note.pk).status == "failed"
