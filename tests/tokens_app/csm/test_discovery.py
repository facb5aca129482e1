"""Discovery: every id found by the names in the settings, cached, looked up again when stale;
what is missing is said exactly, with what CSM has instead."""

from __future__ import annotations

import pytest

from tokens_app.csm import CsmConfigurationError, CsmIncidentNotFound
from tokens_app.csm.discovery import Discoverer, DiscoveryCache, Names

from .conftest import (
    API,
    GROUPS,
    INCIDENT_OBJECT,
    JOURNAL_GROUP,
    JOURNAL_NOTE,
    RELATIONSHIP,
    calls_to,
    csm_error,
    record,
    relationships,
    sent_json,
)

SUMMARY_URL = f"{API}/getbusinessobjectsummary/busobname/Incident"
SCHEMA_URL = f"{API}/getbusinessobjectschema/busobid/{INCIDENT_OBJECT}"
GROUPS_URL = f"{API}/getbusinessobjectsummaries/type/Groups"
TEMPLATE_URL = f"{API}/getbusinessobjecttemplate"


def test_the_ids_are_found_by_the_names_in_the_settings(client, discovery):
    found = client.discovery.get()

    assert (found.incident_busobid, found.relationship_id) == (INCIDENT_OBJECT, RELATIONSHIP)
    assert (found.journal_busobid, found.journal_type_id) == (JOURNAL_GROUP, JOURNAL_NOTE)
    assert found.field_ids["Details"] == "fd0001"
    assert calls_to(discovery, SCHEMA_URL)[0].request.url.endswith("?includerelationships=true")
    assert sent_json(calls_to(discovery, TEMPLATE_URL)[0])["busObId"] == JOURNAL_GROUP


def test_discovery_is_done_once_and_cached(client, discovery):
    client.discovery.get()
    client.discovery.get()

    assert len(calls_to(discovery, SUMMARY_URL)) == 1
    assert len(calls_to(discovery, TEMPLATE_URL)) == 1


def test_other_names_find_other_objects(client, discovery, settings):
    settings.CSM_INCIDENT_OBJECT = "Ticket"
    settings.CSM_JOURNAL_RELATIONSHIP = "incident links customer"  # case does not matter
    discovery.get(f"{API}/getbusinessobjectsummary/busobname/Ticket", json=[{"busObId": "ticket-object"}])
    discovery.get(f"{API}/getbusinessobjectschema/busobid/ticket-object",
                  json=relationships(("Incident Links Customer", "rel-customer")))

    found = Discoverer(client.api, Names.from_settings()).discover()

    assert (found.incident_busobid, found.relationship_id) == ("ticket-object", "rel-customer")


def test_a_wrong_relationship_name_is_reported_with_the_names_csm_has(client, discovery, settings):
    settings.CSM_JOURNAL_RELATIONSHIP = "Incident Has Journals"

    with pytest.raises(CsmConfigurationError) as raised:
        Discoverer(client.api, Names.from_settings()).discover()

    assert raised.value.code == "relationship_not_found"
    assert "“Incident Has Journals”" in raised.value.message
    assert "It has: “Incident Links Customer”, “Incident Owns Journals”." in raised.value.message


def test_a_missing_journal_type_is_reported_with_the_types_there_are(client, discovery, settings):
    settings.CSM_JOURNAL_TYPE = "Journal - Remote Support History"

    with pytest.raises(CsmConfigurationError) as raised:
        Discoverer(client.api, Names.from_settings()).discover()

    assert raised.value.code == "journal_type_not_found"
    assert "It has: “Journal - History”, “Journal - Note”." in raised.value.message


@pytest.mark.parametrize("answer", [{"json": []},
                                    {"json": csm_error("RECORDNOTFOUND", "Not found"), "status": 500}])
def test_an_unknown_incident_object_is_reported(client, token_endpoint, settings, answer):
    settings.CSM_INCIDENT_OBJECT = "Incidnet"
    token_endpoint.get(f"{API}/getbusinessobjectsummary/busobname/Incidnet", **answer)

    with pytest.raises(CsmConfigurationError) as raised:
        Discoverer(client.api, Names.from_settings()).incident_object()

    assert raised.value.code == "incident_object_not_found"
    assert "“Incidnet”" in raised.value.message


def test_a_relationship_straight_to_a_journal_type_is_accepted(client, discovery):
    discoverer = Discoverer(client.api, Names.from_settings())

    assert discoverer.journal_type(JOURNAL_NOTE) == (JOURNAL_NOTE, JOURNAL_NOTE)
    assert len(GROUPS[0]["groupSummaries"]) == 2


def test_a_stale_id_is_looked_up_again_once(client, discovery):
    cache = DiscoveryCache(client.api, Names.from_settings())
    stale = cache.get()
    discovery.replace("GET", SUMMARY_URL, json=[{"busObId": "moved-incident-object"}])
    moved = f"{API}/getbusinessobject/busobid/{INCIDENT_OBJECT}/publicid/102522"
    discovery.get(moved, json=csm_error("RECORDNOTFOUND", "Business object not found"), status=500)
    discovery.get(f"{API}/getbusinessobjectschema/busobid/moved-incident-object",
                  json=relationships(("Incident Owns Journals", RELATIONSHIP)))
    discovery.get(f"{API}/getbusinessobject/busobid/moved-incident-object/publicid/102522", json=record())

    found = client.find_incident("102522")

    assert stale.incident_busobid == INCIDENT_OBJECT
    assert found.busobrecid == record()["busObRecId"]
    assert client.discovery.get().incident_busobid == "moved-incident-object"


def test_an_unknown_incident_with_unchanged_ids_is_not_found(client, discovery):
    url = f"{API}/getbusinessobject/busobid/{INCIDENT_OBJECT}/publicid/999"
    discovery.get(url, json=csm_error("RECORDNOTFOUND", "Record not found"), status=500)

    with pytest.raises(CsmIncidentNotFound):
        client.find_incident("999")

    assert len(calls_to(discovery, url)) == 1
