"""Email: the SMTP server, the sender, and how invitations are retried."""

from __future__ import annotations

from .environment import env

# EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER … from one URL.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="csm-teamviewer@localhost")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
# The invitation's language when the request names none: "ja" or "en".
INVITATION_DEFAULT_LANGUAGE = env.str("INVITATION_DEFAULT_LANGUAGE", default="ja")
# An invitation SMTP refuses is tried again after base × 2^(attempt-1) seconds, capped (60 s,
# 2 min, 4 min … 1 h), and marked failed after INVITATION_MAX_ATTEMPTS (about 2 hours in all).
INVITATION_MAX_ATTEMPTS = env.int("INVITATION_MAX_ATTEMPTS", default=8)
INVITATION_RETRY_BASE_SECONDS = env.float("INVITATION_RETRY_BASE_SECONDS", default=60.0)
INVITATION_RETRY_MAX_SECONDS = env.float("INVITATION_RETRY_MAX_SECONDS", default=3600.0)
# How often beat hands still-queued invitations (broker was down, worker died) to a worker again.
EMAIL_REDRIVE_SECONDS = env.float("EMAIL_REDRIVE_SECONDS", default=60.0)
