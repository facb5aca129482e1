"""Factories for tokens_app's models: agents' tokens and pending logins."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from tokens_app.models import LoginFlow, TeamViewerToken


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"agent{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")


class TeamViewerTokenFactory(factory.django.DjangoModelFactory):
    """A live token: an hour left, well outside the refresh margin."""

    class Meta:
        model = TeamViewerToken

    agent = factory.SubFactory(AgentFactory)
    access_token = factory.Sequence(lambda n: f"access-token-{n}-plaintext")
    refresh_token = factory.Sequence(lambda n: f"refresh-token-{n}-plaintext")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class LoginFlowFactory(factory.django.DjangoModelFactory):
    """A login the agent has not opened yet (its start link unused)."""

    class Meta:
        model = LoginFlow

    agent = factory.SubFactory(AgentFactory)

    class Params:
        # Sent to TeamViewer: the state the callback must bring back.
        started = factory.Trait(
            status=LoginFlow.Status.STARTED, started_at=factory.LazyFunction(timezone.now)
        )
