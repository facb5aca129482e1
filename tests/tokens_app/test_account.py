"""Who the agent is at TeamViewer: ``GET /account`` after each sign-in, kept with the token.

A refused or failed account fetch never fails the sign-in: the account is simply unknown.
"""

from __future__ import annotations

import pytest

from tests.conftest import TV_API
from tests.factories import TeamViewerTokenFactory
from tokens_app.models import LoginFlow, TeamViewerToken
from tokens_app.services import token_status
from tokens_app.teamviewer import TeamViewerAccount, teamviewer_app

from .conftest import AUTH_CODE, CALLBACK_PATH, NEW_ACCESS_TOKEN, start_path

ACCOUNT_URL = f"{TV_API}/account"
ACCOUNT = {"userid": "u12345678", "name": "Sato", "email": "sato@example.com", "company_name": "ACME"}


def sign_in(client, flow) -> None:
    client.get(start_path(flow))
    response = client.get(CALLBACK_PATH, {"state": flow.state, "code": AUTH_CODE})
    assert response.status_code == 200


def test_the_account_call_sends_the_bearer_and_reads_teamviewers_fields(tv):
    account = tv.get(ACCOUNT_URL, json=ACCOUNT)

    found = teamviewer_app().api("the-token").get_account()

    assert found == TeamViewerAccount(user_id="u12345678", name="Sato", email="sato@example.com")
    assert account.calls[0].request.headers["Authorization"] == "Bearer the-token"


def test_a_sign_in_keeps_the_account_with_the_token(client, tv, token_endpoint, pending_flow, agent):
    token_endpoint()
    account = tv.get(ACCOUNT_URL, json=ACCOUNT)

    sign_in(client, pending_flow)

    # Asked with the token the sign-in just gave, once.
    assert [call.request.headers["Authorization"] for call in account.calls] == [f"Bearer {NEW_ACCESS_TOKEN}"]
    token = TeamViewerToken.objects.get(agent=agent)
    assert (token.account_user_id, token.account_name, token.account_email) == (
        "u12345678",
        "Sato",
        "sato@example.com",
    )
    status = token_status(agent=agent)
    assert (status["account_name"], status["account_email"]) == ("Sato", "sato@example.com")


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 403, "json": {"error": "invalid_request", "error_description": "Missing permission."}},
        {"status": 401, "json": {"error": "invalid_token"}},
        {"status": 503, "json": {"error": "internal_error"}},
        {"status": 200, "body": "<html>gateway</html>"},
    ],
    ids=["refused", "token refused", "down", "not json"],
)
def test_a_refused_account_fetch_still_signs_in_with_the_account_unknown(
    client, tv, token_endpoint, pending_flow, agent, resumed_calls, answer
):
    token_endpoint()
    tv.get(ACCOUNT_URL, **answer)

    sign_in(client, pending_flow)

    token = TeamViewerToken.objects.get(agent=agent)
    assert token.access_token == NEW_ACCESS_TOKEN
    assert (token.account_name, token.account_email, token.account_user_id) == ("", "", "")
    pending_flow.refresh_from_db()
    assert pending_flow.status == LoginFlow.Status.COMPLETED
    assert resumed_calls == [{"agent": agent, "incident_id": "INC-1001"}]  # the action carried on
    assert token_status(agent=agent) == {
        "connected": True,
        "expires_at": token.expires_at,
        "account_name": None,
        "account_email": None,
    }


def test_a_new_sign_in_whose_account_is_unknown_forgets_the_previous_account(
    client, tv, token_endpoint, pending_flow, agent
):
    TeamViewerTokenFactory(agent=agent, account_name="Old", account_email="old@example.com")
    token_endpoint()
    tv.get(ACCOUNT_URL, status=403, json={"error": "invalid_request"})

    sign_in(client, pending_flow)

    token = TeamViewerToken.objects.get(agent=agent)
    assert (token.account_name, token.account_email) == ("", "")


def test_the_admin_lists_each_agents_teamviewer_account(admin_client, agent):
    TeamViewerTokenFactory(agent=agent, account_name="Sato", account_email="sato@example.com")

    page = admin_client.get("/admin/tokens_app/teamviewertoken/").content.decode()

    assert "Sato" in page and "sato@example.com" in page
