"""The incident page as the tests drive it: its addresses, a browser that signs in and sends the
CSRF header the page gives htmx, and reading the HTML it answers."""

from __future__ import annotations

import html
import json
import re

from django.test import Client

PAGE = "/incidents/INC-1001/"
LIST = "/incidents/INC-1001/sessions/"
CREATE = f"{LIST}create/"


class PageClient:
    """A browser on the incident page: signed in, sending the CSRF header the page gives htmx."""

    def __init__(self, user) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(user)
        page = self.client.get(PAGE).content.decode()
        self.headers = json.loads(html.unescape(re.search(r"hx-headers='([^']*)'", page).group(1)))

    def post(self, url: str, form: dict | None = None, *, csrf: bool = True, **extra):
        if csrf:
            extra["HTTP_X_CSRFTOKEN"] = self.headers["X-CSRFToken"]
        return self.client.post(url, form or {}, HTTP_HX_REQUEST="true", **extra)

    def get(self, url: str, **extra):
        return self.client.get(url, HTTP_HX_REQUEST="true", **extra)


def text_of(response) -> str:
    return response.content.decode()


def notice(response) -> str:
    """The message the page shows, as text."""
    found = re.search(r'<p class="notice[^>]*>(.*?)</p>', text_of(response), re.S)
    assert found, text_of(response)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()
