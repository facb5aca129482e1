"""The CSM client services use: find an incident, read its journals, add a note, check the setup.

Ids come from discovery (``discovery.py``), cached; when CSM says a record or field is unknown
the ids are looked up again once, and the call repeated only if they changed (a refused call
saved nothing, so repeating it cannot write a note twice). A save that may have reached CSM is
never repeated here: it raises ``CsmUnavailable(uncertain=True)`` for the caller to look first.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings

from .api import CsmApi
from .check import CheckReport, run_check
from .discovery import DETAILS, TYPE_ID, TYPE_NAME, Discovery, DiscoveryCache, Names
from .errors import CsmConfigurationError, CsmIncidentNotFound, CsmRecordNotFound, CsmRejected
from .http import CsmAccount, CsmHttp

# A RecID is 32 or 42 hexadecimal characters (csm-api.md §A2 "Ids"); anything else is a public ID.
REC_ID = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{42}")
PAGE_SIZE = 200
MAX_PAGES = 50

T = TypeVar("T")


@dataclass(frozen=True)
class IncidentRef:
    """An incident CSM knows: its business object id, RecID and public ID."""

    busobid: str
    busobrecid: str
    busobpublicid: str


def is_rec_id(incident_id: str) -> bool:
    return REC_ID.fullmatch(incident_id) is not None


class CsmClient:
    def __init__(self, *, account: CsmAccount, timeout: tuple[float, float], names: Names) -> None:
        self.http = CsmHttp(account=account, timeout=timeout)
        self.api = CsmApi(self.http)
        self.names = names
        self.discovery = DiscoveryCache(self.api, names)

    def __repr__(self) -> str:
        return f"CsmClient({self.http!r})"

    def find_incident(self, incident_id: str) -> IncidentRef:
        """The incident by public ID, or by RecID when ``incident_id`` is 32 or 42 hex characters."""
        incident_id = incident_id.strip()
        return self._on_incident(incident_id, lambda ids: self._lookup(ids.incident_busobid, incident_id))

    def journal_texts(self, incident: IncidentRef) -> list[str]:
        """The text of every journal the incident owns (to look for a note's marker)."""
        return self._on_incident(_label(incident), lambda ids: self._journal_texts(ids, incident))

    def add_journal_note(self, incident: IncidentRef, text: str) -> str:
        """Save one journal note under the incident; the new journal's RecID."""
        return self._on_incident(_label(incident), lambda ids: self._save_note(ids, incident, text))

    def check(self, incident_id: str | None = None) -> CheckReport:
        """Sign in, discover and optionally find the incident: what was found, or what is wrong."""
        return run_check(self, incident_id)

    def _on_incident(self, incident_id: str, operation: Callable[[Discovery], T]) -> T:
        """Run an operation on one incident; what CSM still refuses with fresh ids is final."""
        try:
            return self._with_fresh_ids(operation)
        except CsmRecordNotFound as exc:
            raise CsmIncidentNotFound(
                f"CSM knows no incident {incident_id!r}.", code=exc.code, http_status=exc.http_status
            ) from None
        except CsmRejected as exc:
            raise CsmConfigurationError(
                f"CSM refused the request: {exc.message}", code=exc.code, http_status=exc.http_status
            ) from None

    def _with_fresh_ids(self, operation: Callable[[Discovery], T]) -> T:
        ids = self.discovery.get()
        try:
            return operation(ids)
        except (CsmRecordNotFound, CsmRejected):
            self.discovery.forget()
            fresh = self.discovery.get()
            if fresh == ids:
                raise
        return operation(fresh)

    def _lookup(self, busobid: str, incident_id: str) -> IncidentRef:
        if is_rec_id(incident_id):
            record = self.api.by_rec_id(busobid, incident_id.lower())
        else:
            record = self.api.by_public_id(busobid, incident_id)
        rec_id = str(record.get("busObRecId") or "")
        if not rec_id:
            raise CsmRecordNotFound(f"CSM returned no record for {incident_id!r}.")
        return IncidentRef(
            busobid=str(record.get("busObId") or busobid),
            busobrecid=rec_id,
            busobpublicid=str(record.get("busObPublicId") or incident_id),
        )

    def _journal_texts(self, ids: Discovery, incident: IncidentRef) -> list[str]:
        journals: dict[str, str] = {}
        total = 0
        for page in range(1, MAX_PAGES + 1):
            body = self._related_page(ids, incident, page)
            items = body.get("relatedBusinessObjects") or []
            fresh = {_rec_id(item): _text(item) for item in items if _rec_id(item) not in journals}
            journals.update(fresh)
            total = int(body.get("totalRecords") or 0)
            if not fresh or len(items) < PAGE_SIZE or (total and len(journals) >= total):
                break
        if total > len(journals):
            # Sources do not say whether pages count from 0 or 1: a server counting from 0
            # skipped its first page above.
            body = self._related_page(ids, incident, 0)
            for item in body.get("relatedBusinessObjects") or []:
                journals.setdefault(_rec_id(item), _text(item))
        return list(journals.values())

    def _related_page(self, ids: Discovery, incident: IncidentRef, page: int) -> dict[str, Any]:
        return self.api.related(
            parent_busobid=incident.busobid,
            parent_recid=incident.busobrecid,
            relationship_id=ids.relationship_id,
            page=page,
            page_size=PAGE_SIZE,
        )

    def _save_note(self, ids: Discovery, incident: IncidentRef, text: str) -> str:
        payload = {
            "parentBusObId": incident.busobid,
            "parentBusObRecId": incident.busobrecid,
            "parentBusObPublicId": incident.busobpublicid,
            "relationshipId": ids.relationship_id,
            "busObId": ids.journal_busobid,
            "fields": _note_fields(ids, text),
            # persist's default is not documented; false would only cache the record.
            "persist": True,
        }
        answer = self.api.save_related(payload)
        errors = answer.get("fieldValidationErrors") or []
        if errors:
            detail = "; ".join(str(item.get("error") or item.get("errorCode")) for item in errors)
            raise CsmRejected(detail or "CSM refused a field of the note.", code="FIELDVALIDATION")
        rec_id = str(answer.get("busObRecId") or "")
        if not rec_id:
            raise CsmRejected("CSM answered the save without the new journal's RecID.")
        return rec_id


def _note_fields(ids: Discovery, text: str) -> list[dict[str, Any]]:
    """The fields of a new note, each ``dirty`` (only dirty fields are written)."""
    values = {DETAILS: text, TYPE_ID: ids.journal_type_id, TYPE_NAME: ids.journal_type_name}
    return [
        {"dirty": True, "fieldId": ids.field_ids[name], "name": name, "value": value}
        for name, value in values.items()
        if name in ids.field_ids and value
    ]


def _label(incident: IncidentRef) -> str:
    return incident.busobpublicid or incident.busobrecid


def _rec_id(item: dict[str, Any]) -> str:
    return str(item.get("busObRecId") or id(item))


def _text(item: dict[str, Any]) -> str:
    fields = [entry for entry in item.get("fields") or [] if isinstance(entry, dict)]
    details = [str(entry.get("value") or "") for entry in fields if entry.get("name") == DETAILS]
    if details:
        return "\n".join(details)
    # No Details field in the answer: every text it has, so a marker is still found.
    return "\n".join(str(entry.get("value")) for entry in fields if isinstance(entry.get("value"), str))


_local = threading.local()


def csm_client() -> CsmClient:
    """The client built from settings, one per thread (its connection pool is reused)."""
    account = CsmAccount(
        api_url=settings.CSM_API_URL,
        client_id=settings.CSM_CLIENT_ID,
        username=settings.CSM_USERNAME,
        password=settings.CSM_PASSWORD,
        auth_mode=settings.CSM_AUTH_MODE,
    )
    key = (account, tuple(settings.CSM_TIMEOUT), Names.from_settings())
    client = getattr(_local, "client", None)
    if client is None or getattr(_local, "key", None) != key:
        client = CsmClient(account=account, timeout=key[1], names=key[2])
        _local.client, _local.key = client, key
    return client
