"""Secrets, hosts, framing by CSM, cookies and HTTPS."""

from __future__ import annotations

import base64
import hashlib
import secrets

from .environment import DEBUG, PUBLIC_BASE_URL, VAR_DIR, env, required


def _development_secret_key() -> str:
    # Kept on disk so that a restart does not log everybody out or orphan encrypted rows.
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _development_encryption_key(secret_key: str) -> str:
    digest = hashlib.sha256(b"csm-teamviewer encryption key:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _comma_separated(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
    ENCRYPTION_KEYS = env.list("ENCRYPTION_KEYS", default=[]) or [
        _development_encryption_key(SECRET_KEY)
    ]
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = required("SECRET_KEY")
    ENCRYPTION_KEYS = _comma_separated(required("ENCRYPTION_KEYS"))
    ALLOWED_HOSTS = _comma_separated(required("ALLOWED_HOSTS"))

CSM_FRAME_ANCESTORS = env.str("CSM_FRAME_ANCESTORS", default="").split()

# Only the incident page may be framed, by this server and CSM_FRAME_ANCESTORS (see
# csm_teamviewer/frame_policy.py); every other page is DENY / frame-ancestors 'none'. No inline
# script or style anywhere: pages pass data to their scripts with json_script.
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        # The sandbox's login form redirects to the OAuth callback at PUBLIC_BASE_URL.
        "form-action": ["'self'", PUBLIC_BASE_URL],
        "frame-ancestors": ["'none'"],
    },
}

# Inside CSM's frame over HTTPS our cookies are third-party: SameSite=None (with Secure) lets
# the browser send them, and CHIPS' Partitioned keeps them where third-party cookies are
# blocked (csm_teamviewer/partitioned_cookies.py). Partitioned cookies live in a jar for CSM's
# site, so a sign-in inside the frame does not sign the agent in on a top-level tab, and vice versa.
FRAMED_COOKIES = bool(CSM_FRAME_ANCESTORS) and not DEBUG
PARTITIONED_COOKIES = FRAMED_COOKIES and env.bool("PARTITIONED_COOKIES", default=True)
if FRAMED_COOKIES:
    SESSION_COOKIE_SAMESITE = "None"
    CSRF_COOKIE_SAMESITE = "None"

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' preload list is hard to undo: the domain's owner opts in.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_REFERRER_POLICY = "same-origin"
