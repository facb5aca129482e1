"""What the client sends and how each kind of answer maps to a typed error; what is retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import time_machine

from csm_teamviewer.errors import (
    TeamViewerLicenseLimit,
    TeamViewerLoginRequired,
    TeamViewerRateLimited,
    TeamViewerRejected,
    TeamViewerUnavailable,
)

from .conftest import (
    ACCESS_TOKEN,
    CODE,
    PING_URL,
    SESSION_URL,
    SESSIONS_URL,
    create,
)

# --- rate limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [(403, {"error": "rate_limit_reached", "error_description": "Rate limit reached."}), (429, {})],
    ids=["403-rate_limit_reached", "429"],
)
def test_rate_limits_become_rate_limited_with_retry_after(client, tv, status, body):
    tv.post(SESSIONS_URL, status=status, json=body, headers={"Retry-After": "7"})

    with pytest.raises(TeamViewerRateLimited) as caught:
        create(client)

    assert caught.value.retry_after == 7
    assert caught.value.headers() == {"Retry-After": "7"}
    assert caught.value.body()["retry_after"] == 7
    assert caught.value.status_code == 429


def test_a_rate_limit_without_retry_after_waits_the_default(client, tv):
    tv.get(SESSION_URL, status=403, json={"error": "rate_limit_reached"})

    with pytest.raises(TeamViewerRateLimited) as caught:
        client.api(ACCESS_TOKEN).get_session(CODE)

    assert caught.value.retry_after == TeamViewerRateLimited.default_retry_after


def test_a_429_with_an_http_date_retry_after_counts_the_seconds_to_it(client, tv):
    now = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)
    tv.post(
        SESSIONS_URL,
        status=429,
        headers={"Retry-After": format_datetime(now + timedelta(seconds=30), usegmt=True)},
    )

    with time_machine.travel(now, tick=False), pytest.raises(TeamViewerRateLimited) as caught:
        create(client)

    assert caught.value.retry_after == 30


def test_a_retry_after_date_in_the_past_still_waits_a_second(client, tv):
    now = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)
    tv.post(
        SESSIONS_URL,
        status=429,
        headers={"Retry-After": format_datetime(now - timedelta(minutes=5), usegmt=True)},
    )

    with time_machine.travel(now, tick=False), pytest.raises(TeamViewerRateLimited) as caught:
        create(client)

    assert caught.value.retry_after == 1


# --- TeamViewer down, slow, or not itself ---------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_become_unavailable(client, tv, status):
    tv.post(SESSIONS_URL, status=status, json={"error": "internal_error"})

    with pytest.raises(TeamViewerUnavailable) as caught:
        create(client)

    assert caught.value.status_code in (502, 503, 504)
    assert caught.value.code == "teamviewer_unavailable"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.api(ACCESS_TOKEN).get_session(CODE),
        lambda c: create(c),
    ],
    ids=["GET", "POST"],
)
def test_a_timeout_becomes_unavailable_with_status_504(client, tv, call):
    tv.get(SESSION_URL, body=requests.exceptions.ReadTimeout())
    tv.post(SESSIONS_URL, body=requests.exceptions.ReadTimeout())

    with pytest.raises(TeamViewerUnavailable) as caught:
        call(client)

    assert caught.value.status_code == 504


def test_a_connection_failure_becomes_unavailable(client, tv):
    tv.post(SESSIONS_URL, body=requests.exceptions.ConnectionError("refused"))

    with pytest.raises(TeamViewerUnavailable) as caught:
        create(client)

    assert caught.value.status_code == 503


def test_an_html_page_with_200_becomes_unavailable(client, tv):
    tv.get(SESSION_URL, body="<html><body>Maintenance</body></html>", content_type="text/html")

    with pytest.raises(TeamViewerUnavailable):
        client.api(ACCESS_TOKEN).get_session(CODE)


def test_an_html_error_page_becomes_unavailable(client, tv):
    tv.post(SESSIONS_URL, status=400, body="<html>Bad gateway config</html>", content_type="text/html")

    with pytest.raises(TeamViewerUnavailable):
        create(client)


def test_a_json_list_with_200_becomes_unavailable(client, tv):
    tv.get(PING_URL, json=["token_valid"])

    with pytest.raises(TeamViewerUnavailable):
        client.api(ACCESS_TOKEN).ping()


# --- TeamViewer refuses ---------------------------------------------------------------------


def test_a_400_about_license_limitations_becomes_license_limit_with_teamviewers_text(client, tv):
    text = "The session could not be created due to license limitations (maximum concurrent sessions)."
    tv.post(
        SESSIONS_URL,
        status=400,
        json={"error": "invalid_request", "error_description": text, "error_code": 1},
    )

    with pytest.raises(TeamViewerLicenseLimit) as caught:
        create(client)

    assert caught.value.detail == text
    assert caught.value.code == "teamviewer_license_limit"


def test_another_400_becomes_rejected_with_teamviewers_description(client, tv):
    tv.post(
        SESSIONS_URL,
        status=400,
        json={"error": "invalid_request", "error_description": "groupname: the group does not exist."},
    )

    with pytest.raises(TeamViewerRejected) as caught:
        create(client)

    assert type(caught.value) is TeamViewerRejected
    assert caught.value.detail == "groupname: the group does not exist."
    assert caught.value.body()["teamviewer_error"] == "invalid_request"


@pytest.mark.parametrize(
    "answer",
    [{"json": {"error": "invalid_token", "error_description": "Token expired."}}, {"body": ""}],
    ids=["json", "no-body"],
)
def test_a_401_becomes_login_required(client, tv, answer):
    tv.post(SESSIONS_URL, status=401, **answer)

    with pytest.raises(TeamViewerLoginRequired):
        create(client)


def test_a_token_error_in_a_400_becomes_login_required(client, tv):
    tv.get(SESSION_URL, status=400, json={"error": "token_expired"})

    with pytest.raises(TeamViewerLoginRequired):
        client.api(ACCESS_TOKEN).get_session(CODE)




# --- retries --------------------------------------------------------------------------------


def test_a_get_is_retried_on_503_and_gives_up_after_two_retries(client, tv):
    ping = tv.get(PING_URL, status=503, json={"error": "internal_error"})

    with pytest.raises(TeamViewerUnavailable):
        client.api(ACCESS_TOKEN).ping()

    assert ping.call_count == 3


def test_a_get_that_recovers_on_retry_succeeds(client, tv):
    tv.get(PING_URL, status=503, json={"error": "internal_error"})
    tv.get(PING_URL, json={"token_valid": True})

    assert client.api(ACCESS_TOKEN).ping() is True
    assert len(tv.calls) == 2


def test_a_post_creating_a_session_is_never_retried(client, tv):
    post = tv.post(SESSIONS_URL, status=503, json={"error": "internal_error"})

    with pytest.raises(TeamViewerUnavailable):
        create(client)

    assert post.call_count == 1


def test_a_put_closing_a_session_is_retried_on_502(client, tv):
    tv.put(SESSION_URL, status=502, body="<html>Bad gateway</html>")
    tv.put(SESSION_URL, status=204)

    client.api(ACCESS_TOKEN).close_session(CODE)

    assert len(tv.calls) == 2
