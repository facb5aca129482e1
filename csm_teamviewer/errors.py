"""The one error hierarchy: each error knows its stable code, HTTP status, body and headers.

Services raise these typed errors; views never build error bodies by hand (they hand an error to
``error_responses``, which renders every one as ``{"code", "detail", …}``). The codes are part of
the public interface (CSM one-steps branch on them), so they never change.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ServiceError(Exception):
    """A failure with a stable machine-readable code and an HTTP status to answer with."""

    code: str = "error"
    status_code: int = status.HTTP_400_BAD_REQUEST
    default_detail = _("The request could not be completed.")

    def __init__(self, detail: StrOrPromise | None = None, **extra: Any) -> None:
        self.detail = str(detail) if detail is not None else str(self.default_detail)
        self.extra = {key: value for key, value in extra.items() if value is not None}
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        """The one shape of every error body: ``{"code", "detail"}`` and the extra fields."""
        return {"code": self.code, "detail": self.detail, **self.extra}

    def headers(self) -> dict[str, str]:
        return {}


class NotAuthenticated(ServiceError):
    code = "not_authenticated"
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = _("Authentication credentials were not provided.")


class NotFound(ServiceError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = _("Not found.")


class PermissionDenied(ServiceError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = _("You do not have permission to do this.")


class Invalid(ServiceError):
    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("The request is not valid.")


class TeamViewerError(ServiceError):
    """Anything that went wrong talking to TeamViewer."""

    code = "teamviewer_error"
    status_code: int = status.HTTP_502_BAD_GATEWAY


class TeamViewerLoginRequired(TeamViewerError):
    """The agent has no usable token: none, expired and not refreshable, or revoked.

    ``authorize_url`` is filled in by the service that knows which action to resume.
    """

    code = "teamviewer_login_required"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Sign in to TeamViewer to continue.")


class TeamViewerRateLimited(TeamViewerError):
    code = "teamviewer_rate_limited"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("TeamViewer is limiting requests. Try again shortly.")
    default_retry_after = 60

    def __init__(self, detail: StrOrPromise | None = None, *, retry_after: float | None = None, **extra: Any):
        seconds = self.default_retry_after if retry_after is None else retry_after
        self.retry_after = max(1, math.ceil(seconds))
        super().__init__(detail, retry_after=self.retry_after, **extra)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TeamViewerUnavailable(TeamViewerError):
    """TeamViewer is down, too slow, or answered with something that is not its JSON."""

    code = "teamviewer_unavailable"
    status_code: int = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("TeamViewer is not reachable right now. Try again shortly.")

    def __init__(self, detail: StrOrPromise | None = None, *, status_code: int | None = None, **extra: Any):
        if status_code is not None:
            self.status_code = status_code
        super().__init__(detail, **extra)


class TeamViewerRejected(TeamViewerError):
    """TeamViewer refused the request; ``detail`` carries its own ``error_description``."""

    code = "teamviewer_rejected"
    status_code: int = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("TeamViewer rejected the request.")


class TeamViewerLicenseLimit(TeamViewerRejected):
    code = "teamviewer_license_limit"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = _("The TeamViewer licence does not allow another session.")


class TeamViewerNotFound(TeamViewerRejected):
    """TeamViewer does not know the session code (it answers 400 or 404 for that)."""

    code = "teamviewer_not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = _("TeamViewer does not know this session.")


class ServiceUnavailable(ServiceError):
    """This server cannot reach its own database right now: nothing was done, try again."""

    code = "service_unavailable"
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The service is briefly unavailable. Try again shortly.")
    retry_after = 5

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class LoginFlowInvalid(ServiceError):
    """A login link or callback that is unknown, already used, expired, or from another browser."""

    code = "login_flow_invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("This TeamViewer sign-in link is no longer valid. Start again from the incident.")
