"""The Celery app. Tasks live in each app's ``tasks.py``; the beat schedule is in settings."""
import os

from celery import Celery
from kombu.exceptions import OperationalError as BrokerError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csm_teamviewer.settings")

app = Celery("csm_teamviewer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
