"""Fixtures for the attack tests: the REST API's clients and sessions, and a signed-in browser."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import SessionFactory

# The API fixtures, shared with the REST tests (pytest finds fixtures imported into a conftest).
from tests.sessions_app.conftest import (  # noqa: F401
    api,
    api_key,
    open_session,
    other_api,
    staff,
    staff_api,
    tv_token,
)

SUPPORTER_SECRET = "SUPPORTER-PLAINTEXT-d41c"


class Browser:
    """A signed-in browser on the incident page, posting its forms with the CSRF header as htmx does."""

    def __init__(self, user) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(user)
        self.client.get("/incidents/INC-1001/")
        self.csrf = self.client.cookies["csrftoken"].value

    def get(self, url: str, **extra):
        return self.client.get(url, **extra)

    def post(self, url: str, form: dict | None = None):
        return self.client.post(url, form or {}, HTTP_X_CSRFTOKEN=self.csrf)


@pytest.fixture
def secret_session(agent):
    """The agent's live session, with a supporter link no one else may ever see."""
    return SessionFactory(
        agent=agent, supporter_link=f"https://start.teamviewer.test/s98-765-432?secret={SUPPORTER_SECRET}"
    )
