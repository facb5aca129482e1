"""``check`` and ``manage.py csm_check``: what was found, or exactly what is wrong, and never a secret."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tokens_app.csm import csm_client
from tokens_app.models import CsmToken

from .conftest import ACCESS, API, INCIDENT_OBJECT, PASSWORD, REFRESH, TOKEN_URL, csm_error, record


def run_check(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("csm_check", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_check_reports_each_id_found_and_the_incident(discovery):
    discovery.get(f"{API}/getbusinessobject/busobid/{INCIDENT_OBJECT}/publicid/102522", json=record())

    report = csm_client().check("102522")

    assert report.ok and report.problem == ""
    assert [step.name for step in report.steps] == ["sign_in", "incident_object", "relationship", "journal_type",
                                                    "journal_fields", "incident"]
    assert "Incident 102522 found" in report.steps[-1].detail


@pytest.mark.parametrize(
    ("body", "expected"),
    [({"error": "invalid_client_id", "error_description": "Client k is not registered in the system."},
      "CSM does not know the client key in CSM_CLIENT_ID. CSM said: Client k is not registered in the system."),
     ({"error": "invalid_grant", "error_description": "Could not login to system."},
      "CSM refused the sign-in of CSM_USERNAME with CSM_PASSWORD and CSM_AUTH_MODE. CSM said: Could not login "
      "to system.")],
)
def test_check_says_which_sign_in_setting_is_wrong(csm, body, expected):
    csm.post(TOKEN_URL, json=body, status=400)

    report = csm_client().check()

    assert not report.ok
    assert [(step.name, step.ok) for step in report.steps] == [("sign_in", False)]
    assert report.problem == expected


def test_the_command_prints_what_it_found_and_exits_zero(discovery):
    output, error = run_check()

    assert error is None
    assert "ok   relationship: Relationship “Incident Owns Journals”" in output
    assert "CSM is ready for journal notes." in output


def test_the_command_fails_naming_an_unknown_incident(discovery):
    discovery.get(f"{API}/getbusinessobject/busobid/{INCIDENT_OBJECT}/publicid/777",
                  json=csm_error("RECORDNOTFOUND", "Record not found"), status=500)

    output, error = run_check("777")

    assert error is not None and str(error) == "CSM knows no incident 777."
    assert "FAIL incident: CSM knows no incident 777." in output


def test_the_command_fails_naming_the_relationships_there_are(discovery, settings):
    settings.CSM_JOURNAL_RELATIONSHIP = "Incident Has Journals"

    output, error = run_check()

    assert error is not None
    assert "It has: “Incident Links Customer”, “Incident Owns Journals”." in str(error)


def test_no_password_or_token_reaches_the_output_a_log_line_or_a_repr(discovery, caplog):
    caplog.set_level(logging.DEBUG)
    discovery.get(f"{API}/getbusinessobject/busobid/{INCIDENT_OBJECT}/publicid/102522", json=record())

    output, error = run_check("102522")
    client = csm_client()
    client.find_incident("102522")
    reprs = " ".join(repr(value) for value in (client, client.http, client.http.account, client.api,
                                               client.api.tokens, CsmToken.objects.get(), csm_client().check()))

    assert error is None
    for secret in (PASSWORD, ACCESS, REFRESH):
        assert secret not in output
        assert secret not in caplog.text
        assert secret not in reprs
    assert "CSM login for the integration account." in caplog.text  # the log was listened to
