"""The Celery app. Tasks live in each app's ``tasks.py``; the beat schedule is in settings."""
import logging
import os
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, worker_process_shutdown
from kombu.exceptions import OperationalError as BrokerError

from .observability.logs import JsonLineFormatter
from .observability.multiprocess import mark_dead

# Importing it connects the signals that carry a request's id into the tasks it enqueues.
from .observability.request_ids import RequestIdFilter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csm_teamviewer.settings")

app = Celery("csm_teamviewer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# With OUTBOX_NOTIFY, the worker hears the rows the web hands over by NOTIFY (named, so that
# the web's processes never import the listener).
app.steps["worker"].add("csm_teamviewer.outbox_listener:OutboxListenerStep")


# The project's own task (the apps' tasks are in their tasks.py): see outbox.HAND_ON_TASK.
@app.task(
    name="csm_teamviewer.hand_on",
    acks_late=True,
    autoretry_for=(BrokerError, OSError),
    retry_backoff=2,
    retry_kwargs={"max_retries": 5},
)
def hand_on(pairs: list) -> int:
    """Hand a batch of outbox rows on to their tasks."""
    from .outbox import outbox_hand_on  # Django is set up by the time a task runs

    outbox_hand_on(pairs)
    return len(pairs)


@worker_process_shutdown.connect
def _metrics_of_ended_child(pid: int | None = None, **_kwargs: Any) -> None:
    mark_dead(pid or os.getpid())


@after_setup_logger.connect
@after_setup_task_logger.connect
def _log_json_lines(logger: logging.Logger | None = None, **_kwargs: Any) -> None:
    """The worker and beat log as settings.LOG_FORMAT says: Celery replaces the root's handlers
    with its own, so with ``json`` their lines get the JSON formatter and the request id here."""
    from django.conf import settings

    if logger is None or settings.LOG_FORMAT != "json":
        return
    for handler in logger.handlers:
        handler.setFormatter(JsonLineFormatter())
        handler.addFilter(RequestIdFilter())
