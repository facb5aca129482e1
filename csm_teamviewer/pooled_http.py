"""One pooled HTTP session per thread for a cloud API (TeamViewer's, CSM's).

requests does not promise a ``Session`` is thread-safe, and the cleanup's threads call through
client objects made on another thread: each thread gets its own session, each with its pool.
"""
from __future__ import annotations

import os
import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


class ThreadPooledSessions:
    def __init__(self, api_url: str, *, retry: Retry, pool_maxsize: int) -> None:
        self.api_url = api_url
        self.retry = retry
        self.pool_maxsize = pool_maxsize
        self._local = threading.local()

    def get(self) -> requests.Session:
        """This thread's session, made on its first call."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._made()
        return session

    def close(self) -> None:
        """Close this thread's pooled connections."""
        self.get().close()

    def _made(self) -> requests.Session:
        http = requests.Session()
        # The environment (proxy, CA bundle) is read once here instead of on every call: with
        # trust_env, requests scans it and looks for .netrc files per request, a third of a call's CPU.
        http.trust_env = False
        http.proxies = requests.utils.get_environ_proxies(self.api_url)
        http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        adapter = HTTPAdapter(max_retries=self.retry, pool_maxsize=self.pool_maxsize)
        http.mount("http://", adapter)
        http.mount("https://", adapter)
        return http
