"""Factories for tokens_app's models: one factory per model, kept in tests/factories.py."""

from tests.factories import AgentFactory, LoginFlowFactory, TeamViewerTokenFactory

__all__ = ["AgentFactory", "LoginFlowFactory", "TeamViewerTokenFactory"]
