"""The project's own CSM client, over real HTTP, against the sandbox on a live server: the whole
path (check, find the incident, add a note, read it back), its rejections, and its faults."""
from __future__ import annotations

import logging

import pytest

from csm_teamviewer.csm_sandbox import faults
from csm_teamviewer.csm_sandbox.models import Journal
from tokens_app.csm import CsmConfigurationError, CsmIncidentNotFound, CsmUnavailable, csm_client
from tokens_app.models import CsmToken

pytestmark = pytest.mark.urls("tests.csm_sandbox.urls")


def test_check_finds_everything_and_the_incident(csm_on_live_server):
    report = csm_on_live_server.check("INC-1001")

    assert report.ok, report.problem
    assert report.steps[-1].name == "incident"


def test_a_note_is_added_and_journal_texts_sees_it(csm_on_live_server):
    incident = csm_on_live_server.find_incident("102522")

    rec_id = csm_on_live_server.add_journal_note(incident, "Session s12-345-678 created\n[tv:ab12]")

    assert Journal.objects.get().rec_id == rec_id
    assert csm_on_live_server.journal_texts(incident) == ["Session s12-345-678 created\n[tv:ab12]"]
    assert csm_on_live_server.find_incident(incident.busobrecid) == incident


def test_an_unknown_incident_is_not_found(csm_on_live_server):
    with pytest.raises(CsmIncidentNotFound):
        csm_on_live_server.find_incident("no-such-incident")


def test_a_wrong_password_is_a_configuration_error(csm_on_live_server, settings):
    settings.CSM_PASSWORD = "not-the-password"

    with pytest.raises(CsmConfigurationError) as raised:
        csm_client().find_incident("102522")

    assert raised.value.code == "invalid_grant"


def test_expired_tokens_are_renewed_without_a_second_login(csm_on_live_server):
    incident = csm_on_live_server.find_incident("102522")
    faults.expire_all_tokens()

    csm_on_live_server.add_journal_note(incident, "after expiry")
    faults.expire_all_refresh_tokens()
    csm_on_live_server.add_journal_note(incident, "after the refresh token expired too")

    assert Journal.objects.count() == 2
    assert faults.login_count() == 2  # the first login, and one when the refresh token had expired


def test_a_save_answered_too_late_is_uncertain_and_was_made_once(csm_on_live_server):
    incident = csm_on_live_server.find_incident("102522")
    faults.inject(path_prefix="saverelatedbusinessobject", status=None, delay=2.0, after=True)

    with pytest.raises(CsmUnavailable) as raised:
        csm_on_live_server.add_journal_note(incident, "slow [tv:once]")

    assert raised.value.uncertain is True
    assert csm_on_live_server.journal_texts(incident) == ["slow [tv:once]"]


@pytest.mark.parametrize("status", [500, 503])
def test_csm_failing_is_unavailable_and_nothing_is_saved(csm_on_live_server, status):
    incident = csm_on_live_server.find_incident("102522")
    faults.inject(path_prefix="saverelatedbusinessobject", status=status)

    with pytest.raises(CsmUnavailable) as raised:
        csm_on_live_server.add_journal_note(incident, "note")

    assert raised.value.uncertain is False
    assert not Journal.objects.exists()


def test_no_password_or_token_reaches_a_log_line(csm_on_live_server, caplog, settings):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")  # deployed at INFO; the worst case here

    incident = csm_on_live_server.find_incident("102522")
    faults.expire_all_tokens()
    csm_on_live_server.add_journal_note(incident, "note")

    stored = csm_on_live_server.api.tokens
    token = CsmToken.objects.get()
    assert "urllib3.connectionpool" in caplog.text  # the HTTP layer was heard at DEBUG
    for secret in (settings.CSM_PASSWORD, token.access_token, token.refresh_token):
        assert secret not in caplog.text
    assert settings.CSM_PASSWORD not in repr(stored)
