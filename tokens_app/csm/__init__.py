"""The one CSM REST API client: the integration account's token, discovery, incidents, journals.

``csm_client()`` is what the journal write-back uses. Its interface (fixed; the bodies are being
written): ``find_incident(incident_id) -> IncidentRef``, ``journal_texts(incident) -> list[str]``,
``add_journal_note(incident, text) -> str`` (the new journal's RecID), and the errors below.
"""

from .client import CsmClient, IncidentRef, csm_client
from .errors import CsmConfigurationError, CsmError, CsmIncidentNotFound, CsmUnavailable

__all__ = [
    "CsmClient",
    "CsmConfigurationError",
    "CsmError",
    "CsmIncidentNotFound",
    "CsmUnavailable",
    "IncidentRef",
    "csm_client",
]
