"""The ``timetag`` filter writes exactly what Django's date filter wrote before it, faster."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.template import engines
from django.utils import timezone

MOMENT = datetime(2026, 1, 31, 9, 5, 7, 123456, tzinfo=UTC)


def _render(source: str, value: object) -> str:
    return engines["django"].from_string(source).render({"value": value})


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "Europe/Berlin"])
def test_timetag_matches_the_date_filter_markup_in_the_current_time_zone(zone):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        expected = _render(
            """<time datetime="{{ value|date:'c' }}">{{ value|date:"Y-m-d H:i T" }}</time>""", MOMENT
        )
        rendered = _render("{% load session_times %}{{ value|timetag }}", MOMENT)

    assert rendered == expected


def test_timetag_of_nothing_is_empty():
    assert _render("{% load session_times %}[{{ value|timetag }}]", None) == "[]"
