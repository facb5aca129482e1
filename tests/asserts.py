"""One check of an error answer: its status, and the body every error has (``code``, ``detail``)."""

from __future__ import annotations

from typing import Any


def assert_error(response: Any, *, status: int, code: str) -> dict[str, Any]:
    """Assert ``response`` is the error ``code`` with HTTP ``status``; return its body for more.

    Takes Django's test responses and ``requests``' alike (both have ``status_code`` and ``json()``).
    """
    body = response.json()
    assert (response.status_code, body.get("code")) == (status, code), body
    assert isinstance(body.get("detail"), str), body
    return body
