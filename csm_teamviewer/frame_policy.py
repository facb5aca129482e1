"""Which pages CSM may embed: the incident page (and what leads to it), nothing else.

Every response carries ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` (settings);
``frameable_by_csm`` opens a view to this server itself and the origins in
``CSM_FRAME_ANCESTORS``. CSP is what browsers enforce; X-Frame-Options cannot name several
origins, so it is dropped where CSM's origins are allowed and kept as SAMEORIGIN otherwise
(for the few browsers that know only that header). Settings are read per response, so a
change (in tests, say) applies at once.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from csp.constants import SELF
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

Response = TypeVar("Response", bound=HttpResponseBase)


def frame_ancestors() -> list[str]:
    return [SELF, *settings.CSM_FRAME_ANCESTORS]


def allow_csm_frames(response: Response) -> Response:
    # django-csp's middleware reads this (its csp_replace decorator sets it the same way).
    response._csp_replace = {"frame-ancestors": frame_ancestors()}  # type: ignore[attr-defined]
    if settings.CSM_FRAME_ANCESTORS:
        # Django's XFrameOptionsMiddleware reads this (its xframe_options_exempt decorator sets it).
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
    else:
        response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def frameable_by_csm(view: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        return allow_csm_frames(view(request, *args, **kwargs))

    return wrapped
