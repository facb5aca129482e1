"""What can go wrong talking to CSM, by what the caller should do about it."""
from __future__ import annotations


class CsmError(Exception):
    """CSM refused or failed; ``code`` and ``message`` are CSM's ``errorCode``/``errorMessage``."""

    def __init__(self, message: str, *, code: str = "", http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status


class CsmUnavailable(CsmError):
    """CSM is down, slow past the timeout, or answered 5xx: try again later.

    ``uncertain`` is true when the request may have been carried out (a timeout after sending).
    """

    def __init__(self, message: str, *, uncertain: bool = False, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.uncertain = uncertain


class CsmConfigurationError(CsmError):
    """The settings do not match CSM (client id, account, object, relationship, journal type)."""


class CsmIncidentNotFound(CsmError):
    """CSM knows no incident by this public ID or RecID: retrying will not help."""
