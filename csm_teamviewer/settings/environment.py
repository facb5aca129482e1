"""The one ``env`` object the settings read, and what every other settings module builds on.

A ``.env`` file at the root is read first; the environment wins over it. ``DEBUG=0`` switches to
production strictness: ``required`` then stops start-up naming a variable that is not set.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# Development state (the generated secret key, SQLite, the filesystem broker's queue). A relative
# path is taken from the checkout, so one value serves a checkout and the image (/app) alike.
VAR_DIR = BASE_DIR / env.str("VAR_DIR", default="var")

DEBUG = env.bool("DEBUG", default=True)

PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")


def required(name: str) -> str:
    """The variable's value; start-up fails naming it when it is empty (production only)."""
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off.")
    return value
