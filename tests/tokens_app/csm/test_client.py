"""The client's calls: incidents by public ID or RecID, journal notes saved and read, and CSM's
errors read from hasError whatever the status, timeouts on a save reported as uncertain."""

from __future__ import annotations

import pytest
import requests

from tokens_app.csm import CsmConfigurationError, CsmIncidentNotFound, CsmUnavailable, IncidentRef

from .conftest import (
    API,
    FIELD_IDS,
    INCIDENT_OBJECT,
    INCIDENT_REC_ID,
    JOURNAL_GROUP,
    JOURNAL_NOTE,
    RELATIONSHIP,
    calls_to,
    csm_error,
    query,
    record,
    sent_json,
)

BY_PUBLIC_ID = f"{API}/getbusinessobject/busobid/{INCIDENT_OBJECT}/publicid"
BY_REC_ID = f"{API}/getbusinessobject/busobid/{INCIDENT_OBJECT}/busobrecid"
SAVE_URL = f"{API}/saverelatedbusinessobject"
RELATED_URL = (f"{API}/getrelatedbusinessobject/parentbusobid/{INCIDENT_OBJECT}/parentbusobrecid/"
               f"{INCIDENT_REC_ID}/relationshipid/{RELATIONSHIP}")
INCIDENT = IncidentRef(busobid=INCIDENT_OBJECT, busobrecid=INCIDENT_REC_ID, busobpublicid="102522")
SAVED = {"busObPublicId": "j1", "busObRecId": "journal-rec-1", "fieldValidationErrors": [], "hasError": False}


def test_an_incident_is_found_by_its_public_id(client, discovery):
    discovery.get(f"{BY_PUBLIC_ID}/INC%2F7%201", json=record(public_id="INC/7 1"))

    found = client.find_incident("INC/7 1")

    assert found == IncidentRef(INCIDENT_OBJECT, INCIDENT_REC_ID, "INC/7 1")


@pytest.mark.parametrize("rec_id", ["9451A88B3582418263EFDF4FE0A5709443F8176BE6", "6dd53665c0c24cab86870a21cf6434ae"])
def test_an_incident_is_found_by_its_rec_id_of_32_or_42_hex_characters(client, discovery, rec_id):
    discovery.get(f"{BY_REC_ID}/{rec_id.lower()}", json=record(rec_id=rec_id.lower()))

    found = client.find_incident(rec_id)

    assert found.busobrecid == rec_id.lower()
    assert calls_to(discovery, f"{BY_REC_ID}/{rec_id.lower()}")


def test_a_number_of_other_lengths_is_a_public_id(client, discovery):
    discovery.get(f"{BY_PUBLIC_ID}/1234567890abcdef", json=record(public_id="1234567890abcdef"))

    assert client.find_incident("1234567890abcdef").busobpublicid == "1234567890abcdef"


@pytest.mark.parametrize("status", [200, 404, 500])
def test_a_missing_incident_is_not_found_whatever_the_status(client, discovery, status):
    discovery.get(f"{BY_PUBLIC_ID}/404404", json=csm_error("RECORDNOTFOUND", "Record not found"), status=status)

    with pytest.raises(CsmIncidentNotFound) as raised:
        client.find_incident("404404")

    assert (raised.value.code, raised.value.http_status) == ("RECORDNOTFOUND", status)


@pytest.mark.parametrize("status", [200, 403, 500])
def test_missing_rights_are_a_configuration_error_whatever_the_status(client, discovery, status):
    body = csm_error("INSUFFICIENTRIGHTS", "You are not authorized to view this object")
    discovery.get(f"{BY_PUBLIC_ID}/102522", json=body, status=status)

    with pytest.raises(CsmConfigurationError) as raised:
        client.find_incident("102522")

    assert raised.value.message == "You are not authorized to view this object"


def test_a_note_is_saved_under_the_incident_with_dirty_fields_found_by_name(client, discovery):
    discovery.post(SAVE_URL, json=SAVED)

    rec_id = client.add_journal_note(INCIDENT, "Session s12-345-678 created")

    assert rec_id == "journal-rec-1"
    sent = sent_json(calls_to(discovery, SAVE_URL)[0])
    assert {key: sent[key] for key in ("parentBusObId", "parentBusObRecId", "relationshipId", "busObId",
                                       "persist")} == {"parentBusObId": INCIDENT_OBJECT,
                                                       "parentBusObRecId": INCIDENT_REC_ID,
                                                       "relationshipId": RELATIONSHIP, "busObId": JOURNAL_GROUP,
                                                       "persist": True}
    assert sent["fields"] == [
        {"dirty": True, "fieldId": FIELD_IDS["Details"], "name": "Details", "value": "Session s12-345-678 created"},
        {"dirty": True, "fieldId": FIELD_IDS["JournalTypeID"], "name": "JournalTypeID", "value": JOURNAL_NOTE},
        {"dirty": True, "fieldId": FIELD_IDS["JournalTypeName"], "name": "JournalTypeName",
         "value": "Journal - Note"},
    ]


def test_a_save_that_times_out_is_uncertain_and_not_sent_again(client, discovery):
    discovery.post(SAVE_URL, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(CsmUnavailable) as raised:
        client.add_journal_note(INCIDENT, "note")

    assert raised.value.uncertain is True
    assert len(calls_to(discovery, SAVE_URL)) == 1


def test_a_save_that_could_not_connect_is_certain_not_made(client, discovery):
    discovery.post(SAVE_URL, body=requests.ConnectTimeout("connect timed out"))

    with pytest.raises(CsmUnavailable) as raised:
        client.add_journal_note(INCIDENT, "note")

    assert raised.value.uncertain is False


@pytest.mark.parametrize(("status", "body"), [(500, csm_error("GENERALFAILURE", "Something broke")),
                                              (503, "<html>Service Unavailable</html>")])
def test_a_server_failure_on_save_is_unavailable(client, discovery, status, body):
    discovery.post(SAVE_URL, **({"json": body} if isinstance(body, dict) else {"body": body}), status=status)

    with pytest.raises(CsmUnavailable):
        client.add_journal_note(INCIDENT, "note")


def test_a_save_refused_with_hasError_at_http_200_is_an_error(client, discovery):
    discovery.post(SAVE_URL, json={**csm_error("FIELDVALIDATIONERROR", "Details is required"),
                                   "fieldValidationErrors": [{"error": "Details is required"}]})

    with pytest.raises(CsmConfigurationError) as raised:
        client.add_journal_note(INCIDENT, "note")

    assert "Details is required" in raised.value.message


def test_journal_texts_read_every_page_of_the_details(client, discovery):
    def page(numbers: range, total: int) -> dict:
        journals = [{"busObRecId": f"j{n}", "fields": [{"name": "Details", "value": f"note {n}"},
                                                     {"name": "CreatedBy", "value": "svc"}]} for n in numbers]
        return {"relatedBusinessObjects": journals, "totalRecords": total, "hasError": False}

    discovery.get(RELATED_URL, json=page(range(200), 250))
    discovery.get(RELATED_URL, json=page(range(200, 250), 250))

    texts = client.journal_texts(INCIDENT)

    assert texts == [f"note {n}" for n in range(250)]
    assert [query(call)["pageNumber"] for call in calls_to(discovery, RELATED_URL)] == ["1", "2"]


def test_journal_texts_also_read_page_zero_from_a_server_counting_from_zero(client, discovery):
    def page(numbers: range) -> dict:
        journals = [{"busObRecId": f"j{n}", "fields": [{"name": "Details", "value": f"note {n}"}]} for n in numbers]
        return {"relatedBusinessObjects": journals, "totalRecords": 3, "hasError": False}

    discovery.get(RELATED_URL, json=page(range(2, 3)))  # page 1 of a zero-based server: the second page
    discovery.get(RELATED_URL, json=page(range(0, 2)))

    assert sorted(client.journal_texts(INCIDENT)) == ["note 0", "note 1", "note 2"]
