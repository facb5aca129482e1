"""A TeamViewer stand-in on loopback that answers every API call after a fixed latency.

It speaks the part of the Web API the server uses (token, ping, sessions create/get/close,
revoke) and nothing else, with no database behind it, so its latency is the configured one and
nothing more. Refresh tokens are single-use, as at TeamViewer: a second refresh with the same
token is refused, so a double refresh shows up as a failure as well as in the counts.

    python -m tests.benchmarks.standin --port 8765 --latency-ms 50

``GET /_stats`` answers the calls counted by endpoint; ``POST /_reset`` sets them to zero;
``POST /_latency?ms=N`` changes the latency.
"""

from __future__ import annotations

import argparse
import itertools
import json
import secrets
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API = "/api/v1"
ACCESS_SECONDS = 3600


class StandInState:
    """Counters, issued sessions and spent refresh tokens, shared by the handler threads."""

    def __init__(self, latency_ms: float) -> None:
        self.latency = latency_ms / 1000
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.sessions: dict[str, dict] = {}
        self.spent_refresh: set[str] = set()
        self._numbers = itertools.count(100_000_000)

    def count(self, name: str) -> None:
        with self.lock:
            self.calls[name] += 1

    def tokens(self) -> dict:
        return {
            "access_token": "bench-access-" + secrets.token_urlsafe(16),
            "refresh_token": "bench-refresh-" + secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": ACCESS_SECONDS,
        }

    def spend_refresh(self, token: str) -> bool:
        with self.lock:
            if not token or token in self.spent_refresh:
                return False
            self.spent_refresh.add(token)
            return True

    def new_session(self, base_url: str, payload: dict) -> dict:
        with self.lock:
            digits = str(next(self._numbers))
        code = f"s{digits[:2]}-{digits[2:5]}-{digits[5:8]}"
        now = datetime.now(UTC)
        session = {
            "code": code,
            "state": "open",
            "groupid": "g1",
            "description": str(payload.get("description") or ""),
            "end_customer_link": f"{base_url}/join/{code}",
            "supporter_link": f"{base_url}/support/{code}",
            "webclient_supporter_link": f"{base_url}/support/{code}?web=1",
            "online": False,
            "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "valid_until": payload.get("valid_until")
            or (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        with self.lock:
            self.sessions[code] = session
        return session


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the server's connection pool expects
    # The head and the body go out as two writes: with Nagle's algorithm the body would wait for
    # the client's delayed ACK (40 ms on Linux), which no real API server makes its clients pay.
    disable_nagle_algorithm = True
    server: StandInServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook names
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        state = self.server.state
        if url.path.startswith("/_"):
            return self._control(method, url.path, parse_qs(url.query))
        time.sleep(state.latency)
        path = url.path.rstrip("/")
        if not path.lower().startswith(API):
            return self._send(404, {"error": "invalid_request", "error_description": "Unknown path."})
        route = path[len(API) :]
        if route.lower() == "/oauth2/token" and method == "POST":
            return self._token(parse_qs(body.decode()))
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            return self._send(401, {"error": "invalid_token", "error_description": "No token."})
        self._api(method, route, body)

    def _token(self, form: dict[str, list[str]]) -> None:
        state = self.server.state
        grant = (form.get("grant_type") or [""])[0]
        state.count(f"token:{grant}")
        if grant == "refresh_token" and not state.spend_refresh((form.get("refresh_token") or [""])[0]):
            return self._send(400, {"error": "invalid_grant", "error_description": "Refresh token spent."})
        if grant not in ("refresh_token", "authorization_code"):
            return self._send(400, {"error": "unsupported_grant_type"})
        self._send(200, state.tokens())

    def _api(self, method: str, route: str, body: bytes) -> None:
        state = self.server.state
        if route == "/ping":
            state.count("ping")
            return self._send(200, {"token_valid": True})
        if route.lower() == "/oauth2/revoke":
            state.count("revoke")
            return self._send(200, {})
        if route == "/sessions" and method == "POST":
            state.count("sessions:create")
            session = state.new_session(self.server.base_url, json.loads(body or b"{}"))
            return self._send(
                200, session, location=f"{self.server.base_url}{API}/sessions/{session['code']}"
            )
        if route.startswith("/sessions/"):
            return self._session(method, route.removeprefix("/sessions/"))
        self._send(404, {"error": "invalid_request", "error_description": "Unknown path."})

    def _session(self, method: str, code: str) -> None:
        state = self.server.state
        if method == "PUT":
            # Any code is closed: the cleanup measurements close rows this process never made.
            state.count("sessions:close")
            with state.lock:
                if code in state.sessions:
                    state.sessions[code]["state"] = "closed"
            return self._send(204, None)
        state.count("sessions:get")
        session = state.sessions.get(code)
        if session is None:
            return self._send(404, {"error": "invalid_request", "error_description": "Unknown session."})
        self._send(200, session)

    def _control(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        state = self.server.state
        if path == "/_stats":
            with state.lock:
                return self._send(200, dict(state.calls))
        if path == "/_reset" and method == "POST":
            with state.lock:
                state.calls.clear()
            return self._send(200, {})
        if path == "/_latency" and method == "POST":
            state.latency = float((query.get("ms") or ["0"])[0]) / 1000
            return self._send(200, {"latency_ms": state.latency * 1000})
        self._send(404, {})

    def _send(self, status: int, payload: dict | None, *, location: str = "") -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class StandInServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # the load test opens hundreds of connections at once

    def __init__(self, port: int, latency_ms: float) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = StandInState(latency_ms)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"


def start_in_thread(*, latency_ms: float = 0, port: int = 0) -> StandInServer:
    """A stand-in serving from a daemon thread of this process (call ``shutdown()`` when done)."""
    server = StandInServer(port, latency_ms)
    threading.Thread(target=server.serve_forever, daemon=True, name="teamviewer-standin").start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    server = StandInServer(args.port, args.latency_ms)
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
