"""The session and CSRF cookies inside CSM's frame: ``SameSite=None; Secure; Partitioned``.

Inside CSM's frame our cookies are third-party. ``SameSite=None; Secure`` (settings) lets the
browser send them at all; ``Partitioned`` (CHIPS) keeps them working where third-party cookies
are blocked (Chrome's settings, incognito, other browsers' defaults), because the browser then
keeps them in a jar of their own for CSM's site. Django 5.2 (and Python before 3.14) cannot
write that attribute, so this middleware appends it to those two cookies when
``PARTITIONED_COOKIES`` is on. A cookie without ``Secure`` is left alone: browsers reject
``Partitioned`` without it.
"""
from __future__ import annotations

from collections.abc import Callable, Container
from http.cookies import Morsel

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class _PartitionedMorsel(Morsel):
    def OutputString(self, attrs: Container[str] | None = None) -> str:  # noqa: N802 - Morsel's name
        return f"{super().OutputString(attrs)}; Partitioned"


def _partitioned(morsel: Morsel) -> Morsel:
    copy = _PartitionedMorsel()
    copy.set(morsel.key, morsel.value, morsel.coded_value)
    copy.update(morsel)
    return copy


class PartitionedCookieMiddleware:
    """Sits above the session and CSRF middleware, so it sees the cookies they set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(settings, "PARTITIONED_COOKIES", False):
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                morsel = response.cookies.get(name)
                if morsel is not None and morsel["secure"] and not isinstance(morsel, _PartitionedMorsel):
                    response.cookies[name] = _partitioned(morsel)
        return response
