"""The ``{{ name }}`` placeholders an admin may use in an invitation template override.

Overrides are filled by plain substitution of a fixed set of names, not by the template engine:
an admin's text can then reach nothing but these values, and a mistake cannot stop a send.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PLACEHOLDER_NAMES = (
    "requester_name",
    "agent_name",
    "incident_id",
    "link",
    "code",
    "valid_until",
)

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


def placeholders_in(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text or ""))


def validate_placeholders(text: str) -> None:
    """Refuse a template naming a placeholder that does not exist (a typo would go out as is)."""
    unknown = sorted(placeholders_in(text) - set(PLACEHOLDER_NAMES))
    if unknown:
        raise ValidationError(
            _("Unknown placeholder(s): %(unknown)s. Available: %(available)s."),
            params={
                "unknown": ", ".join(f"{{{{ {name} }}}}" for name in unknown),
                "available": ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDER_NAMES),
            },
            code="unknown_placeholder",
        )


def fill(text: str, values: Mapping[str, str], *, escape: Callable[[str], str] = str) -> str:
    """``text`` with each known placeholder replaced by ``escape(value)``; others left as written."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        return escape(values[name]) if name in values else match.group(0)

    return _PLACEHOLDER.sub(replace, text or "")
