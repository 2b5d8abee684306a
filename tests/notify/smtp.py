"""A real SMTP server for the tests (aiosmtpd on loopback) and a real worker process."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from django.db import connection

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    rcpt: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return self.rcpt[0]

    @property
    def case(self) -> str:
        return str(self.message["X-Supportdesk-Case"] or "")

    @property
    def kind(self) -> str:
        return str(self.message["X-Supportdesk-Kind"] or "")

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"]).strip()

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        return body.get_content() if body is not None else ""


@dataclass
class SmtpSink:
    """Accepts every message over a real SMTP conversation and keeps it; stop() and start()
    simulate an outage (the port refuses connections while it is stopped)."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def duplicates(self) -> int:
        """Messages received more than once (same Message-ID): the resends after a crash."""
        ids = Counter(r.message_id for r in self.messages())
        return sum(n - 1 for n in ids.values())


def database_url() -> str:
    """The test database as a DATABASE_URL a subprocess can open (a file, or PostgreSQL)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, password = settings.get("USER") or "", settings.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return (
        f"postgres://{credentials}{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"
    )


def worker_env(sink: SmtpSink, tmp_path: Path, **extra: str) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": database_url(),
        "SUPPORTDESK_VAR_DIR": str(tmp_path / "worker-var"),
        "DEBUG": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "EMAIL_TIMEOUT": "2",
        "NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "NOTIFY_RETRY_MAX_SECONDS": "1",
        "NOTIFY_MAX_ATTEMPTS": "100",
        "NOTIFY_SEND_LEASE_SECONDS": "3",
        "NOTIFY_SWEEP_SECONDS": "0.5",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(BIN / "supportdesk"), "worker", "--interval", "0.05", "--no-startup-delay"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
