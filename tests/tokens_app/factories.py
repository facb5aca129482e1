"""tokens_app's factories, re-exported for the tests that import them from here.

The factories themselves live in tests/factories.py (one per model); new tests import them there.
"""

from tests.factories import AgentFactory, LoginFlowFactory, TeamViewerTokenFactory

__all__ = ["AgentFactory", "LoginFlowFactory", "TeamViewerTokenFactory"]
