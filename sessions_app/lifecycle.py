"""The life of a Session row: its states, the moves between them, and the sets everyone asks for.

    creating ──> open ──> active         open or active ──> closed or expired
        └──> uncertain

``creating`` reserves (incident, agent) while TeamViewer makes the session. ``uncertain`` is a
create that failed in a way that leaves TeamViewer's side unknown (it was slow, down or
unreadable, our database failed after it, the process died): reconciliation settles those rows
with TeamViewer and drops them. A create known to have made nothing drops its reservation. Both
states are internal: never in the REST body, the page or its filters.

Each move is one conditional UPDATE from the states it may start from (``TRANSITIONS``): of two
racing writers the first wins and the other learns that it lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.leases import lease_free
from csm_teamviewer.row_sql import alone, fetch_one, insert_select, mark_written, table

from .task_queue import connections_fetch_on_commit

if TYPE_CHECKING:
    from tokens_app.teamviewer import RemoteSession

    from .models import Session


class SessionState(models.TextChoices):
    CREATING = "creating", _("Creating")
    UNCERTAIN = "uncertain", _("Create uncertain")
    OPEN = "open", _("Waiting for the customer")
    ACTIVE = "active", _("Customer online")
    CLOSED = "closed", _("Closed")
    EXPIRED = "expired", _("Expired")


State = SessionState
# Open or active: a session the customer can still join.
LIVE_STATES = (State.OPEN, State.ACTIVE)
# The rows that hold (incident, agent): the unique constraint's condition.
PAIR_STATES = (State.CREATING, State.OPEN, State.ACTIVE)
FINISHED_STATES = (State.CLOSED, State.EXPIRED)
INTERNAL_STATES = (State.CREATING, State.UNCERTAIN)

# Each state, and the states it may be reached from.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    State.OPEN: (State.CREATING,),
    State.UNCERTAIN: (State.CREATING,),
    State.ACTIVE: (State.OPEN,),
    State.CLOSED: LIVE_STATES,
    State.EXPIRED: LIVE_STATES,
}


def stale_age() -> timedelta:
    """No live create takes longer: two token refreshes and two calls at full timeout, plus margin.

    A reservation older than this belongs to a process that died mid-create.
    """
    return timedelta(seconds=4 * sum(settings.TEAMVIEWER_TIMEOUT) + 30)


# Every create asks this for its pair, so it is one small statement written out: building the
# same query with the ORM costs more CPU than running it (test_lifecycle keeps the two in step).
_PAIR_UNSETTLED_SQL = (
    "SELECT 1 FROM {table} WHERE agent_id = %s AND incident_id = %s"
    " AND ((state = %s AND valid_until > %s) OR (state = %s AND created_at < %s)) LIMIT 1"
)


def pair_unsettled_sql(
    model: type[models.Model], *, agent_id: int, incident_id: str, now: datetime
) -> tuple[str, list[Any]]:
    """``SELECT 1`` of the pair's rows (of ``model``, the Session table) in ``unsettled(now)``,
    and its parameters."""
    adapt = connection.ops.adapt_datetimefield_value
    stale_before = now - stale_age()
    params = [agent_id, incident_id, State.UNCERTAIN, adapt(now), State.CREATING, adapt(stale_before)]
    return _PAIR_UNSETTLED_SQL.format(table=table(model)), params


def _stale(now: datetime) -> Q:
    return Q(state=State.CREATING, created_at__lt=now - stale_age())


class SessionQuerySet(models.QuerySet):
    def live(self) -> SessionQuerySet:
        return self.filter(state__in=LIVE_STATES)

    def visible(self) -> SessionQuerySet:
        """What the REST API and the page show: no reservations, no uncertain creates."""
        return self.exclude(state__in=INTERNAL_STATES)

    def holding(self, *, agent: Any, incident_id: str) -> SessionQuerySet:
        """The row (at most one) that holds the pair: its reservation or its live session."""
        return self.filter(agent=agent, incident_id=incident_id, state__in=PAIR_STATES)

    def due_for_cleanup(self, now: datetime) -> SessionQuerySet:
        """Live past ``valid_until`` and held by no cleanup run."""
        return self.live().filter(lease_free("cleanup_lease_until", now), valid_until__lte=now)

    def due_for_sync(self, now: datetime) -> SessionQuerySet:
        """Live, within ``valid_until`` and with a code to ask TeamViewer about."""
        return self.live().filter(valid_until__gt=now).exclude(code="")

    def stale_reservations(self, now: datetime) -> SessionQuerySet:
        return self.filter(_stale(now))

    def unsettled(self, now: datetime) -> SessionQuerySet:
        """What reconciliation settles: uncertain creates whose session TeamViewer may still hold
        (it ends every code at its ``valid_until``), and stale reservations."""
        return self.filter(Q(state=State.UNCERTAIN, valid_until__gt=now) | _stale(now))

    def pair_is_unsettled(self, *, agent_id: int, incident_id: str, now: datetime) -> bool:
        """Whether ``unsettled(now)`` holds a row of this (agent, incident) pair."""
        sql, params = pair_unsettled_sql(self.model, agent_id=agent_id, incident_id=incident_id, now=now)
        return fetch_one(sql, params, using=self.db) is not None

    def finished_before(self, cutoff: datetime) -> SessionQuerySet:
        """Closed or expired before ``cutoff``, and uncertain creates last touched before it."""
        finished = Q(state__in=FINISHED_STATES) & (
            Q(closed_at__lte=cutoff) | Q(closed_at__isnull=True, updated_at__lte=cutoff)
        )
        return self.filter(finished | Q(state=State.UNCERTAIN, updated_at__lte=cutoff))

    def move(self, to: str, **changes: Any) -> int:
        """Move the rows that are in a state ``to`` may follow; how many moved (one UPDATE).

        Every close and expiry passes here. A session that ends is due for its connection reports
        in the same UPDATE, and its fetch is handed to a worker once the move commits.
        """
        changes.setdefault("updated_at", timezone.now())
        movable = self.filter(state__in=TRANSITIONS[to])
        if to not in FINISHED_STATES:
            return movable.update(state=to, **changes)
        ids = list(movable.values_list("pk", flat=True))
        moved = movable.filter(pk__in=ids).update(state=to, connections_due_at=changes["updated_at"], **changes)
        if moved:
            # A row another writer ended between the two statements is handed over twice: the
            # fetch's claim lets one of the two fetch it.
            connections_fetch_on_commit(ids)
        return moved


# --- one function per move of one session; each says whether it won ---------------------------


def _move(session: Session, to: str, **changes: Any) -> bool:
    now = timezone.now()
    ended = {"closed_at": now} if to in FINISHED_STATES else {}
    changes = {"updated_at": now, **ended, **changes}
    if type(session).objects.filter(pk=session.pk).move(to, **changes) != 1:
        return False
    for name, value in {"state": to, **changes}.items():
        setattr(session, name, value)
    return True


def session_open_changes(session: Session, *, remote: RemoteSession) -> dict[str, Any]:
    """What the reservation takes from the session TeamViewer made."""
    return {
        "code": remote.code,
        "end_customer_link": remote.end_customer_link,
        "supporter_link": remote.supporter_link,
        "webclient_supporter_link": remote.webclient_supporter_link,
        "valid_until": remote.valid_until or session.valid_until,
    }


def session_mark_open(session: Session, *, remote: RemoteSession, **changes: Any) -> bool:
    """The reservation becomes the session TeamViewer made (with ``changes`` in the same UPDATE)."""
    return _move(session, State.OPEN, **session_open_changes(session, remote=remote), **changes)


def session_mark_uncertain(session: Session) -> bool:
    return _move(session, State.UNCERTAIN)


def session_mark_active(session: Session, **changes: Any) -> bool:
    return _move(session, State.ACTIVE, **changes)


def session_mark_closed(session: Session) -> bool:
    return _move(session, State.CLOSED)


def session_mark_expired(session: Session) -> bool:
    return _move(session, State.EXPIRED)


def reservation_insert(session: Session, *, unless_unsettled: bool = False) -> bool:
    """Write the ``creating`` row that reserves its (incident, agent); False when another row
    holds the pair (the partial unique constraint) or, with ``unless_unsettled``, when the pair
    is ``unsettled`` (its last create may have left a session at TeamViewer only)."""
    agent_id, incident_id, now = session.agent_id, session.incident_id, timezone.now()
    try:
        with alone():
            if connection.vendor != "postgresql":
                pair_rows = type(session).objects
                if unless_unsettled and pair_rows.pair_is_unsettled(agent_id=agent_id, incident_id=incident_id, now=now):
                    return False
                session.save(force_insert=True)
                return True
            unsettled = (
                pair_unsettled_sql(type(session), agent_id=agent_id, incident_id=incident_id, now=now)
                if unless_unsettled
                else None
            )
            return _insert_reservation(session, unsettled=unsettled)
    except IntegrityError:
        return False


# Its own commit need not wait for the disk. The reservation is a lock among requests, which
# see it once it commits either way; the record statement's commit, which does wait, flushes
# it too (the log is written in order). Only a crash of PostgreSQL itself in the fraction of a
# second between could lose it, and the record fails then as well: the create answers an
# error, and what TeamViewer made meanwhile ends at its valid_until. About 0.3-0.5 ms of each
# create's latency on a small machine's disk.
_NO_DISK_WAIT = ", set_config('synchronous_commit', 'off', true)"


def _insert_reservation(session: Session, *, unsettled: tuple[str, list[Any]] | None) -> bool:
    # One statement: the check, the insert, and the constraint's refusal as no row.
    condition, params = unsettled or ("", [])
    insert, values = insert_select(session, f"WHERE NOT EXISTS ({condition})" if condition else "")
    # Inside a caller's transaction the setting would hold for all of it: only in autocommit.
    returning = "id" if connection.in_atomic_block else f"id{_NO_DISK_WAIT}"
    if fetch_one(f"{insert} ON CONFLICT DO NOTHING RETURNING {returning}", values + params) is None:
        return False
    mark_written(session)
    return True


def reservation_release(session: Session) -> bool:
    """Drop a reservation whose create made nothing at TeamViewer: it leaves no row behind."""
    deleted, _per_model = type(session).objects.filter(pk=session.pk, state=State.CREATING).delete()
    return bool(deleted)


def reservation_mark_stale(session: Session) -> bool:
    """A reservation whose process died mid-create becomes uncertain: the pair is free again."""
    stale = type(session).objects.filter(pk=session.pk).stale_reservations(timezone.now())
    return stale.move(State.UNCERTAIN) == 1
