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


def assert_page_error(response: Any, *, status: int, code: str) -> str:
    """Assert the incident page answered the error ``code`` with HTTP ``status``; return its HTML.

    The page's errors are HTML fragments, not JSON: the message carries the code as ``data-code``
    and is always aimed at the page's message area (``HX-Retarget``), whichever part asked.
    """
    text = response.content.decode()
    assert response.status_code == status, text
    assert f'data-code="{code}"' in text, text
    assert response["HX-Retarget"] == "#message"
    return text
