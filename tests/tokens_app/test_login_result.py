"""The login result contract: the JSON shapes the page reads, and back again."""

from __future__ import annotations

import pytest

from csm_teamviewer.errors import ServiceError, TeamViewerLicenseLimit, TeamViewerRateLimited
from tokens_app.login_result import LoginResult

SESSION = {"id": "5c1", "state": "open", "supporter_link": "https://start.teamviewer.test/s?secret"}


def test_a_login_without_an_action_is_just_ok():
    assert LoginResult.succeeded().to_json() == {"ok": True}


def test_a_completed_action_puts_its_answer_beside_ok_and_its_name():
    result = LoginResult.succeeded(action="create", answer={"session": SESSION, "created": True})

    assert result.to_json() == {"ok": True, "action": "create", "session": SESSION, "created": True}


def test_a_failed_action_carries_the_error_body_with_its_extra_fields():
    result = LoginResult.failed(TeamViewerRateLimited(retry_after=7), action="close")

    assert result.to_json() == {
        "ok": False,
        "action": "close",
        "code": "teamviewer_rate_limited",
        "detail": str(TeamViewerRateLimited.default_detail),
        "retry_after": 7,
    }
    assert result.outcome == "teamviewer_rate_limited"


def test_a_refused_login_has_a_code_and_an_empty_detail():
    assert LoginResult.denied(code="access_denied").to_json() == {
        "ok": False,
        "code": "access_denied",
        "detail": "",
    }


@pytest.mark.parametrize(
    "result",
    [
        LoginResult.succeeded(),
        LoginResult.succeeded(action="close", answer={"session": SESSION}),
        LoginResult.failed(TeamViewerLicenseLimit("Your license is too small."), action="create"),
        LoginResult.failed(ServiceError()),
        LoginResult.denied(code="teamviewer_error"),
    ],
    ids=["no-action", "action", "action-failed", "exchange-failed", "denied"],
)
def test_the_json_reads_back_as_the_same_result(result):
    assert LoginResult.from_json(result.to_json()) == result


def test_an_unfinished_flows_empty_result_reads_as_none():
    assert LoginResult.from_json({}) is None


def test_an_answer_cannot_overwrite_the_named_fields():
    result = LoginResult.succeeded(action="create", answer={"ok": False, "session": SESSION})

    assert result.to_json()["ok"] is True
