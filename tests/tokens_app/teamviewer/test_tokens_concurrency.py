"""Twenty callers, one expiring token: one refresh goes out, every caller gets its result.

TeamViewer's refresh tokens are single-use, so a second refresh with the same token would log
the agent out. This needs PostgreSQL's row locking to mean anything.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import TeamViewerTokenFactory
from tokens_app.models import TeamViewerToken
from tokens_app.teamviewer.tokens import access_token_for

from ..conftest import NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN, TOKEN_URL, form, token_body

CALLERS = 20


@pytest.mark.postgres
@pytest.mark.timeout(60)
def test_twenty_concurrent_callers_share_one_refresh(requires_postgres, transactional_db, tv, agent):
    token = TeamViewerTokenFactory(agent=agent, expires_at=timezone.now() + timedelta(seconds=5))
    refresh_tokens_sent: list[str] = []

    def slow_refresh(request):
        refresh_tokens_sent.append(form(request)["refresh_token"])
        time.sleep(0.2)  # long enough for every other caller to arrive while this one refreshes
        return 200, {"Content-Type": "application/json"}, json.dumps(token_body())

    tv.add_callback("POST", TOKEN_URL, callback=slow_refresh)
    start = threading.Barrier(CALLERS)

    def caller(_: int) -> str:
        try:
            start.wait(timeout=10)
            return access_token_for(agent=agent)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        results = list(pool.map(caller, range(CALLERS)))

    assert refresh_tokens_sent == [token.refresh_token]
    assert results == [NEW_ACCESS_TOKEN] * CALLERS
    stored = TeamViewerToken.objects.get(agent=agent)
    assert (stored.access_token, stored.refresh_token) == (NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN)
    assert stored.version == token.version + 1
