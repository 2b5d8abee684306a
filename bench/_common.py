"""What every benchmark in bench/ shares: a throw-away server, keep-alive clients, percentiles.

    from _common import Client, start_gunicorn, throwaway_env   # bench/ is on sys.path

`throwaway_env()` gives the environment of a fresh var dir (SQLite file in a temp dir unless
DATABASE_URL is set); `start_gunicorn()` serves the app from it with
`-c python:supportdesk.gunicorn_conf` (threaded workers, keep-alive) and waits for /healthz.
"""

from __future__ import annotations

import http.client
import http.cookies
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [str(BIN / "supportdesk"), *args], env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


class Client:
    """A keep-alive HTTP client that reconnects when the server closes the connection.

    With a token it sends `Authorization: Bearer`; it keeps the cookies the server sets (a
    session after logging in) and sends them back, like a browser.
    """

    def __init__(self, base: str, token: str | None = None):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.headers = {"Content-Type": "application/json"}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=self._headers(headers))
                response = self.conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            self._keep_cookies(response)
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return response.status, data
        raise RuntimeError("unreachable")

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = self.headers | extra
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value


def run_clients(clients: int, target, args_for) -> tuple[float, list[float], int]:
    queue: mp.Queue = mp.Queue()
    procs = [mp.Process(target=target, args=(*args_for(i), queue)) for i in range(clients)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    return elapsed, latencies, sum(e for _, e in results)


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def wait_for(base: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, _ = Client(base, "-").request("GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server at {base} did not answer /healthz")


def throwaway_env() -> tuple[dict[str, str], str]:
    """The environment of a fresh var dir (its SQLite file, secret key, media) and the dir."""
    tmp = tempfile.mkdtemp(prefix="sd-bench-")
    env = os.environ | {"SUPPORTDESK_VAR_DIR": tmp, "DEBUG": "false", "STATIC_MANIFEST": "false"}
    env.setdefault("API_RATE_LIMIT", "off")  # benches send far more than a person would
    return env, tmp


def start_gunicorn(env: dict[str, str], cwd: str, workers: int) -> tuple[str, subprocess.Popen]:
    """Serve the app as in production (supportdesk/gunicorn_conf.py) on a free port."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            "python:supportdesk.gunicorn_conf",
            "supportdesk.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=cwd,
    )
    wait_for(base)
    return base, server


def stop(server: subprocess.Popen | None) -> None:
    if server is not None:
        server.terminate()
        server.wait(10)


def database_name() -> str:
    return os.environ.get("DATABASE_URL", "sqlite").split(":")[0]
