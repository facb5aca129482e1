"""gunicorn's settings file (read from the working directory by default: the checkout, /app in
the image). Command-line options still win over it.

Prometheus' multiprocess mode: every worker keeps its figures in PROMETHEUS_MULTIPROC_DIR
(VAR_DIR/metrics when unset) so /metrics, answered by any one worker, sums them all; a worker
that exits is marked dead there (its live gauges leave the sum, its counters stay).
"""

from __future__ import annotations

import os
from pathlib import Path

from csm_teamviewer.observability.multiprocess import DIR_VARIABLE, mark_dead

_root = Path(__file__).resolve().parent
_folder = os.environ.get(DIR_VARIABLE) or str(_root / os.environ.get("VAR_DIR", "var") / "metrics")
os.environ[DIR_VARIABLE] = str(_root / _folder)
os.makedirs(os.environ[DIR_VARIABLE], exist_ok=True)


def child_exit(server, worker) -> None:  # noqa: ANN001 - gunicorn's hook signature
    mark_dead(worker.pid)
