"""The session lifecycle: conditional moves that say whether they won, and the sets everyone asks for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sessions_app.lifecycle import (
    reservation_insert,
    reservation_mark_stale,
    session_mark_active,
    session_mark_closed,
    session_mark_expired,
    session_mark_uncertain,
    stale_age,
)
from sessions_app.models import Session
from tests.factories import SessionFactory

HOUR = timedelta(hours=1)


def _incidents(queryset) -> list[str]:
    return sorted(session.incident_id for session in queryset)


def test_a_move_wins_once_and_a_second_writer_learns_it_lost(agent):
    session = SessionFactory(agent=agent)
    late = Session.objects.get(pk=session.pk)  # another writer's copy, read before the close

    assert session_mark_closed(session) is True
    assert session_mark_expired(late) is False
    assert session_mark_closed(late) is False

    stored = Session.objects.get(pk=session.pk)
    assert (stored.state, stored.closed_at) == ("closed", session.closed_at)
    assert (late.state, late.closed_at) == ("open", None)  # a lost move changes nothing in memory


def test_only_the_moves_in_the_table_happen(agent):
    reservation = SessionFactory(agent=agent, state=Session.State.CREATING, code="")
    active = SessionFactory(agent=agent, incident_id="INC-2", state=Session.State.ACTIVE)

    assert session_mark_closed(reservation) is False  # no code yet: nothing to close
    assert session_mark_active(active) is False  # already active
    assert session_mark_uncertain(active) is False  # only a reservation becomes uncertain
    assert session_mark_active(SessionFactory(agent=agent, incident_id="INC-3")) is True


def test_the_sets_everyone_asks_for(agent):
    now = timezone.now()
    SessionFactory(agent=agent, incident_id="open", valid_until=now + HOUR)
    SessionFactory(agent=agent, incident_id="active-past", state=Session.State.ACTIVE, valid_until=now - HOUR)
    SessionFactory(agent=agent, incident_id="claimed-past", valid_until=now - HOUR, cleanup_lease_until=now + HOUR)
    SessionFactory(agent=agent, incident_id="no-code", code="", valid_until=now + HOUR)
    SessionFactory(agent=agent, incident_id="creating", state=Session.State.CREATING, code="")
    old = now - stale_age() - HOUR
    SessionFactory(agent=agent, incident_id="dead", state=Session.State.CREATING, code="", created_at=old)
    SessionFactory(agent=agent, incident_id="uncertain", state=Session.State.UNCERTAIN, code="")
    SessionFactory(agent=agent, incident_id="closed", state=Session.State.CLOSED, closed_at=now - timedelta(days=40))
    sessions = Session.objects

    assert _incidents(sessions.live()) == ["active-past", "claimed-past", "no-code", "open"]
    assert "creating" not in _incidents(sessions.visible()) and "uncertain" not in _incidents(sessions.visible())
    assert _incidents(sessions.due_for_cleanup(now)) == ["active-past"]
    assert _incidents(sessions.due_for_sync(now)) == ["open"]
    assert _incidents(sessions.stale_reservations(now)) == ["dead"]
    assert _incidents(sessions.unsettled(now)) == ["dead", "uncertain"]
    assert _incidents(sessions.finished_before(now - timedelta(days=30))) == ["closed"]
    assert _incidents(sessions.holding(agent=agent, incident_id="creating")) == ["creating"]


def test_an_uncertain_create_past_its_lifetime_has_nothing_left_to_settle(agent):
    SessionFactory(agent=agent, state=Session.State.UNCERTAIN, code="", valid_until=timezone.now() - HOUR)

    assert not Session.objects.unsettled(timezone.now()).exists()


def test_a_dead_reservation_becomes_uncertain_and_frees_its_pair(agent):
    dead = SessionFactory(agent=agent, state=Session.State.CREATING, code="")
    assert reservation_mark_stale(dead) is False  # its create may still be running
    Session.objects.filter(pk=dead.pk).update(created_at=timezone.now() - stale_age() - HOUR)

    assert reservation_mark_stale(dead) is True

    assert Session.objects.get(pk=dead.pk).state == "uncertain"
    assert not Session.objects.holding(agent=agent, incident_id=dead.incident_id).exists()


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_keeps_the_audits_unsettled_creates_as_uncertain_rows(agent, other_agent):
    executor = MigrationExecutor(connection)
    before = [("sessions_app", "0005_audit_actor_incident_index")]
    after = [("sessions_app", "0006_session_uncertain_state")]
    try:
        executor.migrate(before)
        Event = executor.loader.project_state(before).apps.get_model("sessions_app", "AuditEvent")
        for actor, incident, outcome in [(agent, "INC-1", "teamviewer_unavailable"), (agent, "INC-2", "ok")]:
            Event.objects.create(actor_id=actor.pk, action="create", incident_id=incident, outcome=outcome)
        # Settled already: a reconciliation ran after it (its time taken after the create's own,
        # which the model sets: migrating back can take longer than any fixed margin).
        Event.objects.create(actor_id=other_agent.pk, action="create", incident_id="INC-3", outcome="stale_reservation")
        reconciled_at = timezone.now() + timedelta(seconds=1)
        Event.objects.create(actor_id=other_agent.pk, action="sync", via="reconcile", at=reconciled_at)
        MigrationExecutor(connection).migrate(after)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    [row] = Session.objects.all()
    assert (row.agent, row.incident_id, row.state) == (agent, "INC-1", "uncertain")
    assert Session.objects.unsettled(timezone.now()).get() == row


@pytest.mark.parametrize(
    ("state", "old", "lifetime_left"),
    [
        ("uncertain", False, HOUR),
        ("uncertain", False, -HOUR),
        ("creating", False, HOUR),
        ("creating", True, HOUR),
        ("open", True, HOUR),
        ("closed", True, HOUR),
    ],
)
def test_the_pairs_quick_check_agrees_with_unsettled(agent, other_agent, state, old, lifetime_left):
    now = timezone.now()
    created_at = now - stale_age() - HOUR if old else now
    SessionFactory(agent=agent, incident_id="INC-1", state=state, created_at=created_at, valid_until=now + lifetime_left)
    SessionFactory(agent=other_agent, incident_id="INC-1", state="uncertain")  # another agent's: not this pair's

    quick = Session.objects.pair_is_unsettled(agent_id=agent.pk, incident_id="INC-1", now=now)

    assert quick == Session.objects.filter(agent=agent, incident_id="INC-1").unsettled(now).exists()
    assert not Session.objects.pair_is_unsettled(agent_id=agent.pk, incident_id="INC-2", now=now)


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_a_reservation_in_autocommit_does_not_wait_for_the_disk_and_only_its_own_commit(
    requires_postgres, transactional_db, agent
):
    reservation = SessionFactory.build(agent=agent, incident_id="INC-1", state=Session.State.CREATING, code="")
    with CaptureQueriesContext(connection) as statements:
        assert reservation_insert(reservation) is True
    [insert] = statements.captured_queries
    assert "set_config('synchronous_commit', 'off', true)" in insert["sql"]
    assert Session.objects.get(pk=reservation.pk).state == Session.State.CREATING
    # Local to the statement's own transaction: the connection's next commits wait again.
    assert _synchronous_commit() == "on"


@pytest.mark.postgres
def test_a_reservation_inside_a_callers_transaction_leaves_its_commit_as_it_was(
    requires_postgres, transactional_db, agent
):
    reservation = SessionFactory.build(agent=agent, incident_id="INC-1", state=Session.State.CREATING, code="")
    with transaction.atomic(), CaptureQueriesContext(connection) as statements:
        assert reservation_insert(reservation) is True
        assert _synchronous_commit() == "on"
    [insert] = [statement["sql"] for statement in statements.captured_queries if statement["sql"].startswith("INSERT")]
    assert "synchronous_commit" not in insert
