"""`supportdesk worker`: the django-tasks-db worker with supportdesk's defaults."""

from __future__ import annotations

import logging
import os
import socket
from argparse import ArgumentParser
from typing import Any

from django_tasks.signals import task_started
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from supportdesk.notify.periodic import ensure_schedules
from supportdesk.notify.recovery import StaleTaskRecovery


def default_worker_id() -> str:
    """host-pid: unique across machines, and tells an admin where a task ran."""
    return f"{socket.gethostname()}-{os.getpid()}"[-64:]


class Command(DatabaseWorkerCommand):
    help = (
        "Run a background worker: emails, webhooks, digests, reminders and housekeeping. "
        "Run as many as you like, on as many machines: they share the queue in the database. "
        "SIGTERM or Ctrl+C lets the current task finish, then stops."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(
            queue_name="*", interval=0.5, reload=False, worker_id=default_worker_id()
        )
        parser.add_argument(
            "--no-schedule",
            action="store_true",
            help="Do not start the periodic jobs (digests, reminders, sweeps) if they are idle.",
        )

    def configure_logging(self, verbosity: int) -> None:
        """Quiet by default: each task's start and end only from -v 2 on; problems always."""
        super().configure_logging(verbosity)
        if verbosity == 1:
            for name in ("django_tasks", "django_tasks_db"):
                logging.getLogger(name).setLevel(logging.WARNING)

    def handle(self, *args: Any, no_schedule: bool = False, **options: Any) -> None:
        # Tasks a dead worker left running: now, then now and again before a task runs here.
        self.recovery = StaleTaskRecovery()
        self.recovery()
        task_started.connect(self.recovery)
        if not no_schedule and not options.get("batch"):
            for name in ensure_schedules():
                self.stdout.write(f"Started the periodic job {name}.")
        self.stdout.write(
            f"Worker {options['worker_id']} takes tasks from queues {options['queue_name']}; "
            "SIGTERM or Ctrl+C stops it after its current task."
        )
        super().handle(*args, **options)
