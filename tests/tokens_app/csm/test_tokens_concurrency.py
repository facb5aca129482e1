"""Twenty callers in as many threads, no token yet: one login goes out, every caller gets its token.

CSM can refuse simultaneous logins of one user, and each login takes a licence. This needs
PostgreSQL's row locking to mean anything.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tokens_app.csm import csm_client
from tokens_app.models import CsmToken

from .conftest import ACCESS, TOKEN_URL, form, token_body

CALLERS = 20


@pytest.mark.postgres
@pytest.mark.timeout(60)
def test_twenty_concurrent_callers_share_one_login(requires_postgres, transactional_db, csm):
    grants: list[str] = []

    def slow_login(request):
        grants.append(form(type("Call", (), {"request": request}))["grant_type"])
        time.sleep(0.2)  # long enough for every other caller to arrive while this one logs in
        return 200, {"Content-Type": "application/json"}, json.dumps(token_body())

    csm.add_callback("POST", TOKEN_URL, callback=slow_login)
    start = threading.Barrier(CALLERS)

    def caller(_: int) -> str:
        try:
            start.wait(timeout=10)
            return csm_client().api.tokens.access_token()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        results = list(pool.map(caller, range(CALLERS)))

    assert grants == ["password"]
    assert results == [ACCESS] * CALLERS
    assert CsmToken.objects.get().logins == 1
