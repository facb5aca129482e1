"""Incidents and their journals: lookups, the related list, and the related save (csm-api.md §A2-A3).

Which incidents exist: a newcomer types an incident's number on the incident page, so the
sandbox knows every public ID shaped like one CSM makes (digits, ``102522``), or with a short
prefix (``INC-1001``), making it on first lookup; any other public ID, and any RecID it has not
handed out, is unknown (500 ``RECORDNOTFOUND``, as on a live server).
"""
from __future__ import annotations

import re
import secrets
from typing import Any

from django.db import IntegrityError, transaction

from . import catalogue
from .models import Incident, Journal
from .protocol import CsmFailure, bad_request, not_found, ok_body

KNOWN_PUBLIC_ID = re.compile(r"(?:[A-Za-z]{1,10}-)?\d{1,12}")


def new_rec_id() -> str:
    return secrets.token_hex(21)  # 42 hex characters, like CSM's RecIDs


def incident_by_public_id(public_id: str) -> Incident:
    found = Incident.objects.filter(public_id=public_id).first()
    if found is not None:
        return found
    if not KNOWN_PUBLIC_ID.fullmatch(public_id):
        raise not_found()
    try:
        with transaction.atomic():
            return Incident.objects.create(public_id=public_id, rec_id=new_rec_id())
    except IntegrityError:  # made by a concurrent lookup
        return Incident.objects.get(public_id=public_id)


def incident_by_rec_id(rec_id: str) -> Incident:
    found = Incident.objects.filter(rec_id=rec_id.lower()).first()
    if found is None:
        raise not_found()
    return found


def require_incident_object(busobid: str) -> None:
    if busobid.lower() != catalogue.INCIDENT:
        raise not_found("Business object not found")


def incident_json(busobid: str, incident: Incident) -> dict[str, Any]:
    require_incident_object(busobid)
    values = {"RecID": incident.rec_id, "IncidentID": incident.public_id, "Status": "New",
              "ShortDescription": f"Sandbox incident {incident.public_id}"}
    fields = [catalogue.field_item(catalogue.INCIDENT, item, values[item.name]) for item in catalogue.INCIDENT_FIELDS]
    return ok_body(busObId=catalogue.INCIDENT, busObPublicId=incident.public_id, busObRecId=incident.rec_id,
                   fields=fields, links=[])


def journal_json(journal: Journal) -> dict[str, Any]:
    values = {
        "RecID": journal.rec_id, "Details": journal.details, "JournalTypeID": journal.type_id,
        "JournalTypeName": journal.type_name, "ParentTypeID": catalogue.INCIDENT,
        "ParentRecID": journal.incident.rec_id, "CreatedBy": journal.created_by,
        "CreatedDateTime": journal.created_at.strftime("%m/%d/%Y %I:%M:%S %p"),
    }
    fields = [catalogue.field_item(journal.busobid, item, values[item.name]) for item in catalogue.JOURNAL_FIELDS]
    return ok_body(busObId=journal.busobid, busObPublicId=journal.rec_id, busObRecId=journal.rec_id,
                   fields=fields, links=[])


def related_list(*, parent_busobid: str, parent_rec_id: str, relationship_id: str, query: dict[str, str]) -> dict:
    require_incident_object(parent_busobid)
    _require_relationship(relationship_id)
    incident = incident_by_rec_id(parent_rec_id)
    page, size = _positive(query, "pageNumber", 1), _positive(query, "pageSize", 10)
    journals = incident.journals.select_related("incident").order_by("pk")
    items = journals[(page - 1) * size: page * size]
    return ok_body(
        parentBusObId=catalogue.INCIDENT, parentBusObPublicId=incident.public_id,
        parentBusObRecId=incident.rec_id, relationshipId=catalogue.OWNS_JOURNALS,
        pageNumber=page, pageSize=size, totalRecords=journals.count(),
        relatedBusinessObjects=[journal_json(item) for item in items], links=[],
    )


def _positive(query: dict[str, str], name: str, default: int) -> int:
    # Pages count from 1 here; 0 is taken as the first page.
    value = query.get(name) or query.get(name.lower()) or ""
    return max(1, int(value)) if value.isdigit() else default


def _require_relationship(relationship_id: str) -> None:
    if relationship_id.lower() != catalogue.OWNS_JOURNALS:
        raise bad_request("RELATIONSHIPNOTFOUND", "Relationship not found")


def related_save(data: dict[str, Any], *, username: str) -> dict[str, Any]:
    """Save a new journal under an incident through the journal relationship."""
    require_incident_object(str(data.get("parentBusObId") or ""))
    _require_relationship(str(data.get("relationshipId") or ""))
    incident = _parent(data)
    busobid = str(data.get("busObId") or "").lower()
    if busobid != catalogue.JOURNAL_GROUP and busobid not in catalogue.JOURNAL_TYPES:
        raise bad_request("BUSOBNOTFOUND", "The business object cannot be saved under this relationship.")
    if data.get("busObRecId") or data.get("busObPublicId"):
        raise bad_request("NOTSUPPORTED", "The sandbox only creates journals; it does not update them.")
    values = _dirty_values(busobid, data.get("fields"))
    type_id = (values.get("JournalTypeID") or (busobid if busobid in catalogue.JOURNAL_TYPES else "")).lower()
    _validate(busobid, values, type_id)
    journal = Journal(
        incident=incident, rec_id=new_rec_id(), busobid=busobid, type_id=type_id,
        type_name=catalogue.JOURNAL_TYPES[type_id], details=values["Details"], created_by=username,
    )
    if data.get("persist") is not False:
        journal.save()
    return ok_body(
        busObPublicId=journal.rec_id, busObRecId=journal.rec_id,
        cacheKey=None if data.get("persist") is not False else journal.rec_id,
        fieldValidationErrors=[], notificationTriggers=[], parentBusObId=catalogue.INCIDENT,
        parentBusObPublicId=incident.public_id, parentBusObRecId=incident.rec_id,
        relationshipId=catalogue.OWNS_JOURNALS,
    )


def _parent(data: dict[str, Any]) -> Incident:
    if data.get("parentBusObRecId"):
        return incident_by_rec_id(str(data["parentBusObRecId"]))
    if data.get("parentBusObPublicId"):
        return incident_by_public_id(str(data["parentBusObPublicId"]))
    raise bad_request("BADREQUEST", "parentBusObRecId or parentBusObPublicId is required.")


def _dirty_values(busobid: str, fields: Any) -> dict[str, str]:
    """The values of the dirty fields, each matched to the template by id (or name)."""
    if not isinstance(fields, list):
        raise bad_request("BADREQUEST", "fields must be a list.")
    template = catalogue.fields_of(busobid) or []
    by_id = {item.field_id: item for item in template}
    by_name = {item.name.lower(): item for item in template}
    values: dict[str, str] = {}
    for entry in fields:
        if not isinstance(entry, dict):
            raise bad_request("BADREQUEST", "Each field must be an object.")
        field_id = str(entry.get("fieldId") or "").lower().rsplit("fi:", 1)[-1]
        known = by_id.get(field_id) or (None if field_id else by_name.get(str(entry.get("name") or "").lower()))
        if known is None:
            raise bad_request("FIELDNOTFOUND", f"Field {entry.get('fieldId') or entry.get('name')!r} is not "
                                               "in the business object's template.")
        if entry.get("dirty") is True:
            values[known.name] = str(entry.get("value") or "")
    if not values:
        raise bad_request("NOCHANGES", "No field is marked dirty: there is nothing to save.")
    return values


def _validate(busobid: str, values: dict[str, str], type_id: str) -> None:
    template = {item.name: item for item in catalogue.fields_of(busobid) or []}
    errors = []
    if not values.get("Details", "").strip():
        errors.append({"error": "Details is required.", "errorCode": "REQUIRED",
                       "fieldId": template["Details"].field_id})
    if type_id not in catalogue.JOURNAL_TYPES:
        errors.append({"error": "Journal TypeID must be a journal type.", "errorCode": "INVALIDVALUE",
                       "fieldId": template["JournalTypeID"].field_id})
    read_only = [name for name in values if template[name].read_only]
    errors += [{"error": f"{name} is read-only.", "errorCode": "READONLY", "fieldId": template[name].field_id}
               for name in read_only]
    if errors:
        raise CsmFailure(400, "FIELDVALIDATIONERROR", "The record did not pass validation.",
                         fieldValidationErrors=errors)
