"""Prometheus' multiprocess mode, shared by gunicorn's workers and Celery's processes.

With ``PROMETHEUS_MULTIPROC_DIR`` set, each process keeps its figures in files of that folder and
``/metrics`` sums them. The processes of a deployment may share the folder across containers (a
volume: web, worker and beat then all appear in one scrape); their pids are alike there (each
container starts at pid 1), so a process is named by its host *and* pid. Imports no Django: the
gunicorn config (``gunicorn.conf.py``) uses it in the master process.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# No "_" in it: prometheus_client reads the mode and process out of file names split at "_".
HOST = socket.gethostname().replace("_", "-") or "host"


def process_name(pid: int | None = None) -> str:
    return f"{HOST}-{os.getpid() if pid is None else pid}"


def multiprocess_dir() -> Path | None:
    value = os.environ.get(DIR_VARIABLE)
    return Path(value) if value else None


def use_host_qualified_files() -> None:
    """Name this process's files by host and pid (call before any metric is made)."""
    if multiprocess_dir() is None:
        return
    from prometheus_client import values

    values.ValueClass = values.MultiProcessValue(process_identifier=process_name)


def mark_dead(pid: int) -> None:
    """A process ended (gunicorn's ``child_exit``, Celery's ``worker_process_shutdown``): its live
    gauges leave the sum (its counters stay: they are totals)."""
    folder = multiprocess_dir()
    if folder is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(process_name(pid), str(folder))
