"""CSM_WRITEBACK_EVENTS and CSM_JOURNAL_LANGUAGE as the settings read them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from csm_teamviewer.settings import journal

ALL = ("created", "emailed", "customer_waiting", "closed", "expired", "report")


@pytest.mark.parametrize(
    ("value", "events"),
    [
        (None, ALL),
        ("all", ALL),
        ("ALL", ALL),
        ("none", ()),
        ("", ()),
        ("closed, report,closed", ("closed", "report")),
    ],
)
def test_writeback_events_are_all_none_or_a_list(monkeypatch, value, events):
    if value is None:
        monkeypatch.delenv("CSM_WRITEBACK_EVENTS", raising=False)
    else:
        monkeypatch.setenv("CSM_WRITEBACK_EVENTS", value)
    assert journal._events("CSM_WRITEBACK_EVENTS") == events


def test_an_unknown_event_stops_start_up_naming_the_variable_and_the_event(monkeypatch):
    monkeypatch.setenv("CSM_WRITEBACK_EVENTS", "closed,connected")
    with pytest.raises(ImproperlyConfigured, match="CSM_WRITEBACK_EVENTS: unknown event.s. connected"):
        journal._events("CSM_WRITEBACK_EVENTS")


def test_the_defaults_write_every_event_in_japanese():
    assert journal.CSM_EVENTS == ALL
    assert journal.CSM_JOURNAL_LANGUAGE == "ja"
