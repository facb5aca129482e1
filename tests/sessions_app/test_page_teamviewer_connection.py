"""The incident page's TeamViewer connection: who the agent is signed in as, "Sign in to
TeamViewer" (a sign-in with nothing pending), and "Disconnect" (revoke and forget)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from responses import matchers

from csm_teamviewer.audit.models import AuditEvent
from tests.conftest import TV_API
from tests.factories import TeamViewerTokenFactory
from tokens_app.models import LoginFlow, TeamViewerToken

from .conftest import API
from .page_client import PAGE, notice, text_of

BASE = "/incidents/INC-1001/teamviewer/"


def connected(agent, **account) -> TeamViewerToken:
    return TeamViewerTokenFactory(agent=agent, access_token="tv-access-sato", **account)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "TeamViewer: signed in as Sato (sato@example.com)"),
        ("ja", "TeamViewer: Sato（sato@example.com）としてサインイン中"),
    ],
)
def test_the_page_says_who_the_agent_is_at_teamviewer(signed_in, agent, language, said):
    connected(agent, account_name="Sato", account_email="sato@example.com")
    page = text_of(signed_in.get(PAGE, HTTP_ACCEPT_LANGUAGE=language))
    assert said in page
    assert 'id="teamviewer-disconnect"' in page and 'id="teamviewer-sign-in"' not in page


@pytest.mark.parametrize(
    ("account", "said"),
    [
        ({"account_name": "Sato"}, "TeamViewer: signed in as Sato<"),
        ({"account_email": "sato@example.com"}, "TeamViewer: signed in as sato@example.com<"),
        ({}, "TeamViewer: signed in<"),
    ],
)
def test_a_partly_known_account_is_said_as_far_as_it_is_known(signed_in, agent, account, said):
    connected(agent, **account)
    assert said in text_of(signed_in.get(PAGE))


def test_without_a_token_the_page_offers_the_sign_in(signed_in):
    page = text_of(signed_in.get(PAGE))
    assert "TeamViewer: not signed in" in page and 'id="teamviewer-sign-in"' in page


def test_signing_in_from_the_page_starts_a_sign_in_with_nothing_pending(page, agent):
    response = page.post(f"{BASE}sign-in/")

    assert response.status_code == 200
    flow = LoginFlow.objects.get(agent=agent)
    assert flow.action == ""
    opened = json.loads(response["HX-Trigger-After-Settle"])["teamviewer-login"]["url"]
    assert opened == flow.authorize_url
    assert 'id="login-wait"' in text_of(response)


def test_the_sign_in_needs_the_pages_csrf_token(page):
    assert page.post(f"{BASE}sign-in/", csrf=False).status_code == 403
    assert not LoginFlow.objects.exists()


def test_disconnecting_from_the_page_revokes_forgets_and_says_so(page, agent, tv):
    connected(agent, account_name="Sato", account_email="sato@example.com")
    revoke = tv.post(
        f"{TV_API}/oauth2/revoke",
        status=204,
        match=[matchers.header_matcher({"Authorization": "Bearer tv-access-sato"})],
    )

    response = page.post(f"{BASE}disconnect/")

    assert response.status_code == 200
    assert len(revoke.calls) == 1
    assert not TeamViewerToken.objects.filter(agent=agent).exists()
    assert notice(response).startswith("Disconnected from TeamViewer.")
    # The connection, swapped in out of band, now offers the sign-in.
    assert 'id="teamviewer-account" class="teamviewer-account" hx-swap-oob="true"' in text_of(response)
    assert "sato@example.com" not in text_of(response)
    assert AuditEvent.objects.filter(action="disconnect", actor=agent, outcome="ok").exists()


def test_disconnect_needs_the_pages_csrf_token(page, agent):
    connected(agent)
    assert page.post(f"{BASE}disconnect/", csrf=False).status_code == 403
    assert TeamViewerToken.objects.filter(agent=agent).exists()


def test_the_connection_fragment_answers_no_one_signed_out(client):
    response = client.get(BASE, HTTP_HX_REQUEST="true")
    assert response.status_code == 401


def test_the_rest_api_gives_the_account_too(api, agent):
    token = connected(agent, account_name="Sato", account_email="sato@example.com")
    body = api.get(f"{API}/me/teamviewer/").json()
    assert body["connected"] is True
    assert (body["account_name"], body["account_email"]) == ("Sato", "sato@example.com")
    assert token.expires_at > timezone.now()
