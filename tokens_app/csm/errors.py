"""What can go wrong talking to CSM, by what the caller should do about it.

CSM's statuses are not to be trusted (sources disagree: a missing record is 404 in Ivanti's
pages and 500 ``RECORDNOTFOUND`` on a live server), so these are chosen from the body's
``hasError``/``errorCode``/``errorMessage`` first, and the status second (``http.py``).
"""
from __future__ import annotations


class CsmError(Exception):
    """CSM refused or failed; ``code`` and ``message`` are CSM's ``errorCode``/``errorMessage``."""

    def __init__(self, message: str, *, code: str = "", http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, http_status={self.http_status!r})"


class CsmUnavailable(CsmError):
    """CSM is down, slow past the timeout, or answered 5xx: try again later.

    ``uncertain`` is true when the request may have been carried out (a timeout after sending).
    """

    def __init__(self, message: str, *, uncertain: bool = False, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.uncertain = uncertain


class CsmConfigurationError(CsmError):
    """The settings do not match CSM (client id, account, object, relationship, journal type)."""


class CsmRecordNotFound(CsmError):
    """CSM has no record (or object) with the id asked for (``RECORDNOTFOUND``, or a 404)."""


class CsmIncidentNotFound(CsmRecordNotFound):
    """CSM knows no incident by this public ID or RecID: retrying will not help."""


class CsmRejected(CsmError):
    """CSM refused the request as it was made (a field it does not know, a failed validation)."""


class CsmTokenRefused(CsmError):
    """CSM refused the access token (401): refresh or log in, then try once more."""
