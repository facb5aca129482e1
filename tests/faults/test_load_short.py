"""The load test's short form: 20 clients for 5 seconds against a live server and the sandbox.

The full form (200 clients for a minute, on gunicorn) is ``python -m tests.benchmarks.loadtest``.
Here the invitations handed to "Celery" are sent afterwards by this process, as a worker would,
into Django's in-memory outbox. Figures are printed, never asserted on: only correctness is.
"""

from __future__ import annotations

import pytest
from django.core import mail

from sessions_app.services.emails import invitation_send
from tests.benchmarks.loadtest import (
    Target,
    check_emails,
    check_teamviewer,
    print_figures,
    report,
    run_load,
    seed,
)

CLIENTS = 20
SECONDS = 5


@pytest.fixture
def target(requires_postgres, live_server, live_tv, settings) -> Target:
    # Each request has its own thread and connection: only PostgreSQL serves them side by side.
    settings.TEAMVIEWER_TIMEOUT = (5.0, 15.0)
    key, agents = seed(agents=3)
    return Target(live_server.url, key, agents)


def test_a_short_load_makes_no_5xx_one_teamviewer_session_per_pair_and_loses_no_email(target, live_tv):
    summary = run_load(target, clients=CLIENTS, seconds=SECONDS).summary()
    for email_id in list(live_tv):
        invitation_send(email_id=email_id)
    messages = [(message.to[0], message.body) for message in mail.outbox]

    result = report(summary, check_teamviewer(target.agents), check_emails(messages))
    print_figures(result)

    assert summary["requests"] > 0
    assert result["problems"] == []
    assert result["emails"]["outbox_rows"] == len(live_tv)  # each row handed over exactly once
    assert summary["status"].keys() <= {"200", "201", "202", "409"}
