"""The CSM sandbox refuses JSON holding a lone surrogate (``"\\ud800"``) in CSM's error shape,
never a 500 from the database that cannot store it."""

from __future__ import annotations

import json

from csm_teamviewer.csm_sandbox import catalogue

from .conftest import API, assert_csm_error, note_fields


def test_a_journal_note_with_a_lone_surrogate_is_a_bad_request(sandbox):
    token = sandbox.access_token()
    incident = sandbox.incident(token)
    body = {
        "parentBusObId": catalogue.INCIDENT,
        "parentBusObRecId": incident["busObRecId"],
        "relationshipId": catalogue.OWNS_JOURNALS,
        "busObId": catalogue.JOURNAL_GROUP,
        "fields": note_fields("__SURROGATE__"),
        "persist": True,
    }
    text = json.dumps(body).replace("__SURROGATE__", "\\ud800")

    response = sandbox.client.post(
        f"{API}/saverelatedbusinessobject",
        text,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert_csm_error(response, 400, "BADREQUEST")
