"""Launch links' page: spending one signs its agent in (for later visits too) and opens the
incident page. The link is made by ``services.launch`` for ``POST /api/v1/launch/``."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from csm_teamviewer.frame_policy import frameable_by_csm

from .services.launch import LaunchLinkInvalid, launch_link_redeem

logger = logging.getLogger(__name__)

_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def incident_page_url(*, incident_id: str, requester_name: str = "", requester_email: str = "") -> str:
    requester = (("requester_name", requester_name), ("requester_email", requester_email))
    query = urlencode({name: value for name, value in requester if value})
    path = reverse("incidents:page", args=[incident_id])
    return f"{path}?{query}" if query else path


@frameable_by_csm
@never_cache
@require_GET
def launch_link_open(request: HttpRequest, token: str) -> HttpResponse:
    """Spend a launch link: sign its agent in (for later visits too) and open the page."""
    try:
        link = launch_link_redeem(token=token)
    except LaunchLinkInvalid as exc:
        response = render(request, "incidents/launch_invalid.html", {"error": exc}, status=400)
        # Django would log the path, token and all: say it without the token instead.
        response._has_been_logged = True  # type: ignore[attr-defined]
        logger.info("Refused a launch link (unknown, used or expired).")
    else:
        login(request, link.agent, backend=_MODEL_BACKEND)
        response = HttpResponseRedirect(
            incident_page_url(
                incident_id=link.incident_id,
                requester_name=link.requester_name,
                requester_email=link.requester_email,
            )
        )
    # The token is in this URL: never pass it on in a Referer.
    response["Referrer-Policy"] = "no-referrer"
    return response
