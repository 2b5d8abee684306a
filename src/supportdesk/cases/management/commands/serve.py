"""`supportdesk serve`: the production web server (gunicorn), never Django's runserver."""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def gunicorn_argv(*, bind: str | None, workers: int | None) -> list[str]:
    """The gunicorn command line: the settings in supportdesk/gunicorn_conf.py (BIND,
    WEB_WORKERS, WEB_THREADS), with --bind/--workers taking precedence."""
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:supportdesk.gunicorn_conf"]
    if bind:
        argv += ["--bind", bind]
    if workers:
        argv += ["--workers", str(workers)]
    return [*argv, "supportdesk.wsgi:application"]


def insecure_reasons() -> list[str]:
    """Why this configuration must not face users (empty when it may)."""
    reasons = []
    if settings.DEBUG:
        reasons.append(
            "DEBUG is on: error pages would show settings and source code to anyone, and "
            "memory grows with every query (set DEBUG=false)"
        )
    if not os.environ.get("SECRET_KEY"):
        reasons.append(
            "SECRET_KEY is not set: the key generated into the var dir differs on every "
            "machine and is lost with the var dir (logging everyone out); set one"
        )
    return reasons


class Command(BaseCommand):
    help = (
        "Serve supportdesk with gunicorn (workers from WEB_WORKERS, default 2 x CPUs + 1). "
        "The process becomes gunicorn: SIGHUP reloads code and settings gracefully (new "
        "workers start, old ones finish their requests), SIGTERM stops gracefully."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--bind", help="ADDR:PORT or unix:PATH (default: BIND)")
        parser.add_argument("--workers", type=int, help="worker processes (default: WEB_WORKERS)")
        parser.add_argument(
            "--insecure",
            action="store_true",
            help="start even with DEBUG on or no SECRET_KEY set (never for real users)",
        )

    def handle(
        self, *args: Any, bind: str | None, workers: int | None, insecure: bool, **options: Any
    ) -> None:
        reasons = insecure_reasons()
        if reasons and not insecure:
            raise CommandError(
                "refusing to serve: " + "; ".join(reasons) + ". Pass --insecure to serve anyway."
            )
        for reason in reasons:
            self.stderr.write(f"WARNING: {reason}")
        argv = gunicorn_argv(bind=bind, workers=workers)
        self.stdout.flush()
        self.stderr.flush()
        # Become gunicorn (same pid), so the signals a supervisor sends reach its arbiter.
        os.execv(argv[0], argv)  # noqa: S606 -- fixed argv, no shell
