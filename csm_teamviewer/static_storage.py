"""Static files with or without ``collectstatic``.

After ``collectstatic`` (the Docker image runs it) pages link WhiteNoise's hashed, compressed
copies, which browsers may cache for ever. A plain install (``pip install``, ``migrate``,
gunicorn) has no manifest, and Django's manifest storage would then answer every page with a
500 "Missing staticfiles manifest entry". Here such a page links the plain names instead, and
WhiteNoise serves them from the apps' static directories (``WHITENOISE_USE_FINDERS``) with its
short default cache lifetime: slower to refresh, never broken. The same holds for a file a stale
manifest does not name (an upgrade that forgot ``collectstatic``).
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # no manifest: collectstatic has not run
            return name
        try:
            return super().stored_name(name)
        except ValueError:  # a manifest from before this file existed
            return name
