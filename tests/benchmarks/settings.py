"""The production settings, plus what only the benchmarks need: the baseline routes and a query count.

Selected with ``DJANGO_SETTINGS_MODULE=tests.benchmarks.settings``; the production URLconf
and middleware are untouched.
"""

from csm_teamviewer.settings import *  # noqa: F403
from csm_teamviewer.settings import MIDDLEWARE

ROOT_URLCONF = "tests.benchmarks.urls"
# First, so that the queries of every middleware (session, user) are counted too.
MIDDLEWARE = ["tests.benchmarks.middleware.QueryCountMiddleware", *MIDDLEWARE]
