"""The calls that act for no agent: the OAuth token calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from csm_teamviewer.errors import (
    TeamViewerLoginRequired,
    TeamViewerRateLimited,
    TeamViewerRejected,
    TeamViewerUnavailable,
)
from tests.conftest import TV_CLIENT_ID, TV_CLIENT_SECRET

from ..conftest import AUTH_CODE, NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN, TOKEN_URL, form, token_body


def test_exchange_code_posts_the_form_and_reads_both_tokens(client, tv):
    tv.post(TOKEN_URL, json=token_body(expires_in=3600))
    before = datetime.now(UTC)

    token_set = client.exchange_code(code=AUTH_CODE, code_verifier="v" * 43)

    assert form(tv.calls[0].request) == {
        "grant_type": "authorization_code",
        "code": AUTH_CODE,
        "code_verifier": "v" * 43,
        "redirect_uri": client.http.redirect_uri,
        "client_id": TV_CLIENT_ID,
        "client_secret": TV_CLIENT_SECRET,
    }
    assert (token_set.access_token, token_set.refresh_token) == (NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN)
    assert before + timedelta(seconds=3590) < token_set.expires_at < before + timedelta(seconds=3610)
    assert NEW_ACCESS_TOKEN not in repr(token_set)


def test_a_token_answer_without_expires_in_lasts_an_hour(client, tv):
    tv.post(TOKEN_URL, json={"access_token": NEW_ACCESS_TOKEN, "refresh_token": NEW_REFRESH_TOKEN})
    before = datetime.now(UTC)

    token_set = client.exchange_code(code=AUTH_CODE, code_verifier="v" * 43)

    assert before + timedelta(minutes=59) < token_set.expires_at < before + timedelta(minutes=61)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status": 400, "json": {"error": "invalid_grant"}}, TeamViewerRejected),
        ({"status": 401, "json": {"error": "invalid_client"}}, TeamViewerRejected),
        ({"status": 403, "json": {"error": "rate_limit_reached"}}, TeamViewerRateLimited),
        ({"status": 500, "json": {"error": "internal_error"}}, TeamViewerUnavailable),
        ({"status": 200, "body": "<html>login</html>", "content_type": "text/html"}, TeamViewerUnavailable),
        ({"status": 200, "json": {"token_type": "Bearer"}}, TeamViewerUnavailable),
        ({"body": requests.exceptions.ReadTimeout()}, TeamViewerUnavailable),
    ],
    ids=["invalid_grant", "invalid_client", "rate-limit", "500", "html", "no-access-token", "timeout"],
)
def test_exchange_code_failures_map_to_typed_errors(client, tv, answer, error):
    tv.post(TOKEN_URL, **answer)

    with pytest.raises(error):
        client.exchange_code(code=AUTH_CODE, code_verifier="v" * 43)


def test_a_wrong_client_secret_on_refresh_is_not_blamed_on_the_agent(client, tv):
    tv.post(TOKEN_URL, status=401, json={"error": "invalid_client"})

    with pytest.raises(TeamViewerRejected) as caught:
        client.refresh_tokens(refresh_token="r")

    assert not isinstance(caught.value, TeamViewerLoginRequired)
    assert caught.value.body()["teamviewer_error"] == "invalid_client"


def test_the_client_never_shows_its_secret(client):
    assert TV_CLIENT_SECRET not in repr(client)
