"""The one CSM REST API client: the integration account's token, discovery, incidents, journals.

``csm_client()`` is what the journal write-back uses: ``find_incident(incident_id) -> IncidentRef``,
``journal_texts(incident) -> list[str]``, ``add_journal_note(incident, text) -> str`` (the new
journal's RecID), ``check(incident_id=None) -> CheckReport``, and the errors below.

- ``http``: the only module that speaks HTTP to CSM; timeouts, typed errors from the body.
- ``tokens``: the integration account's one stored token, renewed by one process at a time.
- ``api``: one method per REST operation, a refused token renewed and the call sent once more.
- ``discovery``: the ids found by the names in the settings, cached.
- ``client``: what services call. ``check``: the report of ``manage.py csm_check``.
"""

from .check import CheckReport, CheckStep
from .client import CsmClient, IncidentRef, csm_client
from .errors import (
    CsmConfigurationError,
    CsmError,
    CsmIncidentNotFound,
    CsmRecordNotFound,
    CsmRejected,
    CsmUnavailable,
)

__all__ = [
    "CheckReport",
    "CheckStep",
    "CsmClient",
    "CsmConfigurationError",
    "CsmError",
    "CsmIncidentNotFound",
    "CsmRecordNotFound",
    "CsmRejected",
    "CsmUnavailable",
    "IncidentRef",
    "csm_client",
]
