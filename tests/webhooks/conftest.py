"""A real HTTP receiver on loopback, recording what it is sent and checking the signature
with `verify_signature`, and helpers to run the webhook tasks as the worker would."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from supportdesk.webhooks.endpoints import create_endpoint
from supportdesk.webhooks.models import WebhookDelivery, WebhookEndpoint
from supportdesk.webhooks.signing import verify_signature
from tests.notify.conftest import run_tasks

TASK_PATH = "supportdesk.webhooks.tasks.deliver_webhook"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next of `statuses` (then `status`), after checking its
    signature with `secret` (400 when it does not verify)."""

    secret: str = ""
    status: int = 200
    statuses: deque[int] = field(default_factory=deque)
    requests: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/supportdesk?source=test"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = verify_signature(
                    receiver.secret,
                    self.headers.get("Supportdesk-Timestamp", ""),
                    body,
                    self.headers.get("Supportdesk-Signature", ""),
                )
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append(Received(self.path, headers, body, ok))
                status = receiver.statuses.popleft() if receiver.statuses else receiver.status
                self.send_response(status if ok else 400)
                self.end_headers()
                self.wfile.write(b"thanks" if ok else b"bad signature")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def allow_private(settings) -> None:
    """The loopback receiver is a private address: allowed for these tests only."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def endpoint(admin_user, receiver, allow_private) -> Callable[..., WebhookEndpoint]:
    """Register the receiver for some kinds (all of them by default); it learns the secret."""

    def _endpoint(*kinds: str) -> WebhookEndpoint:
        made = create_endpoint(
            admin_user,
            url=receiver.url,
            event_kinds=list(kinds)
            or [
                "case.created",
                "case.updated",
                "case.status_changed",
                "case.commented",
                "case.closed",
                "case.reopened",
            ],
        )
        receiver.secret = made.secret
        return made

    return _endpoint


def run_webhooks() -> int:
    """Run every due task (webhooks and the emails queued with them), as the worker would."""
    return run_tasks()


def make_due() -> None:
    """Bring deferred retries forward to now (instead of waiting for the backoff)."""
    now = timezone.now()
    DBTaskResult.objects.filter(status="READY", task_path=TASK_PATH).update(run_after=now)
    WebhookDelivery.objects.filter(state="pending").update(next_attempt_at=now)


@pytest.fixture
def login() -> Callable[..., Client]:
    def _login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _login
