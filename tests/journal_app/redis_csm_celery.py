"""``python -m tests.journal_app.redis_csm_celery -A csm_teamviewer worker …``: Celery, with the
journal's CSM client replaced by the Redis-backed stand-in the test shares (redis_csm.py)."""

from __future__ import annotations

import sys

import django

if __name__ == "__main__":
    django.setup()
    from celery.__main__ import main

    from journal_app import sending
    from tests.journal_app.redis_csm import RedisCsm

    sending.csm_client = RedisCsm.from_env  # type: ignore[assignment]
    sys.argv[0] = "celery"
    main()
