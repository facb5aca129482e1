"""What operators see: Prometheus metrics, the deep health check, request ids and JSON logs.

- ``metrics``: every counter and histogram the code increments (names by Prometheus' conventions).
- ``readings``: what the apps measure at scrape time (rows by state, ages), registered by them.
- ``exposition``: ``/metrics``, across gunicorn's workers and Celery's processes (multiprocess).
- ``access``: who may read ``/metrics`` and ``/healthz/?deep=1``.
- ``deep_health``: ``/healthz/?deep=1``'s checks.
- ``request_ids``: one id per request, carried into the tasks it enqueues and every log line.
- ``requests``: the middleware counting, timing and logging each request.
- ``logs``: the JSON line formatter.
"""
