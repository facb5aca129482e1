"""The load test's checks, made from the records (through the ORM, on the server's database):
one TeamViewer session per incident and agent with a live session here, and every invitation
sent exactly once."""

from __future__ import annotations

import email
import email.policy
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

AGENTS = 5
DRAIN_SECONDS = 180
CLOSED_FIRST = "The session is no longer open."


def seed(*, agents: int = AGENTS) -> tuple[str, list[str]]:
    """An API key and ``agents`` agents, each holding a sandbox token."""
    from sessions_app.services.api_keys import api_key_create
    from tests.faults.sandbox import agent_with_token

    names = [agent_with_token(f"agent.load{number:02d}").username for number in range(agents)]
    return api_key_create(name="load test")[1], names


def check_teamviewer(agents: Iterable[str]) -> dict[str, Any]:
    """Our live sessions against the sandbox's open ones, per incident and agent."""
    from django.contrib.auth import get_user_model

    from csm_teamviewer.sandbox.models import Session as SandboxSession
    from sessions_app.models import Session
    from tests.faults.sandbox import incident_of

    users = {user.email: user.username for user in get_user_model().objects.filter(username__in=list(agents))}
    ours = defaultdict(list)
    for incident, username, code in Session.objects.filter(
        agent__username__in=users.values(), state__in=["open", "active"]
    ).values_list("incident_id", "agent__username", "code"):
        ours[(incident, username)].append(code)
    theirs = defaultdict(list)
    for remote in SandboxSession.objects.filter(owner_email__in=users, state="open"):
        theirs[(incident_of(remote), users[remote.owner_email])].append(remote.code)
    pairs = set(ours) | set(theirs)
    return {
        "pairs_live_here": len(ours),
        "open_at_teamviewer": sum(len(codes) for codes in theirs.values()),
        "pairs_with_two_or_more_at_teamviewer": sum(1 for codes in theirs.values() if len(codes) > 1),
        "pairs_not_matching": sum(
            1 for pair in pairs if sorted(ours.get(pair, [])) != sorted(theirs.get(pair, []))
        ),
        "reservations_left": Session.objects.filter(state="creating").count(),
        "closed_at_teamviewer": SandboxSession.objects.filter(owner_email__in=users, state="closed").count(),
    }


def check_emails(messages: list[tuple[str, str]] | None) -> dict[str, Any]:
    """Every outbox row sent, and each sent row matched by exactly one message (by its link).

    ``messages`` None: the sent messages cannot be seen from here, only the outbox is checked.
    """
    from sessions_app.models import InvitationEmail

    rows = InvitationEmail.objects.select_related("session")
    status = Counter(rows.values_list("status", flat=True))
    # Closed before a worker got to it: failed on purpose (nobody should join a closed session).
    closed_first = rows.filter(status="failed", last_error=CLOSED_FIRST).count()
    sent_per_link = Counter(row.session.end_customer_link for row in rows.filter(status="sent"))
    found: Counter = Counter()
    unmatched = 0
    if messages is None:
        return {"outbox_rows": sum(status.values()), "status": dict(status), "closed_first": closed_first}
    for _to, text in messages:
        links = [link for link in sent_per_link if link and link in text]
        if len(links) == 1:
            found[links[0]] += 1
        else:
            unmatched += 1
    return {
        "outbox_rows": sum(status.values()),
        "status": dict(status),
        "closed_first": closed_first,
        "messages": len(messages),
        "unmatched_messages": unmatched,
        "sessions_with_a_wrong_count": sum(
            1 for link, count in sent_per_link.items() if found[link] != count
        ),
    }


def problems(summary: dict[str, Any], teamviewer: dict[str, Any], emails: dict[str, Any]) -> list[str]:
    found = []
    if summary["five_xx"]:
        found.append(f"{summary['five_xx']} answers were 5xx")
    if summary["transport_errors"]:
        found.append(f"broken connections: {summary['transport_errors']}")
    if not summary["requests"]:
        found.append("no request was answered")
    for name in ("pairs_with_two_or_more_at_teamviewer", "pairs_not_matching", "reservations_left"):
        if teamviewer[name]:
            found.append(f"TeamViewer: {name} = {teamviewer[name]}")
    unsent = emails["outbox_rows"] - emails["status"].get("sent", 0) - emails["closed_first"]
    if unsent:
        found.append(
            f"{unsent} invitations neither sent nor refused for a closed session ({emails['status']})"
        )
    for name in ("unmatched_messages", "sessions_with_a_wrong_count"):
        if emails.get(name):
            found.append(f"emails: {name} = {emails[name]}")
    return found


def report(summary: dict, teamviewer: dict, emails: dict) -> dict[str, Any]:
    found = problems(summary, teamviewer, emails)
    return {**summary, "teamviewer": teamviewer, "emails": emails, "problems": found, "ok": not found}


def drain_outbox(*, seconds: float = DRAIN_SECONDS) -> None:
    """Wait for the worker to send what is queued, re-driving as beat would (it is not running)."""
    from sessions_app.models import InvitationEmail
    from sessions_app.services.emails import invitations_redrive

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and InvitationEmail.objects.filter(status="queued").exists():
        invitations_redrive()
        time.sleep(2)


def file_messages(folder: Path) -> list[tuple[str, str]]:
    """The (to, plain text) of every message the file email backend wrote."""
    messages = []
    for path in sorted(folder.glob("*")):
        for chunk in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                message = email.message_from_string(chunk, policy=email.policy.default)
                body = message.get_body(("plain",))
                messages.append((str(message["To"]), body.get_content() if body else ""))
    return messages
