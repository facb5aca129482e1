"""Sessions told to the incident's CSM journal, end to end: the API, a real worker, both sandboxes.

One session from create to report writes its five notes to the CSM sandbox, each once and in
order; CSM down, failing, and slow past the timeout after saving costs retries, never a note nor
a duplicate; an incident CSM does not know fails once and holds nothing up.
"""

from __future__ import annotations

import pytest

from csm_teamviewer.csm_sandbox import faults
from journal_app.models import JournalNote
from tests.workers import wait_for

from .conftest import (
    API,
    close,
    create,
    customer_joins,
    journal_of,
    notes_of,
    session_state,
    sync_states,
    wait_written,
)
from .no_secrets import assert_nothing_secret

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

EVENTS = ["created", "emailed", "customer_waiting", "closed", "report"]


def test_a_session_from_create_to_report_is_told_once_each_in_order_and_tells_no_secret(
    api, worker, admin_client
):
    proc = worker()
    created = create(api, "INC-8101", requester_email="hanako@example.com", send_email=True)
    session_id = created["id"]
    wait_written(worker, session_id, 2)  # created, then emailed once the worker has sent the invitation
    [mail] = worker.mail.iterdir()
    assert "To: hanako@example.com" in mail.read_text()
    customer_joins(created)
    sync_states()
    wait_written(worker, session_id, 3)  # the state sync saw the customer online
    close(api, session_id)

    notes = wait_written(worker, session_id, 5)  # closed, then the report once it is final
    assert [note.event for note in notes] == EVENTS
    assert journal_of("INC-8101") == [note.text for note in notes]  # each once, in order
    report = notes[-1].text
    assert "Hanako Yamada" in report and created["code"] in report  # the customer's device, the code
    assert api.get(f"{API}/sessions/{session_id}/").json()["csm_journal"] == "written"
    assert session_state(session_id).connections.count() == 1
    assert proc.poll() is None

    assert_nothing_secret(
        session=created, notes=journal_of("INC-8101"), log=worker.log, api=api, admin=admin_client
    )
    # The admin's status page ran the check (in this process) on the worker's one sign-in.
    assert faults.login_count() == 1


def test_notes_arrive_once_each_through_csm_down_failing_and_slow_after_saving(api, worker):
    faults.inject(status=503, times=None)  # down: every call, the sign-in too
    proc = worker()
    created = create(api, "INC-8102")
    [first] = notes_of(created["id"])
    wait_for_attempts(worker, first, 2)
    assert "503" in JournalNote.objects.get(pk=first.pk).last_error
    faults.clear()
    wait_written(worker, created["id"], 1)

    # The closed note's first save fails with a 500; its second is saved, then answered later
    # than the client waits (the oldest fault is taken first).
    faults.inject(path_prefix="saverelatedbusinessobject", status=500)
    faults.inject(path_prefix="saverelatedbusinessobject", status=None, delay=CSM_SLOW, after=True)
    close(api, created["id"])

    notes = wait_written(worker, created["id"], 3)
    assert [note.event for note in notes] == ["created", "closed", "report"]
    assert journal_of("INC-8102") == [note.text for note in notes]  # once each: no duplicate
    closed, report = notes[1:]
    assert (closed.attempts, closed.csm_journal_recid) == (3, "")  # found by its marker, not saved again
    assert report.attempts == 1 and report.csm_journal_recid  # the report waited its turn
    assert proc.poll() is None


def test_an_unknown_incident_fails_after_one_attempt_and_holds_up_no_other(api, worker):
    proc = worker()
    lost = create(api, "UNKNOWN-INCIDENT")  # the sandbox knows no incident of that shape
    other = create(api, "INC-8103")

    wait_written(worker, other["id"], 1)
    close(api, other["id"])
    wait_written(worker, other["id"], 3)
    [note] = notes_of(lost["id"])
    assert (note.status, note.attempts) == ("failed", 1)
    assert "CSM knows no incident 'UNKNOWN-INCIDENT'" in note.last_error
    assert api.get(f"{API}/sessions/{lost['id']}/").json()["csm_journal"] == "failed"
    assert journal_of("UNKNOWN-INCIDENT") == [] and len(journal_of("INC-8103")) == 3
    assert proc.poll() is None


# The client's read timeout is one second; the sandbox answers the save after this.
CSM_SLOW = 2.5


def wait_for_attempts(worker, note: JournalNote, attempts: int) -> None:
    wait_for(
        lambda: JournalNote.objects.get(pk=note.pk).attempts >= attempts,
        what=f"{attempts} attempts of note {note.pk}",
        log=worker.log,
    )
