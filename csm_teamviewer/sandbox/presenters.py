"""The sandbox's objects as TeamViewer's JSON shows them (API notes §3.1, §3.2, §4.1)."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, reverse

from .models import ConnectionRecord, Session, Token
from .oauth import name_for, userid_for
from .protocol import format_time
from .sessions import supporter_key


def public_url(name: str, *args: str) -> str:
    """An absolute URL on this server, as the outside world reaches it."""
    path = reverse(f"sandbox:{name}", args=args)
    return f"{settings.PUBLIC_BASE_URL}/{path[len(get_script_prefix()):]}"


def session_json(session: Session) -> dict[str, Any]:
    support_link = public_url("support", f"{session.compact_code}-{supporter_key(session)}")
    body: dict[str, Any] = {
        "code": session.code,
        "state": session.state,
        "groupid": session.groupid,
        "description": session.description,
        "end_customer": {"name": session.end_customer_name, "email": session.end_customer_email},
        "waiting_message": session.waiting_message,
        "custom_api": session.custom_api,
        "assigned_userid": session.assigned_userid,
        "assigned_at": format_time(session.assigned_at),
        "end_customer_link": public_url("join", session.compact_code),
        "supporter_link": support_link,
        "webclient_supporter_link": f"{support_link}?client=web",
        "online": session.online,
        "support_session_type": "Default",
        "created_at": format_time(session.created_at),
        "valid_until": format_time(session.valid_until),
    }
    if session.closed_at is not None:
        body["closed_at"] = format_time(session.closed_at)
    return body


def account_json(token: Token) -> dict[str, Any]:
    """``GET /api/v1/account``: the token owner's account (the manual's fields)."""
    return {
        "userid": userid_for(token.email),
        "name": name_for(token.email),
        "email": token.email,
        "email_validated": True,
        "company_name": "Sandbox",
    }


def session_short_json(session: Session) -> dict[str, Any]:
    # What the list answers without full_list=true (NETSHELL's short item).
    return {"code": session.code, "state": session.state, "groupid": session.groupid}


def record_json(record: ConnectionRecord) -> dict[str, Any]:
    session = record.session
    body: dict[str, Any] = {
        "id": str(record.report_id),
        "userid": record.userid,
        "username": record.username,
        "deviceid": record.deviceid,
        "devicename": record.devicename,
        "groupid": session.groupid,
        "groupname": session.groupname,
        "start_date": format_time(record.start_date),
        "session_code": session.code,
        # TeamViewerPS's enum: 2 is RemoteSupportActive, a session-code connection.
        "support_session_type": 2,
        "billing_state": record.billing_state,
        "notes": record.notes,
        "assigned_userid": session.assigned_userid,
        "session_created_at": format_time(session.created_at),
        "valid_until": format_time(session.valid_until),
        "description": session.description,
        "custom_api": session.custom_api,
    }
    if record.end_date is not None:
        body["end_date"] = format_time(record.end_date)
    return body
