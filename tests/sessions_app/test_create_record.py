"""Recording a made session: the one PostgreSQL statement writes what the ORM's writes write."""

from __future__ import annotations

import pytest

from csm_teamviewer import outbox
from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.outbox import HAND_ON_TASK
from journal_app.models import JournalNote
from journal_app.services import SEND_NOTE_TASK
from sessions_app.models import InvitationEmail, Session
from sessions_app.services import create_record
from sessions_app.services.create_record import session_record_open
from sessions_app.services.emails import SEND_INVITATION_TASK
from tests.factories import SessionFactory
from tokens_app.teamviewer import RemoteSession

# The one statement is PostgreSQL's.
pytestmark = pytest.mark.usefixtures("requires_postgres")

INVITATION = ("to", "language", "status", "attempts", "last_error", "requested_by_id", "sent_at")
AUDIT = ("action", "actor_id", "incident_id", "session_code", "outcome", "detail", "via")
SESSION = ("state", "code", "end_customer_link", "supporter_link", "webclient_supporter_link", "email_status")
NOTE = ("incident_id", "event", "language", "status", "attempts")


def _recorded(agent, code: str, *, invite: bool, monkeypatch=None) -> tuple:
    reservation = SessionFactory(agent=agent, state=Session.State.CREATING, code="", incident_id=f"INC-{code}")
    remote = RemoteSession(
        code=code,
        state="open",
        end_customer_link=f"https://get.teamviewer.test/{code}",
        supporter_link=f"https://start.teamviewer.test/{code}",
        webclient_supporter_link=f"https://web.teamviewer.test/{code}",
    )
    assert session_record_open(reservation, remote=remote, agent=agent, invite=invite, language="ja", via="api")
    stored = Session.objects.get(pk=reservation.pk)
    emails = [_values(email, INVITATION) for email in InvitationEmail.objects.filter(session=stored)]
    [audit] = AuditEvent.objects.filter(session_id=stored.pk)
    [note] = JournalNote.objects.filter(session_id=stored.pk)
    seen = _values(reservation, SESSION, code), _values(stored, SESSION, code)
    text = note.text.replace(note.marker, "<marker>")
    journal = {**_values(note, NOTE, code), "incident_id": None, "text": text.replace(code, "<code>")}
    return seen, emails, {**_values(audit, AUDIT, code), "incident_id": None}, journal


def _values(row, names, code: str = "") -> dict:
    """The row's fields as plain values, the session code written as <code>."""
    values = {name: getattr(row, name) for name in names}
    return {name: str(value).replace(code, "<code>") if code else value for name, value in values.items()}


@pytest.mark.parametrize("invite", [True, False])
def test_the_one_statement_writes_what_the_orm_writes(
    agent, monkeypatch, settings, invite, django_capture_on_commit_callbacks
):
    settings.OUTBOX_NOTIFY = False  # the broker's messages show how the rows went out
    published: list[tuple[str, tuple]] = []
    monkeypatch.setattr(outbox.current_app, "send_task", lambda name, args, **kw: published.append((name, args)))
    with django_capture_on_commit_callbacks(execute=True):
        in_one = _recorded(agent, "s11-111-111", invite=invite)
    by_statement, published[:] = list(published), []
    monkeypatch.setattr(create_record.connection, "vendor", "sqlite")  # the ORM's path
    with django_capture_on_commit_callbacks(execute=True):
        through_orm = _recorded(agent, "s22-222-222", invite=invite)

    assert in_one == through_orm
    (in_memory, stored), emails, _audit, journal = in_one
    assert in_memory == stored and stored["state"] == "open"
    assert (journal["event"], journal["status"]) == ("created", "pending")
    # Each outbox row is handed to its task: the invitation (if any) and the note; the one
    # statement's path hands them over in one message.
    assert _tasks(by_statement) == _tasks(published) == sorted(
        [SEND_NOTE_TASK, *([SEND_INVITATION_TASK] if invite else [])]
    )
    assert len(by_statement) == 1 and len(emails) == (1 if invite else 0)


def _tasks(published: list[tuple[str, tuple]]) -> list[str]:
    """The send tasks the messages reach (a hand-on message reaches each of its pairs')."""
    names = [[pair[0] for pair in args[0]] if name == HAND_ON_TASK else [name] for name, args in published]
    return sorted(name for group in names for name in group)


def test_a_reservation_no_longer_there_is_not_filled_and_nothing_is_written(agent):
    reservation = SessionFactory(agent=agent, state=Session.State.CREATING, code="")
    Session.objects.filter(pk=reservation.pk).update(state=Session.State.UNCERTAIN)
    remote = RemoteSession(code="s33-333-333", state="open")

    assert not session_record_open(reservation, remote=remote, agent=agent, invite=True, language=None, via="api")
    assert reservation.state == Session.State.CREATING
    assert not InvitationEmail.objects.exists() and not AuditEvent.objects.exists()
    assert not JournalNote.objects.exists()
