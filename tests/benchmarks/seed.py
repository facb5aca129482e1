"""The rows the benchmarks read and act as: an API key, agents with tokens, incidents with sessions.

Runs in the benchmark's own process (Django set up on the same database as the server).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.utils import timezone

LIST_SIZES = (1, 10, 100)
AGENT = "bench.agent"
OTHER_AGENT = "bench.other"
REFRESH_AGENT = "bench.refresh"


@dataclass(frozen=True)
class Seed:
    api_key: str
    page_cookie: str

    @staticmethod
    def incident(size: int) -> str:
        return f"BENCH-LIST-{size}"


def seed() -> Seed:
    from csm_teamviewer.authentication import agent_for_csm_login
    from sessions_app.services.api_keys import api_key_create

    _, key = api_key_create(name="benchmark")
    agent = agent_for_csm_login(login=AGENT)
    other = agent_for_csm_login(login=OTHER_AGENT)
    _give_token(agent, expires_in=timedelta(hours=10))
    for size in LIST_SIZES:
        _incident_sessions(Seed.incident(size), size, agents=(agent, other))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)
    return Seed(api_key=key, page_cookie=client.cookies[settings.SESSION_COOKIE_NAME].value)


def expired_token_agent(name: str = REFRESH_AGENT) -> str:
    """An agent whose access token has expired and whose refresh token is good: returns its login."""
    from csm_teamviewer.authentication import agent_for_csm_login

    agent = agent_for_csm_login(login=name)
    _give_token(agent, expires_in=timedelta(hours=-1))
    return name


def _give_token(agent, *, expires_in: timedelta) -> None:
    from tokens_app.services import token_store
    from tokens_app.teamviewer import TokenSet

    token_set = TokenSet(
        access_token="bench-access-" + secrets.token_urlsafe(16),
        refresh_token="bench-refresh-" + secrets.token_urlsafe(16),
        expires_at=timezone.now() + expires_in,
    )
    token_store(agent=agent, token_set=token_set)


def _incident_sessions(incident_id: str, count: int, *, agents: tuple) -> None:
    """``count`` sessions: one waiting, one connected (another agent's), the rest closed."""
    from sessions_app.models import Session

    now = timezone.now()
    rows = []
    for number in range(count):
        state = (Session.State.OPEN, Session.State.ACTIVE)[number] if number < 2 else Session.State.CLOSED
        code = f"s99-{count:03d}-{number:03d}"
        rows.append(
            Session(
                incident_id=incident_id,
                agent=agents[number % 2],
                code=code,
                state=state,
                end_customer_link=f"https://get.teamviewer.test/{code}",
                supporter_link=f"https://start.teamviewer.test/{code}",
                webclient_supporter_link=f"https://web.teamviewer.test/{code}",
                requester_name="Requester",
                requester_email="requester@example.com",
                description="Printer does not print",
                valid_until=now + timedelta(hours=20),
                created_at=now - timedelta(minutes=number),
                closed_at=None if number < 2 else now,
                email_status=Session.EmailStatus.SENT,
            )
        )
    Session.objects.bulk_create(rows)
