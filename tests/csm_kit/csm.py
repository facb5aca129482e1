"""CSM's part, played from the guide: a web service defined by the guide's tables, whose methods a
"one-step" calls with headers from stored values and bodies from the guide's templates.

Like CSM (as far as anyone knows), it inserts a token's text into a template as it is, without
escaping it for JSON, and it treats any answer but a 2xx as a failed call that stops the one-step:
so every answer the guide's configuration gets must be a 200 (``?suppress_http_code=1``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import requests

from .guide import PLACEHOLDER, Method, guide_text, header_parameters, methods, templates

_PATH_STEP = re.compile(r"(\w+)|\[(\d+)\]")


def json_path(answer: Any, path: str) -> Any:
    """The value at ``path`` (``results[0].id``), as a JSON Path modifier reads ``$.results[0].id``."""
    value = answer
    for name, index in _PATH_STEP.findall(path):
        value = value[int(index)] if index else value[name]
    return value


def fill(template: str, tokens: dict[str, str]) -> str:
    """Each ``{{name}}`` replaced by its token's text, unescaped, as CSM inserts a token."""
    return PLACEHOLDER.sub(lambda match: tokens[match.group(1)], template)


@dataclass
class CsmWebService:
    """The web service of the guide's section 4, pointed at ``url`` (PUBLIC_BASE_URL + "/")."""

    url: str
    stored_values: dict[str, str]
    language: str = "en"
    extra_headers: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, int]] = field(default_factory=list)

    def call(self, method_name: str, **tokens: str) -> Answer:
        """Run the method with the one-step's tokens; the answer as CSM stores it (a JSON variable)."""
        method = methods(self.language)[method_name]
        tokens = {"api_key": self.stored_values["TeamViewer API Key"], **tokens}
        headers = {name: fill(value, tokens) for name, value in header_parameters(self.language).items()}
        body = (
            fill(templates(guide_text(self.language))[method.template], tokens) if method.template else None
        )
        response = requests.request(
            method.verb,
            self.url + fill(method.url, tokens),
            headers={**headers, **self.extra_headers},
            data=body.encode() if body is not None else None,
            timeout=15,
        )
        self.calls.append((method_name, response.status_code))
        # A non-2xx answer would stop the one-step with nothing to branch on.
        assert response.status_code == 200, (method_name, response.status_code, response.text)
        return Answer(method, response.json())


@dataclass(frozen=True)
class Answer:
    """A method's answer, read only through the fields the guide tells the admin to map."""

    method: Method
    body: dict[str, Any]

    def __getitem__(self, mapped: str) -> Any:
        assert mapped in self.method.fields, f"the guide maps no {mapped!r} for {self.method.name}"
        return json_path(self.body, mapped)

    @property
    def succeeded(self) -> bool:
        return 200 <= self["http_status"] < 300
