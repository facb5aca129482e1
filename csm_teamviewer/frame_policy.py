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

from csp.constants import SELF
from django.conf import settings
from django.http import HttpRequest, HttpResponse


def frame_ancestors() -> list[str]:
    return [SELF, *settings.CSM_FRAME_ANCESTORS]


def allow_csm_frames(response: HttpResponse) -> HttpResponse:
    response._csp_replace = {"frame-ancestors": frame_ancestors()}
    if settings.CSM_FRAME_ANCESTORS:
        response.xframe_options_exempt = True
    else:
        response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def frameable_by_csm(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return allow_csm_frames(view(request, *args, **kwargs))

    return wrapped
