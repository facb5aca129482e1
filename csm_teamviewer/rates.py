"""Request rates written as ``N/period`` (``"120/min"``): one parser and one set of rules.

The settings check each rate at start-up (a typo stops the server, naming the variable) and the
throttles apply it, so both must read a rate the same way.
"""

from __future__ import annotations

from typing import NamedTuple

PERIOD_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


class Rate(NamedTuple):
    requests: int
    seconds: int


def parse_rate(text: str | None) -> Rate | None:
    """``"120/min"`` as ``Rate(120, 60)``; None for an empty rate (no limit).

    Raises ValueError for anything else, so a mistake is never read as "no limit".
    """
    text = (text or "").strip()
    if not text:
        return None
    count, _slash, period = text.partition("/")
    if not (count.isascii() and count.isdigit()) or period not in PERIOD_SECONDS:
        raise ValueError(f"A rate looks like '120/min' (per s, min, hour or day); got {text!r}.")
    return Rate(int(count), PERIOD_SECONDS[period])
