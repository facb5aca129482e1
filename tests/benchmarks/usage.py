"""What the server's processes use: CPU time and peak memory, read with psutil.

CPU per request is the least noisy figure on a shared machine: a request's latency grows with
whatever else runs, the CPU time the gunicorn workers spend on it hardly does.
"""

from __future__ import annotations

from pathlib import Path


def workers_cpu_seconds(master_pid: int) -> float:
    """User plus system CPU time, so far, of the gunicorn master's worker processes (all threads)."""
    import psutil

    try:
        children = psutil.Process(master_pid).children()
    except psutil.Error:
        return 0.0
    total = 0.0
    for child in children:
        try:
            times = child.cpu_times()
        except psutil.Error:  # a worker gone (restarted) between the listing and the reading
            continue
        total += times.user + times.system
    return total


def _peak_rss_mib(pid: int) -> float | None:
    """The process's high-water resident set (VmHWM), or its current RSS where /proc has none."""
    import psutil

    status = Path(f"/proc/{pid}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
    except (OSError, psutil.Error):
        return None


def _tree(pid: int) -> dict:
    import psutil

    try:
        children = psutil.Process(pid).children()
    except psutil.Error:
        children = []
    peaks = [peak for peak in (_peak_rss_mib(child.pid) for child in children) if peak is not None]
    return {"main_mib": _peak_rss_mib(pid), "children_mib": peaks, "max_child_mib": max(peaks, default=None)}


def measure_memory(web_pid: int, worker_pid: int) -> dict:
    """Peak RSS of the gunicorn and Celery masters and of each of their workers (MiB)."""
    return {"web": _tree(web_pid), "celery": _tree(worker_pid)}
