"""The CSM client services use (interface fixed; bodies being written)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IncidentRef:
    """An incident CSM knows: its business object id, RecID and public ID."""

    busobid: str
    busobrecid: str
    busobpublicid: str


class CsmClient:
    def find_incident(self, incident_id: str) -> IncidentRef:
        """The incident by public ID, or by RecID when ``incident_id`` is 32 or 42 hex characters."""
        raise NotImplementedError

    def journal_texts(self, incident: IncidentRef) -> list[str]:
        """The text of every journal the incident owns (to look for a note's marker)."""
        raise NotImplementedError

    def add_journal_note(self, incident: IncidentRef, text: str) -> str:
        """Save one journal note under the incident; the new journal's RecID."""
        raise NotImplementedError


def csm_client() -> CsmClient:
    return CsmClient()
