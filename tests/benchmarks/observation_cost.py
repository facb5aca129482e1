"""The request middleware's CPU cost: ``python -m tests.benchmarks.observation_cost [--requests N]``.

Calls Django's WSGI handler in this process for a cheap page (``/``, a redirect to the sign-in:
no database), ``N`` times with the middleware and ``N`` times without it, and prints the CPU time
per request of each (``time.process_time``: this process only, steadier than wall time on a busy
machine). Prometheus' multiprocess mode is on (a temporary folder), as under gunicorn, and the
request line is logged at INFO to a discarding handler, so the cost of both is in the figure.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import tempfile
import time

MIDDLEWARE = "csm_teamviewer.observability.requests.RequestObservationMiddleware"


def _environ(path: str) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }


def _cpu_per_request(middleware: list[str], *, requests: int, path: str) -> float:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    with override_settings(MIDDLEWARE=middleware):
        handler = WSGIHandler()
        for _ in range(50):  # warm up: imports, URL resolver, templates
            handler(_environ(path), lambda *args: None)
        started = time.process_time()
        for _ in range(requests):
            handler(_environ(path), lambda *args: None)
        return (time.process_time() - started) / requests


def _middleware_alone(*, requests: int) -> float:
    """The middleware around a view that does nothing: its own cost, without Django's around it."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from csm_teamviewer.observability.requests import RequestObservationMiddleware

    middleware = RequestObservationMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/")
    started = time.process_time()
    for _ in range(requests):
        middleware(request)
    return (time.process_time() - started) / requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--path", default="/")
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="metrics-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csm_teamviewer.settings")
    import django
    from django.conf import settings

    django.setup()
    logging.getLogger().handlers = [logging.NullHandler()]
    logging.getLogger("csm_teamviewer.requests").setLevel(logging.INFO)
    full = list(settings.MIDDLEWARE)
    bare = [name for name in full if name != MIDDLEWARE]
    pairs = []
    for round_ in range(options.rounds):
        without = _cpu_per_request(bare, requests=options.requests, path=options.path)
        with_ = _cpu_per_request(full, requests=options.requests, path=options.path)
        pairs.append((without, with_))
        print(
            f"round {round_ + 1}: {options.requests} × GET {options.path}: without {without * 1e6:.0f} µs,"
            f" with {with_ * 1e6:.0f} µs CPU per request (+{(with_ - without) * 1e6:.0f} µs)"
        )
    without, with_ = (statistics.median(side) for side in zip(*pairs, strict=True))
    print(
        f"median: without {without * 1e6:.0f} µs, with {with_ * 1e6:.0f} µs (+{(with_ - without) * 1e6:.0f} µs)"
    )
    alone = statistics.median(_middleware_alone(requests=options.requests) for _ in range(options.rounds))
    print(f"the middleware alone (a view that does nothing): {alone * 1e6:.0f} µs CPU per request")


if __name__ == "__main__":
    main()
