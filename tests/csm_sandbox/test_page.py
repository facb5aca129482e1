"""``/sandbox/csm/``: each incident's journal as the sandbox recorded it, newest first, translated."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from csm_teamviewer.csm_sandbox.models import Incident, Journal

pytestmark = pytest.mark.urls("tests.csm_sandbox.urls")


@pytest.fixture
def journals(db):
    incident = Incident.objects.create(public_id="INC-1001", rec_id="a" * 42)
    now = timezone.now()
    for minutes, text in ((3, "Session created"), (2, "Invitation sent"), (1, "Session closed")):
        Journal.objects.create(incident=incident, rec_id=text[:10].ljust(42, "0"), busobid="g", type_id="t",
                               type_name="Journal - Note", details=text, created_by="csm-integration",
                               created_at=now - timedelta(minutes=minutes))
    Incident.objects.create(public_id="102522", rec_id="b" * 42)  # nothing written: not listed


def test_the_page_shows_each_journal_newest_first(client, journals):
    page = client.get("/sandbox/csm/").content.decode()

    assert "CSM sandbox — not the real CSM" in page
    assert "what would have been written" in page
    assert page.index("Session closed") < page.index("Invitation sent") < page.index("Session created")
    assert "Incident INC-1001" in page and "Incident 102522" not in page


def test_the_page_speaks_japanese(client, journals):
    page = client.get("/sandbox/csm/", headers={"Accept-Language": "ja"}).content.decode()

    assert "CSM サンドボックス — 本物の CSM ではありません" in page
    assert "インシデント INC-1001" in page


def test_an_empty_sandbox_says_how_notes_appear(client, db):
    page = client.get("/sandbox/csm/").content.decode()

    assert "No journal has been written yet." in page
