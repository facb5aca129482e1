"""A known picture of remote support for the dashboard's tests (and its screenshots).

Times are set relative to midnight today in the current time zone, so each row falls on the day
named here whatever the clock says. ``EXPECTED`` is what the charts must show for it.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import InvitationEmail, Session
from tests.factories import AgentFactory, AuditEventFactory, InvitationEmailFactory, SessionFactory

State = Session.State


def midnight_today() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


def _session(agent, incident_id: str, state: str, created_at: datetime, *, waited: timedelta | None = None) -> Session:
    return SessionFactory(
        agent=agent, incident_id=incident_id, state=state, created_at=created_at,
        closed_at=created_at + timedelta(hours=1) if state in (State.CLOSED, State.EXPIRED) else None,
        customer_waiting_since=created_at + waited if waited is not None else None,
    )  # fmt: skip


def _invitation(session: Session, status: str, created_at: datetime) -> None:
    email = InvitationEmailFactory(session=session, status=status)
    # created_at is auto_now_add: set it as the day it stands for.
    InvitationEmail.objects.filter(pk=email.pk).update(created_at=created_at)


def _audit(outcome: str, at: datetime, action: str = AuditEvent.Action.CREATE, session: Session | None = None) -> None:
    AuditEventFactory(outcome=outcome, at=at, action=action, session=session)


def seed_dashboard() -> None:
    today = midnight_today() + timedelta(minutes=30)  # 00:30 today: yesterday in UTC east of Greenwich
    yesterday = today - timedelta(days=1) + timedelta(hours=10)
    sato, tanaka = AgentFactory(username="agent.sato"), AgentFactory(username="agent.tanaka")

    closed = _session(sato, "INC-1001", State.CLOSED, today, waited=timedelta(seconds=30))
    ended = _session(sato, "INC-1001", State.CLOSED, today, waited=timedelta(minutes=10))
    _audit(State.CLOSED, today + timedelta(hours=2), AuditEvent.Action.SYNC, session=ended)
    _session(sato, "INC-1001", State.ACTIVE, today, waited=timedelta(hours=2))
    expired = _session(tanaka, "INC-2002", State.EXPIRED, yesterday)
    _session(tanaka, "INC-3003", State.CREATING, yesterday)
    _session(tanaka, "INC-9009", State.CLOSED, today - timedelta(days=40))  # in 90 days, not in 30

    _invitation(closed, InvitationEmail.Status.SENT, today)
    _invitation(ended, InvitationEmail.Status.SENT, today)
    _invitation(ended, InvitationEmail.Status.FAILED, today)
    _invitation(expired, InvitationEmail.Status.QUEUED, yesterday)

    _audit("teamviewer_rate_limited", today)
    _audit("teamviewer_rate_limited", yesterday)
    _audit("teamviewer_unavailable", today, AuditEvent.Action.CLOSE, session=closed)
    _audit("ok", today)
    _audit("teamviewer_rejected", today - timedelta(days=50))  # in 90 days, not in 30
