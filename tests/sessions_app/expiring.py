"""Expired sessions, and TeamViewer's answers to the closes the expiry sends, for the cleanup tests."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from datetime import timedelta

from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import Session
from tests.factories import SessionFactory

from .conftest import TV_SESSIONS

PAST = timedelta(minutes=5)
CODE_IN_URL = re.compile(rf"{re.escape(TV_SESSIONS)}/(?P<code>[^/?]+)$")


def expired_session(agent, code: str, **fields) -> Session:
    return SessionFactory(agent=agent, code=code, valid_until=timezone.now() - PAST, **fields)


def closes(tv) -> list[tuple[str, str, dict]]:
    """(code, bearer token, body) of every PUT sent to TeamViewer, in order."""
    return [
        (
            CODE_IN_URL.match(call.request.url).group("code"),
            call.request.headers["Authorization"].removeprefix("Bearer "),
            json.loads(call.request.body),
        )
        for call in tv.calls
        if call.request.method == "PUT"
    ]


def answer_closes(tv, answer=lambda code, attempt: (204, {}, "")) -> Counter:
    """TeamViewer's PUT /sessions/<code>: ``answer(code, attempt)`` decides; returns the tally."""
    attempts: Counter = Counter()
    lock = threading.Lock()

    def callback(request):
        code = CODE_IN_URL.match(request.url).group("code")
        with lock:
            attempts[code] += 1
            attempt = attempts[code]
        return answer(code, attempt)

    tv.add_callback("PUT", CODE_IN_URL, callback=callback, content_type="application/json")
    return attempts


def expire_audits() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.EXPIRE).order_by("session_code"))
