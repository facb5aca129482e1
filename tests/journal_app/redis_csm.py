"""A CSM stand-in that a Celery worker subprocess and the test share through Redis.

The in-memory fake (conftest.py) lives in the test's process; a real worker is another process.
This one keeps each incident's journal in a Redis list, and its faults in Redis keys, under a
prefix of the test's own. ``python -m tests.journal_app.redis_csm_celery`` starts Celery with
journal_app's client replaced by it.
"""

from __future__ import annotations

import os
import uuid

import redis

from tokens_app.csm import CsmIncidentNotFound, CsmUnavailable, IncidentRef

URL_VARIABLE, PREFIX_VARIABLE = "FAKE_CSM_REDIS_URL", "FAKE_CSM_PREFIX"


class RedisCsm:
    """The CsmClient interface; ``down``, ``times_out_after_saving`` and ``unknown`` are its faults."""

    def __init__(self, url: str, prefix: str) -> None:
        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix

    @classmethod
    def from_env(cls) -> RedisCsm:
        return cls(os.environ[URL_VARIABLE], os.environ[PREFIX_VARIABLE])

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    # --- what the test sets and reads ---

    def set_down(self, down: bool) -> None:
        if down:
            self.redis.set(self._key("down"), 1)
        else:
            self.redis.delete(self._key("down"))

    def time_out_after_saving(self, times: int) -> None:
        self.redis.set(self._key("timeouts"), times)

    def forget_incident(self, incident_id: str) -> None:
        self.redis.sadd(self._key("unknown"), incident_id)

    def notes(self, incident_id: str) -> list[str]:
        return self.redis.lrange(self._key(f"journal:{incident_id}"), 0, -1)

    def calls(self, name: str) -> int:
        return int(self.redis.get(self._key(f"calls:{name}")) or 0)

    # --- the client's interface ---

    def _call(self, name: str) -> None:
        self.redis.incr(self._key(f"calls:{name}"))
        if self.redis.exists(self._key("down")):
            raise CsmUnavailable("CSM answered 503", http_status=503)

    def find_incident(self, incident_id: str) -> IncidentRef:
        self._call("find_incident")
        if self.redis.sismember(self._key("unknown"), incident_id):
            raise CsmIncidentNotFound(f"No Incident with public ID {incident_id}")
        return IncidentRef(busobid="incident-busob", busobrecid=f"rec-{incident_id}", busobpublicid=incident_id)

    def journal_texts(self, incident: IncidentRef) -> list[str]:
        self._call("journal_texts")
        return self.notes(incident.busobpublicid)

    def add_journal_note(self, incident: IncidentRef, text: str) -> str:
        self._call("add_journal_note")
        self.redis.rpush(self._key(f"journal:{incident.busobpublicid}"), text)
        if self.redis.decr(self._key("timeouts")) >= 0:
            raise CsmUnavailable("CSM did not answer in time", uncertain=True)
        return uuid.uuid4().hex
