"""CSM: the REST API the journal notes are written to, the integration account, and the names
the client looks its ids up by (never hard-coded ids; see ../shared/csm-api.md §A2-A3)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .environment import PUBLIC_BASE_URL, env

CSM_API_URL = env.str("CSM_API_URL", default="").rstrip("/")
# No CSM_API_URL: this server mounts its own CSM stand-in, which records what would be written,
# and talks to it over HTTP with the sandbox's own client key and account.
CSM_SANDBOX = not CSM_API_URL
CSM_SANDBOX_PATH = "sandbox/csm"
CSM_SANDBOX_CLIENT_ID = "csm-sandbox-client-key"
CSM_SANDBOX_USERNAME = "csm-integration"
CSM_SANDBOX_PASSWORD = "csm-sandbox-password"  # noqa: S105 - the sandbox's own, public
if CSM_SANDBOX:
    CSM_API_URL = f"{PUBLIC_BASE_URL}/{CSM_SANDBOX_PATH}/CherwellAPI"
    CSM_CLIENT_ID = CSM_SANDBOX_CLIENT_ID
    CSM_USERNAME = CSM_SANDBOX_USERNAME
    CSM_PASSWORD = CSM_SANDBOX_PASSWORD
else:
    CSM_CLIENT_ID = env.str("CSM_CLIENT_ID", default="")
    CSM_USERNAME = env.str("CSM_USERNAME", default="")
    CSM_PASSWORD = env.str("CSM_PASSWORD", default="")
    for _name, _value in (("CSM_CLIENT_ID", CSM_CLIENT_ID), ("CSM_USERNAME", CSM_USERNAME),
                          ("CSM_PASSWORD", CSM_PASSWORD)):
        if not _value:
            raise ImproperlyConfigured(f"{_name} must be set with CSM_API_URL.")
# Internal, Windows, LDAP or SAML: a mode enabled for the Browser Client in CSM.
CSM_AUTH_MODE = env.str("CSM_AUTH_MODE", default="Internal")
CSM_INCIDENT_OBJECT = env.str("CSM_INCIDENT_OBJECT", default="Incident")
CSM_JOURNAL_RELATIONSHIP = env.str("CSM_JOURNAL_RELATIONSHIP", default="Incident Owns Journals")
CSM_JOURNAL_TYPE = env.str("CSM_JOURNAL_TYPE", default="Journal - Note")
# (connect, read) seconds for every call to CSM.
CSM_TIMEOUT = (
    env.float("CSM_CONNECT_TIMEOUT", default=5.0),
    env.float("CSM_READ_TIMEOUT", default=30.0),
)
# Refresh the access token this long before its expires_in runs out (CSM's default lifetime is
# about 20 minutes).
CSM_REFRESH_MARGIN_SECONDS = env.int("CSM_REFRESH_MARGIN_SECONDS", default=60)
# How long the ids found by name (objects, relationship, fields) are reused before looking again.
CSM_DISCOVERY_SECONDS = env.int("CSM_DISCOVERY_SECONDS", default=3600)
