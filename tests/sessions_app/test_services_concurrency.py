"""Many simultaneous creates for one incident and agent make exactly one TeamViewer session."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import Session

from .conftest import API, TV_SESSIONS, client_for, tv_session_body

REQUESTS = 50
TEAMVIEWER_DELAY = 0.2


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_fifty_simultaneous_creates_make_one_teamviewer_session_and_all_answers_name_it(
    requires_postgres, transactional_db, api_key, agent, tv, tv_token
):
    calls = []
    lock = threading.Lock()

    def slow_create(request):
        with lock:
            calls.append(request)
        time.sleep(TEAMVIEWER_DELAY)  # TeamViewer takes its time: the others must wait, not create
        return 200, {}, json.dumps(tv_session_body("s42-424-242"))

    tv.add_callback("POST", TV_SESSIONS, callback=slow_create, content_type="application/json")
    start = threading.Barrier(REQUESTS)
    answers: list[tuple[int, dict]] = []

    def one_request() -> None:
        try:
            client = client_for(api_key, agent.username)
            start.wait()
            response = client.post(
                f"{API}/sessions/", {"incident_id": "INC-RACE", "send_email": False}, format="json"
            )
            with lock:
                answers.append((response.status_code, response.json()))
        finally:
            connection.close()  # each thread has its own connection; leave none open

    threads = [threading.Thread(target=one_request) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(calls) == 1
    assert len(answers) == REQUESTS
    session = Session.objects.get()
    assert (session.state, session.code) == ("open", "s42-424-242")
    assert {body["id"] for _, body in answers} == {str(session.pk)}
    assert {body["code"] for _, body in answers} == {"s42-424-242"}
    assert sorted(status for status, _ in answers) == [200] * (REQUESTS - 1) + [201]
    assert AuditEvent.objects.filter(action="create", outcome="ok").count() == 1
    assert AuditEvent.objects.filter(action="create", outcome="existing").count() == REQUESTS - 1
