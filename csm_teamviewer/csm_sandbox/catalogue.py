"""The business objects the sandbox's CSM has, as an out-of-the-box CSM describes them.

Shapes from csm-api.md §A2-A3: summaries (``busObId``, ``name``, ``displayName``,
``groupSummaries``…), schemas with ``fieldDefinitions`` and ``relationships``, templates. The
Incident id is the out-of-the-box one; the others are the sandbox's own, and clients must look
them all up by name, as against a real CSM.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INCIDENT = "6dd53665c0c24cab86870a21cf6434ae"
JOURNAL_GROUP = "9341bdb9ae2df7c4b0a2e54d2a8ac7cfde7e0b23a1"
JOURNAL_NOTE = "934d8181ba9d3a6a506d7643e1bc71f70fa9b47412"
JOURNAL_HISTORY = "934d818277bd6c2f67a3f0e44b5a95d0ee6a5f3c11"
JOURNAL_REMOTE = "934d8183c4e1f9a07b9e48f2a8c0c62bd0f4e19a7e"
OWNS_JOURNALS = "9343f8800b5d8c1b95bbd64e3b9c2cd0b3e3f6c2a4"
OWNS_TASKS = "9369187528b417b4a17aaa4c4e8c0e4fd8fc7a3b25"
LINKS_CUSTOMER = "933bd530833c64efbf66f84114acabb1e90c9d7b8f"

JOURNAL_TYPES = {
    JOURNAL_NOTE: "Journal - Note",
    JOURNAL_HISTORY: "Journal - History",
    JOURNAL_REMOTE: "Journal - Remote Support History",
}


@dataclass(frozen=True)
class Field:
    name: str
    display_name: str
    field_id: str
    required: bool = False
    read_only: bool = False


INCIDENT_FIELDS = [
    Field("RecID", "RecID", "fa03d51b709b4a2ab08bf7b41fe2ccbb", read_only=True),
    Field("IncidentID", "Incident ID", "6ae282c55e8e4266ae66ffc070c17fa3", read_only=True),
    Field("Status", "Status", "5eb3234ae1344c64a19819eda437f18d"),
    Field("ShortDescription", "Short Description", "93e8ea93ff67fd95118255419690a50ef2d56f910c"),
]
JOURNAL_FIELDS = [
    Field("RecID", "RecID", "934c1e8a6d5c7b43c6bb5e4f3bb3a1d0a70ac4e1d0", read_only=True),
    Field("Details", "Details", "934c1e8b0f6e3fd4a4cd4bdfa1f9e38cf65e7e2a10", required=True),
    Field("JournalTypeID", "Journal TypeID", "934c1e8b6b0f6b7b1a8a4b9cbcf83a10c5e1d7e3a2", required=True),
    Field("JournalTypeName", "Journal Type Name", "934c1e8c1b6d4e0f8c3a4e9b2f7d6c5a4b3e2d1f00"),
    Field("ParentTypeID", "Parent TypeID", "934c1e8c9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"),
    Field("ParentRecID", "Parent RecID", "934c1e8d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c"),
    Field("CreatedDateTime", "Created Date Time", "934c1e8d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e", read_only=True),
    Field("CreatedBy", "Created By", "934c1e8e3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b", read_only=True),
]


def summary(busobid: str, name: str, display_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "busObId": busobid,
        "name": name,
        "displayName": display_name,
        "major": extra.get("major", False),
        "supporting": extra.get("supporting", False),
        "lookup": False,
        "group": extra.get("group", False),
        "groupSummaries": extra.get("members", []),
        "firstRecIdField": None,
        "recIdFields": None,
        "stateFieldId": None,
        "states": extra.get("states"),
    }


def _internal(display_name: str) -> str:
    return "".join(char for char in display_name if char.isalnum())


def journal_type_summaries() -> list[dict[str, Any]]:
    return [summary(busobid, _internal(name), name, supporting=True) for busobid, name in JOURNAL_TYPES.items()]


def summaries() -> list[dict[str, Any]]:
    """Every business object, the journal group with its members."""
    incident = summary(
        INCIDENT, "Incident", "Incident", major=True,
        states="Pending,Closed,Reopened,New,In Progress,Resolved,Assigned",
    )
    journal = summary(JOURNAL_GROUP, "Journal", "Journal", group=True, members=journal_type_summaries())
    return [incident, journal]


def find_summary(*, name: str = "", busobid: str = "") -> dict[str, Any] | None:
    """A summary by (internal or display) name or by id, members of groups included."""
    everything = [*summaries(), *journal_type_summaries()]
    for item in everything:
        if busobid and item["busObId"] == busobid.lower():
            return item
        if name and name.casefold() in (item["name"].casefold(), item["displayName"].casefold()):
            return item
    return None


def fields_of(busobid: str) -> list[Field] | None:
    if busobid == INCIDENT:
        return INCIDENT_FIELDS
    if busobid == JOURNAL_GROUP or busobid in JOURNAL_TYPES:
        return JOURNAL_FIELDS
    return None


def field_item(busobid: str, item: Field, value: str = "") -> dict[str, Any]:
    """A field as templates and records show it."""
    return {
        "dirty": False,
        "displayName": item.display_name,
        "fieldId": item.field_id,
        "fullFieldId": f"BO:{busobid},FI:{item.field_id}",
        "html": None,
        "name": item.name,
        "value": value,
    }


def _relationship(relationship_id: str, display_name: str, target: str, cardinality: str) -> dict[str, Any]:
    return {
        "relationshipId": relationship_id,
        "displayName": display_name,
        "target": target,
        "cardinality": cardinality,
        "description": "",
        "fieldDefinitions": [],
    }


def relationships_of(busobid: str) -> list[dict[str, Any]]:
    if busobid != INCIDENT:
        return []
    return [
        _relationship(LINKS_CUSTOMER, "Incident Links Customer", "93405caa107c376a2bd15c4c8885a900be316f3a72", "Many"),
        _relationship(OWNS_JOURNALS, "Incident Owns Journals", JOURNAL_GROUP, "Many"),
        _relationship(OWNS_TASKS, "Incident Owns Tasks", "9355d5ed41e384ff345b014b6cb1c6e748594aea5b", "Many"),
    ]


def schema(busobid: str) -> dict[str, Any] | None:
    found = find_summary(busobid=busobid)
    fields = fields_of(busobid.lower())
    if found is None or fields is None:
        return None
    definitions = [
        {"fieldId": item.field_id, "name": item.name, "displayName": item.display_name, "type": "Text",
         "required": item.required, "readOnly": item.read_only, "maximumSize": "0"}
        for item in fields
    ]
    return {
        "busObId": found["busObId"],
        "name": found["name"],
        "fieldDefinitions": definitions,
        "relationships": relationships_of(found["busObId"]),
        "gridDefinitions": [],
        "firstRecIdField": fields[0].field_id,
        "recIdFields": fields[0].field_id,
        "stateFieldId": None,
        "states": found["states"],
    }
