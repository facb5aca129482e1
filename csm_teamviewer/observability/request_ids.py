"""One id per request, in every log line it causes and in the Celery tasks it enqueues.

The id comes from ``X-Request-ID`` when that is a sane token (a proxy or CSM set it), otherwise it
is generated. It travels to a task as a message header (``before_task_publish``) and is restored
around the task (``task_prerun``/``task_postrun``), so a worker's lines carry the request's id.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun

HEADER = "request_id"
NO_ID = "-"
# Letters, digits and a few separators, at most 128: nothing a log line or a header can be fooled by.
_SANE = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

_current: ContextVar[str] = ContextVar("request_id", default=NO_ID)


def current_request_id() -> str:
    return _current.get()


def request_id_from(header: str | None) -> str:
    """The caller's id when it is sane, otherwise a new one."""
    if header and _SANE.fullmatch(header):
        return header
    return uuid.uuid4().hex


def request_id_carried(value: object) -> str:
    """An id that travelled (in a NOTIFY's payload): itself when it is sane, otherwise none."""
    return value if isinstance(value, str) and _SANE.fullmatch(value) else NO_ID


def bind_request_id(request_id: str) -> Any:
    """Make ``request_id`` current; returns the token ``unbind_request_id`` takes."""
    return _current.set(request_id)


def unbind_request_id(token: Any) -> None:
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (``request_id``), for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get()
        return True


@before_task_publish.connect
def _stamp_task(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    request_id = _current.get()
    if headers is not None and request_id != NO_ID:
        headers[HEADER] = request_id


_task_tokens: dict[str, Any] = {}


@task_prerun.connect
def _adopt_task_id(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    request_id = getattr(task.request, HEADER, None) if task is not None else None
    if task_id and isinstance(request_id, str) and _SANE.fullmatch(request_id):
        _task_tokens[task_id] = _current.set(request_id)


@task_postrun.connect
def _drop_task_id(task_id: str | None = None, **_kwargs: Any) -> None:
    token = _task_tokens.pop(task_id or "", None)
    if token is not None:
        _current.reset(token)
