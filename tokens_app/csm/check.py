"""``CsmClient.check``: sign in, discover, find one incident, and say what was found or what is
wrong, step by step (for ``manage.py csm_check`` and the admin's status page).

Each step needs the ones before it, so the report stops at the first failure. Nothing secret is
ever in a report: no password, no token.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext

from .discovery import Discoverer, Discovery
from .errors import CsmConfigurationError, CsmError, CsmIncidentNotFound, CsmUnavailable
from .http import CLIENT_ERRORS

if TYPE_CHECKING:
    from .client import CsmClient


@dataclass(frozen=True)
class CheckStep:
    name: str
    ok: bool
    detail: str


@dataclass
class CheckReport:
    api_url: str
    username: str
    sandbox: bool
    steps: list[CheckStep] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    @property
    def problem(self) -> str:
        """What is wrong, in one sentence ("" when nothing is)."""
        return next((step.detail for step in self.steps if not step.ok), "")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "problem": self.problem}


class _Stop(Exception):
    pass


def run_check(client: CsmClient, incident_id: str | None) -> CheckReport:
    report = CheckReport(
        api_url=client.http.api_url, username=client.http.account.username, sandbox=settings.CSM_SANDBOX
    )
    discoverer = Discoverer(client.api, client.names)

    def step(name: str, work: Callable[[], Any], describe: Callable[[Any], str]) -> Any:
        try:
            found = work()
        except CsmError as exc:
            report.steps.append(CheckStep(name, False, _explain(name, exc, client, incident_id)))
            raise _Stop() from None
        report.steps.append(CheckStep(name, True, describe(found)))
        return found

    try:
        step("sign_in", client.api.sign_in, lambda _: gettext("Signed in as %(user)s.") % {"user": report.username})
        ids = _discover(step, discoverer)
        client.discovery.store(ids)
        if incident_id:
            step(
                "incident",
                lambda: client.find_incident(incident_id),
                lambda ref: gettext("Incident %(id)s found (RecID %(rec_id)s).")
                % {"id": ref.busobpublicid, "rec_id": ref.busobrecid},
            )
    except _Stop:
        pass
    return report


def _discover(step: Callable[..., Any], discoverer: Discoverer) -> Discovery:
    names = discoverer.names
    incident = step(
        "incident_object",
        discoverer.incident_object,
        lambda busobid: gettext("Business object “%(name)s”: %(id)s.") % {"name": names.incident_object, "id": busobid},
    )
    relationship_id, target = step(
        "relationship",
        lambda: discoverer.relationship(incident),
        lambda found: gettext("Relationship “%(name)s”: %(id)s.") % {"name": names.relationship, "id": found[0]},
    )
    journal, type_id = step(
        "journal_type",
        lambda: discoverer.journal_type(target),
        lambda found: gettext("Journal type “%(name)s”: %(id)s.") % {"name": names.journal_type, "id": found[1]},
    )
    fields = step(
        "journal_fields",
        lambda: discoverer.journal_fields(journal),
        lambda ids: gettext("Journal fields: %(names)s.") % {"names": ", ".join(sorted(ids))},
    )
    return Discovery(incident, relationship_id, journal, type_id, names.journal_type, fields)


def _explain(name: str, exc: CsmError, client: CsmClient, incident_id: str | None) -> str:
    said = exc.message
    if isinstance(exc, CsmUnavailable):
        return gettext("CSM could not be reached at %(url)s: %(said)s") % {"url": client.http.api_url, "said": said}
    if name == "sign_in" and exc.code.lower() in CLIENT_ERRORS:
        return gettext("CSM does not know the client key in CSM_CLIENT_ID. CSM said: %(said)s") % {"said": said}
    if name == "sign_in" and isinstance(exc, CsmConfigurationError):
        return gettext(
            "CSM refused the sign-in of CSM_USERNAME with CSM_PASSWORD and CSM_AUTH_MODE. CSM said: %(said)s"
        ) % {"said": said}
    if isinstance(exc, CsmIncidentNotFound):
        return gettext("CSM knows no incident %(id)s.") % {"id": incident_id}
    return said
