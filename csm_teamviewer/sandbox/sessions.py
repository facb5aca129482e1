"""Session codes and connection reports, as the sandbox keeps them (API notes §3, §4)."""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import validation
from .models import ConnectionRecord, Session, Token
from .oauth import hash_secret, userid_for
from .protocol import ApiError, invalid_request, same_secret

# TeamViewer: "Session codes will expire after 24h if no valid_until date is set" (§3.1).
DEFAULT_VALIDITY = timedelta(hours=24)
_CREATE_FIELDS = frozenset(
    {"groupid", "groupname", "description", "end_customer", "waiting_message",
     "assigned_userid", "custom_api", "valid_until"}
)
_UPDATE_FIELDS = frozenset(
    {"description", "end_customer", "waiting_message", "assigned_userid", "custom_api",
     "valid_until", "state"}
)

_REPORT_FIELDS = frozenset({"notes", "billing_state"})
_BILLING_STATES = frozenset({"Bill", "Billed", "DoNotBill"})


@dataclass(frozen=True)
class Page:
    items: list[Any]
    remaining: int
    next_offset: str | None


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found.")


def group_id_for(*, owner_email: str, groupname: str) -> str:
    """The id of the sandbox user's group with that name (``g12345678``), stable."""
    number = int(hash_secret(f"{owner_email}\n{groupname}")[:12], 16) % 10**8
    return f"g{number:08d}"


def _new_code() -> str:
    digits = f"{secrets.randbelow(10**8):08d}"
    return f"s{digits[:2]}-{digits[2:5]}-{digits[5:]}"


def session_create(*, token: Token, data: dict[str, Any]) -> Session:
    validation.reject_unknown(data, _CREATE_FIELDS)
    session = Session(owner_email=token.email, assigned_userid=userid_for(token.email))
    session.groupid, session.groupname = _group(data, owner_email=token.email)
    session.valid_until = timezone.now() + DEFAULT_VALIDITY
    _apply_fields(session, data)
    return _save_with_unique_code(session)


def _group(data: dict[str, Any], *, owner_email: str) -> tuple[str, str]:
    groupid = validation.group_id(data)
    groupname = (validation.text(data, "groupname", limit=200) or "").strip()
    if not groupid and not groupname:
        raise invalid_request("Either groupid or groupname is required.")
    if groupname:
        named = group_id_for(owner_email=owner_email, groupname=groupname)
        if groupid and groupid != named:
            raise invalid_request("groupid and groupname name different groups.")
        return named, groupname
    return groupid or "", ""


def _apply_fields(session: Session, data: dict[str, Any]) -> None:
    """Copy every field present in ``data`` (all validated) onto the session."""
    for name in ("description", "waiting_message"):
        value = validation.text(data, name)
        if value is not None:
            setattr(session, name, value)
    custom_api = validation.text(data, "custom_api", limit=validation.MAX_CUSTOM_API)
    if custom_api is not None:
        session.custom_api = custom_api
    customer = validation.end_customer(data)
    if customer is not None:
        session.end_customer_name, session.end_customer_email = customer
    valid_until = validation.future_time(data, "valid_until")
    if valid_until is not None:
        session.valid_until = valid_until
    assigned = validation.user_id(data)
    if assigned is not None:
        session.assigned_userid, session.assigned_at = assigned, timezone.now()


def _save_with_unique_code(session: Session) -> Session:
    for _ in range(10):
        session.code = _new_code()
        try:
            with transaction.atomic():
                session.save()
            return session
        except IntegrityError:
            continue  # the random code was taken; draw another
    raise ApiError(500, "internal_error", "Could not allocate a session code.")


def session_get(*, code: str, token: Token) -> Session:
    """The token's own session: our app has "view and edit own sessions" (README), so another
    account's session is as invisible to it as one that does not exist (404, no hint it does)."""
    session = Session.objects.filter(code=code.lower(), owner_email=token.email).first()
    if session is None:
        raise not_found("Session")
    return session


def session_update(*, code: str, token: Token, data: dict[str, Any]) -> None:
    validation.reject_unknown(data, _UPDATE_FIELDS)
    if not data:
        raise invalid_request("Give at least one field to change.")
    new_state = validation.state(data)
    with transaction.atomic():
        session = session_get(code=code, token=token)
        _apply_fields(session, data)
        if new_state == Session.State.CLOSED:
            _close(session)
        elif new_state == Session.State.OPEN:
            session.state, session.closed_at = Session.State.OPEN, None
        session.save()


def _close(session: Session) -> None:
    if session.state == Session.State.CLOSED:
        return  # closing twice keeps the first closing time
    now = timezone.now()
    session.state, session.closed_at, session.online = Session.State.CLOSED, now, False
    session.connections.filter(end_date__isnull=True).update(end_date=now)


def session_list(*, token: Token, params: dict[str, str]) -> Page:
    """The token owner's sessions after ``offset`` (a session code), one page."""
    sessions = Session.objects.filter(owner_email=token.email, state__in=validation.query_states(params))
    for name in ("groupid", "assigned_userid"):
        if params.get(name):
            sessions = sessions.filter(**{name: params[name]})
    if params.get("offset"):
        anchor = Session.objects.filter(code=params["offset"].lower(), owner_email=token.email).first()
        if anchor is None:
            raise invalid_request("offset is not a known session code.")
        sessions = sessions.filter(pk__gt=anchor.pk)
    size = int(getattr(settings, "SANDBOX_PAGE_SIZE", 50))
    return _page(list(sessions[: size + 1]), sessions, size, key=lambda item: item.code)


def _page(first: list, queryset: Any, size: int, *, key: Any) -> Page:
    # One row past the page says whether to count what remains at all.
    items = first[:size]
    remaining = queryset.count() - size if len(first) > size else 0
    return Page(items=items, remaining=remaining, next_offset=key(items[-1]) if remaining else None)


def session_join(*, compact_code: str) -> Session | None:
    """The customer opened the link: the session is online and a connection starts."""
    code = _dashed(compact_code)
    with transaction.atomic():
        session = Session.objects.select_for_update().filter(code=code).first() if code else None
        if session is None or session.state != Session.State.OPEN or session.is_expired():
            return session
        session.online = True
        session.save(update_fields=["online"])
        if not session.connections.filter(end_date__isnull=True).exists():
            _record_connection(session)
    return session


def session_mark_online(*, code: str) -> Session | None:
    """The sandbox's control: the customer opened QuickSupport and waits (online, no connection
    yet), as TeamViewer then reports the session. Only an open, unexpired session changes."""
    session = Session.objects.filter(code=code.lower()).first()
    if session is None or session.state != Session.State.OPEN or session.is_expired():
        return session
    Session.objects.filter(pk=session.pk).update(online=True)
    session.online = True
    return session


def _dashed(compact_code: str) -> str:
    value = compact_code.lower()
    if len(value) != 9 or value[0] != "s" or not value[1:].isdigit():
        return ""
    return f"{value[:3]}-{value[3:6]}-{value[6:]}"


def _record_connection(session: Session) -> ConnectionRecord:
    return ConnectionRecord.objects.create(
        session=session,
        userid=session.assigned_userid,
        username=session.owner_email,
        deviceid=f"{secrets.randbelow(10**9):09d}",
        devicename=session.end_customer_name or "Customer device",
    )


def supporter_key(session: Session) -> str:
    """The secret part of the supporter link: derived, so nothing more is stored."""
    return hash_secret(f"{settings.SECRET_KEY}\nsupporter\n{session.code}")[:16]


def session_for_supporter(*, link_token: str) -> Session | None:
    compact, _, key = link_token.partition("-")
    code = _dashed(compact)
    session = Session.objects.filter(code=code).first() if code else None
    if session is None or not same_secret(key, supporter_key(session)):
        return None
    return session


def report_list(*, token: Token, params: dict[str, str]) -> Page:
    """The token owner's connection records after ``offset_id``, up to 1000 a page (§4.1)."""
    records = ConnectionRecord.objects.filter(session__owner_email=token.email).select_related("session")
    if params.get("session_code"):
        records = records.filter(session__code=params["session_code"].lower())
    if params.get("groupid"):
        records = records.filter(session__groupid=params["groupid"])
    if not validation.query_bool(params, "has_code", default=True):
        records = records.none()  # every sandbox connection is made with a session code
    from_date = validation.query_time(params, "from_date")
    to_date = validation.query_time(params, "to_date")
    if from_date:
        records = records.filter(start_date__gte=from_date)
    if to_date:
        records = records.filter(start_date__lt=to_date)
    if params.get("offset_id"):
        records = records.filter(pk__gt=_record_pk(params["offset_id"], token=token))
    size = int(getattr(settings, "SANDBOX_REPORT_PAGE_SIZE", 1000))
    return _page(list(records[: size + 1]), records, size, key=lambda item: str(item.report_id))


def _record_pk(report_id: str, *, token: Token) -> int:
    record = _record(report_id, token=token)
    if record is None:
        raise invalid_request("offset_id is not a known report id.")
    return record.pk


def _record(report_id: str, *, token: Token) -> ConnectionRecord | None:
    try:
        wanted = uuid.UUID(report_id)
    except ValueError:
        return None
    return ConnectionRecord.objects.filter(report_id=wanted, session__owner_email=token.email).first()


def report_update(*, token: Token, report_id: str, data: dict[str, Any]) -> None:
    """Change a report's ``notes`` and/or ``billing_state`` (§4.2)."""
    validation.reject_unknown(data, _REPORT_FIELDS)
    if not data:
        raise invalid_request("Give notes or billing_state.")
    record = _record(report_id, token=token)
    if record is None:
        raise not_found("Connection report")
    notes = validation.text(data, "notes")
    if notes is not None:
        record.notes = notes
    if "billing_state" in data:
        if data["billing_state"] not in _BILLING_STATES:
            raise invalid_request("billing_state must be Bill, Billed or DoNotBill.")
        record.billing_state = data["billing_state"]
    record.save(update_fields=["notes", "billing_state"])
