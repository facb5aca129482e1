"""The ids the write-back needs, found by the names in the settings and cached (csm-api.md §A3).

Nothing here is a hard-coded id: the incident object by name, the journal relationship by its
display name in the incident's schema, the journal type among the journal group's members, and
the journal's field ids from its template. Each step raises ``CsmConfigurationError`` saying
exactly what is missing (and what CSM has instead), which ``csm_check`` prints as it is.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext

from .api import CsmApi
from .errors import CsmConfigurationError, CsmRecordNotFound

# The journal fields written: the text, and the type (as its busObId and its display name).
DETAILS = "Details"
TYPE_ID = "JournalTypeID"
TYPE_NAME = "JournalTypeName"


@dataclass(frozen=True)
class Names:
    incident_object: str
    relationship: str
    journal_type: str

    @classmethod
    def from_settings(cls) -> Names:
        return cls(settings.CSM_INCIDENT_OBJECT, settings.CSM_JOURNAL_RELATIONSHIP, settings.CSM_JOURNAL_TYPE)


@dataclass(frozen=True)
class Discovery:
    incident_busobid: str
    relationship_id: str
    # The object saved under the relationship: the journal group (or the type itself).
    journal_busobid: str
    # The journal type's busObId (JournalTypeID's value) and display name.
    journal_type_id: str
    journal_type_name: str
    field_ids: dict[str, str] = field(default_factory=dict)


def internal_name(name: str) -> str:
    """CSM's internal name of an object: its display name without spaces or punctuation."""
    return re.sub(r"[\W_]+", "", name).casefold()


def _same(name: str, item: dict[str, Any]) -> bool:
    wanted = name.strip().casefold()
    return wanted in {str(item.get(key) or "").strip().casefold() for key in ("displayName", "name")} or (
        internal_name(name) == internal_name(str(item.get("name") or ""))
    )


class Discoverer:
    def __init__(self, api: CsmApi, names: Names) -> None:
        self.api = api
        self.names = names

    def incident_object(self) -> str:
        name = self.names.incident_object
        try:
            summaries = self.api.summary_by_name(name)
        except CsmRecordNotFound:
            summaries = []
        found = next((item["busObId"] for item in summaries if item.get("busObId")), None)
        if not found:
            raise CsmConfigurationError(
                gettext("CSM has no business object named “%(name)s” (CSM_INCIDENT_OBJECT).") % {"name": name},
                code="incident_object_not_found",
            )
        return str(found)

    def relationship(self, incident_busobid: str) -> tuple[str, str]:
        """The journal relationship's id and its target object's busObId."""
        relationships = self.api.schema(incident_busobid).get("relationships") or []
        for item in relationships:
            if _same(self.names.relationship, item) and item.get("relationshipId"):
                return str(item["relationshipId"]), str(item.get("target") or "")
        have = sorted({str(item.get("displayName") or item.get("name")) for item in relationships})
        message = gettext(
            "The %(object)s object has no relationship named “%(name)s” (CSM_JOURNAL_RELATIONSHIP). "
            "It has: %(names)s."
        ) % {"object": self.names.incident_object, "name": self.names.relationship, "names": _listed(have)}
        raise CsmConfigurationError(message, code="relationship_not_found")

    def journal_type(self, target: str) -> tuple[str, str]:
        """The object to save under the relationship, and the journal type's busObId."""
        wanted = self.names.journal_type
        groups = self.api.summaries("Groups")
        for group in groups:
            members = group.get("groupSummaries") or []
            if group.get("busObId") == target:
                member = next((item for item in members if _same(wanted, item)), None)
                if member is not None:
                    return target, str(member["busObId"])
                raise _type_missing(wanted, members)
            member = next((item for item in members if item.get("busObId") == target), None)
            if member is not None:
                # The relationship leads straight to one journal type.
                if _same(wanted, member):
                    return target, target
                raise _type_missing(wanted, [member])
        message = gettext(
            "The relationship “%(relationship)s” does not lead to a journal group, so the journal type "
            "“%(name)s” (CSM_JOURNAL_TYPE) cannot be found."
        ) % {"relationship": self.names.relationship, "name": wanted}
        raise CsmConfigurationError(message, code="journal_type_not_found")

    def journal_fields(self, journal_busobid: str) -> dict[str, str]:
        fields = self.api.template(journal_busobid).get("fields") or []
        ids = {str(item["name"]): str(item["fieldId"]) for item in fields if item.get("name") and item.get("fieldId")}
        if DETAILS not in ids:
            message = gettext("The journal's template has no “%(name)s” field. It has: %(names)s.") % {
                "name": DETAILS, "names": _listed(sorted(ids))}
            raise CsmConfigurationError(message, code="journal_field_not_found")
        return ids

    def discover(self) -> Discovery:
        incident = self.incident_object()
        relationship_id, target = self.relationship(incident)
        journal, type_id = self.journal_type(target)
        return Discovery(
            incident_busobid=incident,
            relationship_id=relationship_id,
            journal_busobid=journal,
            journal_type_id=type_id,
            journal_type_name=self.names.journal_type,
            field_ids=self.journal_fields(journal),
        )


def _type_missing(wanted: str, members: list[dict[str, Any]]) -> CsmConfigurationError:
    have = sorted({str(item.get("displayName") or item.get("name")) for item in members})
    message = gettext("The journal has no type named “%(name)s” (CSM_JOURNAL_TYPE). It has: %(names)s.") % {
        "name": wanted, "names": _listed(have)}
    return CsmConfigurationError(message, code="journal_type_not_found")


def _listed(names: list[str]) -> str:
    return ", ".join(f"“{name}”" for name in names) or gettext("none")


class DiscoveryCache:
    """The discovered ids in Django's cache, keyed by where CSM is and the names looked up."""

    def __init__(self, api: CsmApi, names: Names) -> None:
        self.discoverer = Discoverer(api, names)
        digest = hashlib.sha256(repr((api.http.api_url.lower(), names)).encode()).hexdigest()[:32]
        self.key = f"csm:discovery:{digest}"

    def get(self) -> Discovery:
        cached = cache.get(self.key)
        if isinstance(cached, dict):
            return Discovery(**cached)
        found = self.discoverer.discover()
        self.store(found)
        return found

    def store(self, found: Discovery) -> None:
        cache.set(self.key, asdict(found), timeout=settings.CSM_DISCOVERY_SECONDS)

    def forget(self) -> None:
        """A call said an id is stale: the next ``get`` looks everything up again."""
        cache.delete(self.key)
