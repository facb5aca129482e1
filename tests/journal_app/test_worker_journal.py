"""Journal notes through a real Celery worker on Redis and PostgreSQL, with the Redis-backed CSM
stand-in (redis_csm.py) in place of CSM: through an outage and a timeout after saving, each note
arrives once; an unknown incident fails once and holds nothing up.

The end-to-end path over the CSM sandbox's HTTP is tested where the sandbox lives.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from journal_app.facts import ClosedFacts, CreatedFacts
from journal_app.models import JournalNote
from journal_app.services import journal_note
from tests.journal_app.redis_csm import PREFIX_VARIABLE, URL_VARIABLE, RedisCsm
from tests.workers import celery_env, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_csm(redis_url, queue_name) -> RedisCsm:
    return RedisCsm(redis_url, prefix=f"{queue_name}-csm")  # the queue's clean-up removes it too


@pytest.fixture
def worker(requires_postgres, redis_url, queue_name, celery_processes, redis_csm) -> Callable[..., Any]:
    """``worker()`` starts a Celery worker on the test's database and queue, writing to ``redis_csm``."""

    def start(**extra_env: str):
        env = celery_env(
            CELERY_BROKER_URL=redis_url,
            # The worker hands a session's next note over itself: onto the queue it takes from.
            CELERY_TASK_DEFAULT_QUEUE=queue_name,
            CSM_WRITEBACK_RETRY_BASE_SECONDS="1",
            CSM_WRITEBACK_RETRY_MAX_SECONDS="2",
            **{URL_VARIABLE: redis_url, PREFIX_VARIABLE: redis_csm.prefix},
            **extra_env,
        )
        return celery_processes.start(
            "worker", "--pool=solo", "-l", "info", "-Q", queue_name, "-n", f"{queue_name}@%h",
            "--without-gossip", "--without-mingle", env=env, module="tests.journal_app.redis_csm_celery",
        )

    start.log = celery_processes.log
    return start


def note(incident_id: str, event: str = "closed", session_id: uuid.UUID | None = None) -> JournalNote:
    """Written as an event writes it: in a transaction, handed to the broker on commit."""
    if event == "created":
        facts: Any = CreatedFacts(code="s12-345-678", valid_until=timezone.now(), agent="agent.smith")
    else:
        facts = ClosedFacts(code="s12-345-678", by="agent.smith")
    with transaction.atomic():
        return journal_note(session_id=session_id or uuid.uuid4(), incident_id=incident_id, event=event, facts=facts)


def stored(written: JournalNote) -> JournalNote:
    return JournalNote.objects.get(pk=written.pk)


def test_notes_arrive_once_and_in_order_after_an_outage(producer, worker, redis_csm):
    redis_csm.set_down(True)
    proc = worker()
    session = uuid.uuid4()
    created = note("INC-71", "created", session)
    closed = note("INC-71", "closed", session)

    wait_for(lambda: stored(created).attempts >= 2, what="two failed attempts", log=worker.log, proc=proc)
    assert stored(created).status == "pending" and "CSM answered 503" in stored(created).last_error
    assert stored(closed).attempts == 0  # waits its turn
    redis_csm.set_down(False)

    wait_for(lambda: stored(closed).status == "written", what="both notes written", log=worker.log, proc=proc)
    assert redis_csm.notes("INC-71") == [created.text, closed.text]


def test_a_save_that_timed_out_after_csm_kept_it_is_not_written_twice(producer, worker, redis_csm):
    redis_csm.time_out_after_saving(1)
    proc = worker()
    kept = note("INC-72")

    wait_for(lambda: stored(kept).status == "written", what="the note written", log=worker.log, proc=proc)
    assert redis_csm.notes("INC-72") == [kept.text]
    assert redis_csm.calls("add_journal_note") == 1 and redis_csm.calls("journal_texts") == 1


def test_an_unknown_incident_fails_after_one_attempt_and_holds_up_no_other(producer, worker, redis_csm):
    redis_csm.forget_incident("INC-404")
    proc = worker()
    lost = note("INC-404")
    other = note("INC-73")

    wait_for(lambda: stored(other).status == "written", what="the other note", log=worker.log, proc=proc)
    failed = wait_for(lambda: (row := stored(lost)).status == "failed" and row, what="the failure", log=worker.log)
    assert failed.attempts == 1 and "CSM knows no incident 'INC-404'" in failed.last_error
    assert redis_csm.notes("INC-73") == [other.text] and redis_csm.notes("INC-404") == []
