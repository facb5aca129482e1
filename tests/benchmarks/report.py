"""The targets the issue sets, checked against a run's figures, and the table printed at the end."""

from __future__ import annotations

from typing import Any

MAX_QUERIES = 5
MEMORY_LIMIT_MIB = 150


def _check(name: str, value: Any, target: str, met: bool | None) -> dict:
    return {"name": name, "value": value, "target": target, "met": met}


def targets(results: dict) -> list[dict]:
    checks: list[dict] = []
    create = results.get("create") or {}
    checks += _create_checks(create)
    for name in ("list", "page"):
        by_size = results.get(name) or {}
        if by_size:
            checks += _query_checks(name, by_size)
    checks += _list_checks(results.get("list") or {})
    for size, entry in (results.get("page") or {}).items():
        ratio = entry["ratio_median"]
        checks.append(
            _check(f"page median, {size} sessions (ours/bare DRF)", ratio, "<= 1.5", _le(ratio, 1.5))
        )
    checks += _cleanup_checks(results.get("cleanup") or {})
    refresh = results.get("token_refresh")
    if refresh:
        calls = refresh["upstream_refresh_calls"]
        ok = calls == 1 and refresh["errors"] == 0
        checks.append(
            _check(
                "token refresh: upstream refresh calls for 50 concurrent requests",
                calls,
                "== 1, no errors",
                ok,
            )
        )
    web = ((results.get("memory") or {}).get("web") or {}).get("max_child_mib")
    if web is not None:
        checks.append(
            _check("peak RSS of a web worker (MiB)", web, f"< {MEMORY_LIMIT_MIB}", web < MEMORY_LIMIT_MIB)
        )
    return checks


def _create_checks(create: dict) -> list[dict]:
    checks = []
    cpu = _cpu_ratio(create)
    if cpu is not None:
        checks.append(_check("worker CPU per create (ours/baseline)", cpu, "<= 2", _le(cpu, 2)))
    if "1" in create:
        ratio = create["1"]["ratio_median"]
        checks.append(_check("create median, 1 client (ours/baseline)", ratio, "<= 1.3", _le(ratio, 1.3)))
    if "32" in create:
        ratio = create["32"]["ratio_rps"]
        checks.append(_check("create req/s, 32 clients (ours/baseline)", ratio, ">= 0.5", _ge(ratio, 0.5)))
    return checks


def _cpu_ratio(create: dict) -> float | None:
    """Server CPU per create over every client count, ours over the baseline's."""

    def per_request(side: str) -> float | None:
        entries = [entry[side] for entry in create.values() if entry[side].get("cpu_ms")]
        requests = sum(entry["requests"] for entry in entries)
        return sum(entry["cpu_ms"] * entry["requests"] for entry in entries) / requests if requests else None

    ours, base = per_request("ours"), per_request("baseline")
    return round(ours / base, 3) if ours and base else None


def _query_checks(name: str, by_size: dict) -> list[dict]:
    counts = [entry["ours"]["queries_max"] for entry in by_size.values()]
    most = max(count or 0 for count in counts)
    # No query per row; a full page may take one more (its COUNT: a short page skips it).
    flat = max(counts) - min(counts) <= 1
    target = f"<= {MAX_QUERIES}, flat"
    met = most <= MAX_QUERIES and flat
    return [_check(f"{name} queries per request (1/10/100 sessions)", counts, target, met)]


def _list_checks(by_size: dict) -> list[dict]:
    checks = []
    if "1" in by_size:
        ratio = by_size["1"]["ratio_median"]
        checks.append(_check("list median, 1 session (ours/bare DRF)", ratio, "<= 3", _le(ratio, 3)))
    if "1" in by_size and "100" in by_size:
        growth = _ratio(by_size["100"]["ours"]["median_ms"], by_size["1"]["ours"]["median_ms"])
        checks.append(
            _check("list median growth, 1 to 100 sessions (ours)", growth, "<= 1.5", _le(growth, 1.5))
        )
    return checks


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return round(top / bottom, 3) if top and bottom else None


def _cleanup_checks(cleanup: dict) -> list[dict]:
    entry = cleanup.get("1000")
    if entry is None or "missing" in cleanup:
        return [_check("cleanup of 1,000 at 50 ms (wall / one by one)", None, "<= 0.125", None)]
    if "missing" in entry:
        return [_check("cleanup of 1,000 at 50 ms (wall / one by one)", None, "<= 0.125", None)]
    ratio = entry.get("ratio")
    checks = [_check("cleanup of 1,000 at 50 ms (wall / one by one)", ratio, "<= 0.125", _le(ratio, 0.125))]
    limit, peak = entry.get("rate_limit"), entry.get("max_requests_per_second")
    if limit:
        checks.append(
            _check("cleanup: peak requests/s at the stand-in", peak, f"<= {limit:g}", _le(peak, limit))
        )
    return checks


def _le(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def _ge(value: float | None, limit: float) -> bool | None:
    return None if value is None else value >= limit


# --- the table --------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def table(results: dict) -> str:
    lines = [f"Benchmarks ({results['meta']['summary']})", ""]
    lines += _create_rows(results.get("create") or {})
    lines += _read_rows(results)
    lines += _other_rows(results)
    lines += ["", "Targets:"]
    for check in results.get("targets") or []:
        mark = {True: "met", False: "MISSED", None: "n/a"}[check["met"]]
        lines.append(f"  [{mark:6}] {check['name']}: {check['value']} (target {check['target']})")
    return "\n".join(lines)


def _create_rows(create: dict) -> list[str]:
    rows = [
        "Create session (ms, req/s, server CPU ms per request): ours/bare DRF + one upstream call, ratio",
        f"  {'clients':>7} {'median':>19} {'p99':>19} {'req/s':>19} {'CPU':>19} {'errors':>7}",
    ]
    for clients, entry in create.items():
        ours, base = entry["ours"], entry["baseline"]
        rows.append(
            f"  {clients:>7} "
            f"{_pair(ours, base, 'median_ms', entry['ratio_median'])} "
            f"{_pair(ours, base, 'p99_ms', entry['ratio_p99'])} "
            f"{_pair(ours, base, 'rps', entry['ratio_rps'])} "
            f"{_pair(ours, base, 'cpu_ms', entry.get('ratio_cpu'))} "
            f"{ours['errors'] + base['errors']:>7}"
        )
    return [*rows, ""]


def _pair(ours: dict, base: dict, name: str, ratio: float | None) -> str:
    return f"{_ms(ours.get(name)):>6}/{_ms(base.get(name)):<6}{_x(ratio):>7}"


def _read_rows(results: dict) -> list[str]:
    rows = [
        "List and page, 1 client (median ms): ours / bare DRF view reading the same rows, ratio;"
        " server CPU ms per request; SQL queries"
    ]
    for name in ("list", "page"):
        for size, entry in (results.get(name) or {}).items():
            ours, base = entry["ours"], entry["baseline"]
            rows.append(
                f"  {name:>4} {size:>3} sessions: {_ms(ours['median_ms']):>6} / {_ms(base['median_ms']):<6} "
                f"{_x(entry['ratio_median']):>6}   p99 {_ms(ours['p99_ms'])}"
                f"   CPU {_ms(ours.get('cpu_ms'))} / {_ms(base.get('cpu_ms'))}   queries {ours['queries_max']}"
                f" (baseline {base['queries_max']})   errors {ours['errors']}"
            )
    return [*rows, ""]


def _other_rows(results: dict) -> list[str]:
    rows = []
    refresh = results.get("token_refresh")
    if refresh:
        rows.append(
            f"Token refresh: {refresh['concurrent_requests']} concurrent creates, expired token -> "
            f"{refresh['upstream_refresh_calls']} upstream refresh call(s); errors {refresh['errors']}; "
            f"median {_ms(refresh['median_ms'])} ms, p99 {_ms(refresh['p99_ms'])} ms"
        )
    for size, entry in (results.get("cleanup") or {}).items():
        if isinstance(entry, dict) and "missing" not in entry:
            rows.append(
                f"Cleanup {size}: {entry.get('wall_s')} s vs {entry.get('one_by_one_s')} s one by one "
                f"(ratio {entry.get('ratio')}), {entry.get('queries_per_session')} queries/session, "
                f"max {entry.get('max_requests_per_second')} req/s upstream, closed {entry.get('closed')}"
            )
        else:
            rows.append(
                f"Cleanup {size}: missing ({entry if isinstance(entry, str) else entry.get('missing')})"
            )
    outbox = results.get("outbox")
    if outbox:
        rows.append(f"Outbox after the run: {outbox['invitations']} ({outbox['drain_s']} s to drain)")
    memory = results.get("memory") or {}
    for name in ("web", "celery"):
        if name in memory:
            rows.append(
                f"Peak RSS {name}: main {memory[name]['main_mib']} MiB, workers {memory[name]['children_mib']} MiB"
            )
    loadtest = results.get("loadtest")
    if loadtest is not None:
        rows.append(f"Load test: {_loadtest_line(loadtest)}")
    return rows


def _loadtest_line(loadtest: dict) -> str:
    if "missing" in loadtest or "skipped" in loadtest:
        return loadtest.get("missing") or loadtest["skipped"]
    latency = loadtest.get("latency_ms") or {}
    verdict = "OK" if loadtest.get("ok") else f"FAILED: {'; '.join(loadtest.get('problems') or [])}"
    return (
        f"{loadtest.get('requests')} requests from {loadtest.get('clients')} clients, {loadtest.get('rps')} req/s, "
        f"p50 {latency.get('p50_ms')} ms, p99 {latency.get('p99_ms')} ms, 5xx {loadtest.get('five_xx')}; {verdict}"
    )
