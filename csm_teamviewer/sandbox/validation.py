"""Checks on session request fields, with TeamViewer's limits (API notes §3.1, §3.4).

Every failure is a 400 ``invalid_request`` whose description names the field, as the manual
says for a parameter that is missing, invalid or unknown (§5.1).
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .protocol import invalid_request

MAX_NAME = 100
MAX_EMAIL = 254
MAX_CUSTOM_API = 4000
MAX_TEXT = 4000
STATES = ("open", "closed")
_GROUP_ID = re.compile(r"^g\d{1,12}$")
_USER_ID = re.compile(r"^u\d{1,12}$")


def reject_unknown(data: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise invalid_request(f"Unknown parameter: {', '.join(unknown)}.")


def text(data: dict[str, Any], name: str, *, limit: int = MAX_TEXT) -> str | None:
    """The field as a string (``None`` when absent), no longer than ``limit``."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_request(f"{name} must be a string.")
    if len(value) > limit:
        raise invalid_request(f"{name} must be at most {limit} characters.")
    return value


def end_customer(data: dict[str, Any]) -> tuple[str, str] | None:
    """``(name, email)`` from the ``end_customer`` object, or ``None`` when absent."""
    value = data.get("end_customer")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_request("end_customer must be an object with name and email.")
    reject_unknown(value, frozenset({"name", "email"}))
    name = text(value, "name", limit=MAX_NAME) or ""
    email = (text(value, "email", limit=MAX_EMAIL) or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise invalid_request("end_customer.email is not a valid email address.") from None
    return name, email


def group_id(data: dict[str, Any]) -> str | None:
    value = text(data, "groupid", limit=13)
    if value is not None and not _GROUP_ID.match(value):
        raise invalid_request("groupid must look like g12345678.")
    return value


def user_id(data: dict[str, Any]) -> str | None:
    value = text(data, "assigned_userid", limit=13)
    if value is not None and not _USER_ID.match(value):
        raise invalid_request("assigned_userid must look like u12345678.")
    return value


def state(data: dict[str, Any]) -> str | None:
    value = text(data, "state", limit=10)
    if value is not None and value.lower() not in STATES:
        raise invalid_request("state must be open or closed.")
    return value.lower() if value is not None else None


def future_time(data: dict[str, Any], name: str) -> datetime | None:
    """An ISO 8601 date-time after now (UTC when it names no zone)."""
    value = text(data, name, limit=40)
    if value is None:
        return None
    parsed = _parse_time(value)
    if parsed is None:
        raise invalid_request(f"{name} must be an ISO 8601 date-time such as 2013-10-30T12:03:29Z.")
    if parsed <= timezone.now():
        raise invalid_request(f"{name} must be in the future.")
    return parsed


def query_time(params: dict[str, str], name: str) -> datetime | None:
    value = params.get(name)
    if not value:
        return None
    parsed = _parse_time(value)
    if parsed is None:
        raise invalid_request(f"{name} must be an ISO 8601 date-time.")
    return parsed


def query_bool(params: dict[str, str], name: str, *, default: bool) -> bool:
    value = params.get(name, "").strip().lower()
    if not value:
        return default
    if value not in ("true", "false"):
        raise invalid_request(f"{name} must be true or false.")
    return value == "true"


def query_states(params: dict[str, str]) -> list[str]:
    """``state=open``, ``closed``, or both comma-separated; open only by default (§3.2)."""
    states = [item.strip().lower() for item in params.get("state", "open").split(",") if item.strip()]
    if not states or any(item not in STATES for item in states):
        raise invalid_request("state must be open, closed or both, comma-separated.")
    return states


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed
