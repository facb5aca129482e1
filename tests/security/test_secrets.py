"""Secrets stay secret: not in the OpenAPI document, error bodies or logs; a deactivated agent's
TeamViewer token is revoked at TeamViewer and forgotten here."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from tests.conftest import TV_API, TV_CLIENT_SECRET
from tests.factories import TeamViewerTokenFactory
from tests.sessions_app.conftest import API, TV_SESSIONS, client_for, tv_session_body
from tests.tokens_app.conftest import TOKEN_URL, token_body
from tokens_app.models import TeamViewerToken
from tokens_app.services import tokens_revoke_inactive

from .conftest import SUPPORTER_SECRET

REVOKE_URL = f"{TV_API}/oauth2/revoke"
ACCESS = "tv-access-SECRET-4c1e"
# Anything shaped like one of our API keys or a TeamViewer supporter link.
KEY_OR_LINK = re.compile(r"csmtv_[A-Za-z0-9_-]{20,}|secret=[A-Za-z0-9-]+")


def _secrets(api_key: str) -> list[str]:
    return [
        settings.SECRET_KEY,
        *settings.ENCRYPTION_KEYS,
        TV_CLIENT_SECRET,
        api_key,
        ACCESS,
        SUPPORTER_SECRET,
    ]


# --- the OpenAPI document -----------------------------------------------------------------------


def _examples(node) -> list[str]:
    if isinstance(node, dict):
        found = [json.dumps(node[k]) for k in ("example", "examples", "default") if k in node]
        return found + [text for value in node.values() for text in _examples(value)]
    if isinstance(node, list):
        return [text for value in node for text in _examples(value)]
    return []


def test_the_openapi_document_and_its_docs_page_hold_no_secret(api_key, agent, tv, secret_session):
    TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    schema = Client().get("/api/schema/?format=json")
    docs = Client().get("/api/docs/")
    assert schema.status_code == docs.status_code == 200
    for text in (schema.content.decode(), docs.content.decode()):
        for secret in _secrets(api_key):
            assert secret not in text
    assert [example for example in _examples(schema.json()) if KEY_OR_LINK.search(example)] == []


# --- error bodies -------------------------------------------------------------------------------


def test_teamviewer_echoing_the_bearer_token_in_an_error_does_not_reach_the_caller(api, agent, tv):
    TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    tv.post(TV_SESSIONS, status=500, body=f"<html>upstream failed for Bearer {ACCESS}</html>")
    outage = api.post(f"{API}/sessions/", {"incident_id": "INC-1"}, format="json")
    assert outage.status_code in (502, 503)
    assert ACCESS not in outage.content.decode()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/no/such/page/"),
        ("get", f"{API}/no/such/endpoint/"),
        ("post", f"{API}/sessions/"),
        ("get", "/incidents/launch/not-a-token/"),
        ("get", "/oauth/teamviewer/callback/?state=x&code=y"),
    ],
)
def test_error_pages_show_no_debug_detail_or_setting(db, method, url):
    response = getattr(Client(), method)(url, HTTP_AUTHORIZATION="Token csmtv_attempt")
    text = response.content.decode()
    assert 400 <= response.status_code < 500
    assert "Traceback" not in text and "SECRET_KEY" not in text and settings.SECRET_KEY not in text
    assert "csmtv_attempt" not in text


# --- logs ---------------------------------------------------------------------------------------


def test_a_working_day_through_the_api_logs_no_secret_even_at_debug(
    api_key, agent, other_agent, tv, secret_session, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    tv.post(TV_SESSIONS, json=tv_session_body("s22-222-222"))
    tv.put(re.compile(rf"{TV_API}/sessions/.*"), status=204)
    api, other = client_for(api_key, agent.username), client_for(api_key, other_agent.username)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(f"{API}/sessions/", {"incident_id": "INC-9", "send_email": False}, format="json")
        api.post(f"{API}/sessions/{secret_session.pk}/join/", format="json")
        other.post(f"{API}/sessions/{secret_session.pk}/join/", format="json")
        api.post(f"{API}/sessions/{created.json()['id']}/close/", format="json")
        client_for(api_key + "x", agent.username).get(f"{API}/sessions/")
        launch = api.post(f"{API}/launch/", {"incident_id": "INC-9"}, format="json").json()["url"]
        Client().get(urlsplit(launch).path)
        Client().get(urlsplit(launch).path)  # spent: refused, and logged
    token = urlsplit(launch).path.rstrip("/").rsplit("/", 1)[-1]
    assert created.status_code == 201
    logged = caplog.text
    for secret in [*_secrets(api_key), token, "?secret=supporter"]:
        assert secret not in logged


# --- a deactivated agent --------------------------------------------------------------------------


def _deactivate(user, capture) -> None:
    with capture(execute=True):
        user.is_active = False
        user.save()


def test_deactivating_an_agent_revokes_the_token_at_teamviewer_and_forgets_it(
    agent, tv, django_capture_on_commit_callbacks
):
    TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    revoke = tv.post(REVOKE_URL, status=204)
    _deactivate(agent, django_capture_on_commit_callbacks)
    assert [call.request.headers["Authorization"] for call in revoke.calls] == [f"Bearer {ACCESS}"]
    assert not TeamViewerToken.objects.filter(agent=agent).exists()
    event = AuditEvent.objects.get(action="disconnect")
    assert (event.actor, event.detail) == (agent, "agent deactivated")


def test_a_stale_access_token_is_refreshed_first_so_the_refresh_token_dies_too(
    agent, tv, django_capture_on_commit_callbacks
):
    token = TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    TeamViewerToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    tv.post(TOKEN_URL, json=token_body(access="tv-access-fresh"))
    revoke = tv.post(REVOKE_URL, status=204)
    _deactivate(agent, django_capture_on_commit_callbacks)
    assert [call.request.headers["Authorization"] for call in revoke.calls] == ["Bearer tv-access-fresh"]
    assert not TeamViewerToken.objects.filter(agent=agent).exists()


def test_teamviewer_down_keeps_the_token_for_the_next_try_and_logs_no_secret(
    agent, tv, caplog, django_capture_on_commit_callbacks
):
    TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    tv.post(REVOKE_URL, status=503, json={"error": "internal_error"})
    _deactivate(agent, django_capture_on_commit_callbacks)
    assert TeamViewerToken.objects.filter(agent=agent).exists()
    assert f"Deactivated agent {agent.pk}: revoke failed (teamviewer_unavailable)" in caplog.text
    assert ACCESS not in caplog.text

    tv.replace("POST", REVOKE_URL, status=204)
    assert tokens_revoke_inactive() == 1
    assert not TeamViewerToken.objects.exists()


def test_the_sweep_catches_agents_deactivated_by_a_bulk_update(agent, other_agent, tv):
    TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    TeamViewerTokenFactory(agent=other_agent)
    revoke = tv.post(REVOKE_URL, status=204)
    get_user_model().objects.filter(pk=agent.pk).update(is_active=False)  # sends no signal
    assert tokens_revoke_inactive() == 1
    assert [call.request.headers["Authorization"] for call in revoke.calls] == [f"Bearer {ACCESS}"]
    assert list(TeamViewerToken.objects.values_list("agent", flat=True)) == [other_agent.pk]


def test_saving_an_active_agent_or_one_without_a_token_calls_nobody(
    agent, other_agent, tv, django_capture_on_commit_callbacks
):
    TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        agent.email = "new@example.com"
        agent.save()
        other_agent.is_active = False
        other_agent.save()
    assert callbacks == [] and len(tv.calls) == 0
    assert TeamViewerToken.objects.filter(agent=agent).exists()
