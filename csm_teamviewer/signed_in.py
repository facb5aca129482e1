"""Requests whose user is known to be signed in, typed so.

django-stubs types ``request.user`` as the user model or ``AnonymousUser``. Behind Django admin's
``admin_view`` or the REST API's authentication it is always a user, so the views there take one
of these instead of narrowing at every use (the way django-stubs' README shows). They are plain
annotations: nothing here runs differently.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.request import Request


class StaffRequest(HttpRequest):
    """A request the admin site let through: its user is signed-in, active staff."""

    user: User


class AgentRequest(Request):
    """A REST request whose API key and acting agent were accepted: its user is that agent."""

    user: User
