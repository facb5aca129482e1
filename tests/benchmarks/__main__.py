"""Run the benchmarks: ``python -m tests.benchmarks [--quick] ...`` (``scripts/bench`` sets up first).

Starts the TeamViewer stand-in, gunicorn and a Celery worker with production settings on
loopback, measures ours against the baseline in the same run, prints a table and writes
``artifacts/benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from . import figures, report, stack, usage
from .stack import OUT, Options, Processes


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests: a smoke run of every figure")
    parser.add_argument(
        "--latency-ms", type=float, default=50, help="the stand-in's fixed latency (default 50)"
    )
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn workers (default 3, as the Dockerfile)"
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per worker (default 4, as the Dockerfile)"
    )
    parser.add_argument(
        "--database-url", help="default: PostgreSQL csm_tv_benchmark on loopback if it answers, else SQLite"
    )
    parser.add_argument(
        "--redis-url", help="default: redis://127.0.0.1:6379/12 if Redis answers, else the filesystem broker"
    )
    parser.add_argument("--json", type=Path, default=OUT / "results.json", help="where the figures go")
    parser.add_argument(
        "--profile", action="store_true", help="also profile create, list and page (wall clock and CPU)"
    )
    parser.add_argument(
        "--profile-only", action="store_true", help="profile, and skip the timed figures (implies --profile)"
    )
    parser.add_argument(
        "--worker-throughout",
        action="store_true",
        help="run the Celery worker during the timed figures too (default: it starts after them and "
        "drains the invitations they queued, so its CPU does not slow the requests on a small machine)",
    )
    parser.add_argument("--no-cleanup", action="store_true", help="skip the cleanup figures")
    parser.add_argument(
        "--cleanup-rate-limit",
        type=float,
        default=200.0,
        help="requests per second the cleanup may send to the stand-in (default 200; 0: no limit)",
    )
    parser.add_argument("--no-loadtest", action="store_true", help="skip the load test at the end")
    parser.add_argument("--loadtest-clients", type=int, default=200)
    parser.add_argument("--loadtest-seconds", type=int, default=60)
    return parser.parse_args()


def _empty_broker(url: str) -> None:
    if url.startswith("filesystem://"):
        stack.clear_var()
        return
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    for pattern in ("celery*", "_kombu*", "unacked*"):
        for key in client.scan_iter(pattern):
            client.delete(key)


def _set_latency(port: int, ms: float) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/_latency?ms={ms}", method="POST")
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - loopback


def _timed_figures(target: figures.Target, plan: figures.Plan, refresh_agent: str, results: dict) -> None:
    _step("warming up")
    figures.warm_up(target)
    _step("create session at 1, 8, 32 clients")
    results["create"] = figures.measure_create(target, plan)
    _step("list and page at 1, 10, 100 sessions")
    results.update(figures.measure_reads(target, plan))
    _step("token refresh under 50 concurrent requests")
    results["token_refresh"] = figures.measure_refresh(target, refresh_agent)


def _measure(args: argparse.Namespace, options: Options, env: dict[str, str], logs: Path) -> dict:
    from .seed import AGENT, expired_token_agent, seed

    seeded = seed()
    refresh_agent = expired_token_agent()
    plan = figures.Plan(quick=args.quick)
    processes = Processes(logs)
    results: dict = {}
    try:
        stack.start_standin(processes, options, env)
        web = stack.start_web(processes, options, env)
        worker = stack.start_worker(processes, env) if args.worker_throughout else None
        target = figures.Target(
            port=options.port,
            seed=seeded,
            agent=AGENT,
            standin_port=options.standin_port,
            web_pid=web.pid,
        )
        if not args.profile_only:
            _timed_figures(target, plan, refresh_agent, results)
        if args.profile or args.profile_only:
            _step("profiling create, list and page (stand-in latency 0)")
            from .profiling import profile_hot_paths

            _set_latency(options.standin_port, 0)
            results["profile"] = profile_hot_paths(seed=seeded, agent=AGENT, out=OUT)
            _set_latency(options.standin_port, options.latency_ms)
        if worker is None:
            _step("Celery worker: sending the invitations the creates queued")
            worker = stack.start_worker(processes, env)
        results["outbox"] = figures.drain_outbox(seconds=60 if args.quick else 180)
        results["memory"] = usage.measure_memory(web.pid, worker.pid)
    finally:
        processes.stop_all()
    return results


def _loadtest(args: argparse.Namespace, env: dict[str, str], logs: Path) -> dict:
    if args.no_loadtest:
        return {"skipped": "--no-loadtest"}
    clients, seconds = (50, 10) if args.quick else (args.loadtest_clients, args.loadtest_seconds)
    _step(f"load test: {clients} clients for {seconds} s")
    return figures.run_loadtest(
        clients=clients, seconds=seconds, out=OUT / "loadtest.json", log=logs / "loadtest.log", env=env
    )


def _step(text: str) -> None:
    print(f"==> {text}", flush=True)


def main() -> int:
    args = _arguments()
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    database, broker = stack.choose_backends(database_url=args.database_url, redis_url=args.redis_url)
    options = Options(args.latency_ms, args.workers, args.threads, database, broker)
    env = stack.environment(options)
    # The load test starts a stack of its own: it gets the caller's environment, pointed at the
    # same PostgreSQL server and Redis (it makes a database and a queue of its own there).
    loadtest_env = {**os.environ, "DATABASE_URL": database, "TEST_REDIS_URL": broker}
    if not broker.startswith("redis"):
        loadtest_env.pop("TEST_REDIS_URL")
    if not database.startswith("postgres"):
        loadtest_env.pop("DATABASE_URL")
    os.environ.update(env)  # this process seeds the same database the server reads
    began = time.monotonic()
    _step(f"database {database.split('@')[-1]}, broker {broker}, upstream latency {args.latency_ms:g} ms")
    _empty_broker(broker)
    stack.fresh_database(database)
    stack.prepare(env, logs / "setup.log")

    import django

    django.setup()
    results = _measure(args, options, env, logs)
    if not args.no_cleanup:
        _step("cleanup of 1,000" + ("" if args.quick else " and 10,000") + " expired sessions")
        sizes = (1000,) if args.quick else (1000, 10_000)
        results["cleanup"] = figures.measure_cleanup(
            env, sizes, rate_limit=args.cleanup_rate_limit, timeout=900, log=logs / "cleanup.log"
        )
    results["loadtest"] = _loadtest(args, loadtest_env, logs)
    results["meta"] = _meta(args, options, began)
    results["targets"] = report.targets(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str))
    print()
    print(report.table(results))
    print(f"\nFigures written to {args.json}")
    return 0


def _meta(args: argparse.Namespace, options: Options, began: float) -> dict:
    database = "PostgreSQL" if options.database_url.startswith("postgres") else "SQLite"
    broker = "Redis" if options.redis_url.startswith("redis") else "filesystem"
    summary = (
        f"{'quick' if args.quick else 'full'} run; {database}, {broker} broker; upstream {args.latency_ms:g} ms; "
        f"gunicorn gthread {options.workers}x{options.threads}; {os.cpu_count()} CPUs"
    )
    return {
        "summary": summary,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "database": database,
        "broker": broker,
        "latency_ms": args.latency_ms,
        "gunicorn": {"worker_class": "gthread", "workers": options.workers, "threads": options.threads},
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "create_path": "a new incident per request (201, the full create); the idempotent path is not timed",
        "celery_worker": "throughout" if args.worker_throughout else "after the timed figures",
        "seconds": round(time.monotonic() - began, 1),
    }


if __name__ == "__main__":
    sys.exit(main())
