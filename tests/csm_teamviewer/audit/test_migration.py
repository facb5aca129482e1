"""The audit trail moved from sessions_app to the shell without copying a row."""
from __future__ import annotations

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import Session

BEFORE = [("sessions_app", "0007_drop_audit_pair_index")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def _latest() -> None:
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_every_row_and_its_session_which_may_then_be_deleted(agent):
    try:
        apps = _migrate(BEFORE).loader.project_state(BEFORE).apps
        OldSession = apps.get_model("sessions_app", "Session")
        OldEvent = apps.get_model("sessions_app", "AuditEvent")
        old = OldSession.objects.create(
            agent_id=agent.pk, incident_id="INC-1", code="s12-345-678", state="closed", valid_until=timezone.now()
        )
        OldEvent.objects.create(actor_id=agent.pk, action="close", incident_id="INC-1", session=old, session_code=old.code)
        OldEvent.objects.create(actor_id=agent.pk, action="login", detail="resumes create", via="oauth")
    finally:
        _latest()

    events = AuditEvent.objects.order_by("pk")
    assert [(e.action, e.session_id, e.session_code) for e in events] == [
        ("close", old.pk, "s12-345-678"),
        ("login", None, ""),
    ]
    Session.objects.filter(pk=old.pk).delete()  # no foreign key constraint is left to refuse it
    assert AuditEvent.objects.get(action="close").session_id == old.pk


@pytest.mark.django_db(transaction=True)
def test_the_move_takes_the_content_type_and_its_permissions_along():
    stale = ContentType.objects.get_for_model(AuditEvent)
    try:
        _migrate(BEFORE)
        stale.refresh_from_db()
        assert stale.app_label == "sessions_app"
    finally:
        _latest()

    stale.refresh_from_db()
    assert stale.app_label == "audit" and stale.permission_set.filter(codename="view_auditevent").exists()


@pytest.mark.django_db
def test_an_event_names_a_session_by_id_alone():
    session_id = uuid.uuid4()  # a session deleted long ago: the audit row outlives it
    event = AuditEvent.objects.create(action="close", session_id=session_id, session_code="s12-345-678")
    assert AuditEvent.objects.get(session_id=session_id) == event
