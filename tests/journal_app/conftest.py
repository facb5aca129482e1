"""A faithful in-memory CSM for the journal tests, where journal_app looks its client up.

It keeps each incident's journals as CSM would, and can be told to fail as CSM does: down (every
call raises ``CsmUnavailable``), slow past the timeout after saving (the save lands, then the call
raises ``CsmUnavailable(uncertain=True)``), refusing the settings, or not knowing an incident.
"""

from __future__ import annotations

import threading
import uuid

import pytest

from journal_app import sending

# The API's and TeamViewer's fixtures, for the tests of the session events and the API body.
from tests.sessions_app.conftest import api, api_key, smtp_down, staff, tv_token  # noqa: F401
from tokens_app.csm import CsmConfigurationError, CsmIncidentNotFound, CsmUnavailable, IncidentRef


class FakeCsm:
    """The CsmClient interface over a dict of incidents and their journals."""

    def __init__(self) -> None:
        self.journals: dict[str, list[str]] = {}
        self.unknown: set[str] = set()
        self.down = False
        self.misconfigured = False
        self.times_out_after_saving = 0  # the next N saves land, then time out
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def incident(self, public_id: str) -> list[str]:
        return self.journals.setdefault(public_id, [])

    def notes(self, public_id: str) -> list[str]:
        return list(self.journals.get(public_id, []))

    def _call(self, name: str, incident_id: str) -> None:
        with self._lock:
            self.calls.append((name, incident_id))
        if self.misconfigured:
            raise CsmConfigurationError("Invalid client id", code="INVALIDCLIENT", http_status=400)
        if self.down:
            raise CsmUnavailable("CSM answered 503", http_status=503)

    def find_incident(self, incident_id: str) -> IncidentRef:
        self._call("find_incident", incident_id)
        if incident_id in self.unknown:
            raise CsmIncidentNotFound(f"No Incident with public ID {incident_id}", code="RECORDNOTFOUND")
        return IncidentRef(busobid="incident-busob", busobrecid=f"rec-{incident_id}", busobpublicid=incident_id)

    def journal_texts(self, incident: IncidentRef) -> list[str]:
        self._call("journal_texts", incident.busobpublicid)
        return self.notes(incident.busobpublicid)

    def add_journal_note(self, incident: IncidentRef, text: str) -> str:
        self._call("add_journal_note", incident.busobpublicid)
        with self._lock:
            self.incident(incident.busobpublicid).append(text)
            saved_and_timed_out = self.times_out_after_saving > 0
            self.times_out_after_saving -= 1 if saved_and_timed_out else 0
        if saved_and_timed_out:
            raise CsmUnavailable("CSM did not answer in time", uncertain=True)
        return uuid.uuid4().hex

    def count(self, name: str) -> int:
        return sum(1 for called, _incident in self.calls if called == name)


@pytest.fixture
def csm(monkeypatch) -> FakeCsm:
    fake = FakeCsm()
    monkeypatch.setattr(sending, "csm_client", lambda: fake)
    return fake


@pytest.fixture
def handed_over(monkeypatch) -> list[int]:
    """The note ids handed to a worker (instead of the broker)."""
    ids: list[int] = []
    monkeypatch.setattr("journal_app.services.outbox_hand_over", lambda task, note_id, what: ids.append(note_id) or True)
    return ids
