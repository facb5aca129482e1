"""One check of an error answer: its status, and the body every error has (``code``, ``detail``)."""

from __future__ import annotations

import json
from typing import Any


def assert_error(response: Any, *, status: int, code: str) -> dict[str, Any]:
    """Assert ``response`` is the error ``code`` with HTTP ``status``; return its body for more.

    Takes the test client's responses, ``requests``' and a view's own ``JsonResponse`` alike.
    """
    body = response.json() if hasattr(response, "json") else json.loads(response.content)
    assert (response.status_code, body.get("code")) == (status, code), body
    assert isinstance(body.get("detail"), str), body
    return body
