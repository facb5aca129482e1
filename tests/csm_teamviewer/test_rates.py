"""Rates such as "120/min": the one parser the settings and the throttles share."""

from __future__ import annotations

import pytest

from csm_teamviewer.rates import Rate, parse_rate


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("120/min", Rate(120, 60)),
        ("600/m", Rate(600, 60)),
        ("5/s", Rate(5, 1)),
        ("5/sec", Rate(5, 1)),
        ("10/hour", Rate(10, 3600)),
        ("10/h", Rate(10, 3600)),
        ("1000/day", Rate(1000, 86400)),
        (" 7/d ", Rate(7, 86400)),
    ],
)
def test_a_rate_is_a_count_per_period(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "   ", None])
def test_an_empty_rate_means_no_limit(text):
    assert parse_rate(text) is None


@pytest.mark.parametrize("text", ["lots", "120", "120/", "/min", "120/mango", "-1/min", "1.5/s", "²/min", "120 /min"])
def test_anything_else_is_refused_rather_than_read_as_no_limit(text):
    with pytest.raises(ValueError, match="120/min"):
        parse_rate(text)
