"""What a finished TeamViewer login produced: the one shape of ``LoginFlow.result``.

Written once, when the login ends (``login_flow_complete``, ``login_flow_deny`` in
``services.py``). Read by the flow's status (``selectors.login_flow_status``, which the incident
page polls when the pop-up lost its opener), the pop-up's done page and the message it posts to
the incident page (``views.py``), and the admin's "outcome" column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from csm_teamviewer.errors import ServiceError

_NAMED = ("ok", "action", "code", "detail")


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login and of the action it carried out, if any.

    ``ok``: the login succeeded, and so did its action when it had one.
    ``action``: the name of the pending action that ran ("create", "close"); empty for a login
    without one, and for a login that failed before its action could run.
    ``code``, ``detail``: when not ok, the error's stable code (``access_denied``,
    ``teamviewer_rejected``, …, as in every error body) and its text (empty when TeamViewer gave
    none); empty when ok.
    ``answer``: when ok, the action's answer (for "create" and "close": ``session``, the session
    body, and for "create" ``created``); when not ok, the error body's other fields
    (``retry_after``, ``errors``, …).

    Its JSON is flat, the shape the incident page's script reads:
    ``{"ok": …, "action": …, "code": …, "detail": …, **answer}`` (``action`` only when there is
    one, ``code`` and ``detail`` only when not ok). A flow that has not finished has ``{}``.
    """

    ok: bool
    action: str = ""
    code: str = ""
    detail: str = ""
    answer: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def succeeded(cls, *, action: str = "", answer: dict[str, Any] | None = None) -> LoginResult:
        return cls(ok=True, action=action, answer=answer or {})

    @classmethod
    def failed(cls, error: ServiceError, *, action: str = "") -> LoginResult:
        body = error.body()
        others = {key: value for key, value in body.items() if key not in _NAMED}
        return cls(ok=False, action=action, code=str(body["code"]), detail=str(body["detail"]), answer=others)

    @classmethod
    def denied(cls, *, code: str) -> LoginResult:
        """The agent refused, or TeamViewer failed, at TeamViewer's login page (no detail)."""
        return cls(ok=False, code=code)

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> LoginResult | None:
        """The stored result; None for a flow that has not finished."""
        if not value:
            return None
        answer = {key: item for key, item in value.items() if key not in _NAMED}
        return cls(
            ok=value.get("ok") is True,
            action=str(value.get("action") or ""),
            code=str(value.get("code") or ""),
            detail=str(value.get("detail") or ""),
            answer=answer,
        )

    def to_json(self) -> dict[str, Any]:
        named: dict[str, Any] = {"ok": self.ok}
        if self.action:
            named["action"] = self.action
        if not self.ok:
            named.update(code=self.code, detail=self.detail)
        return {**named, **{key: value for key, value in self.answer.items() if key not in _NAMED}}

    @property
    def outcome(self) -> str:
        """One word for lists (the admin): "ok", or the error's code."""
        return "ok" if self.ok else (self.code or "failed")
