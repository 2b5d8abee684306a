"""Background tasks (django-tasks): they take ids, stay tiny and call the services."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="email")
def send_email(key: str) -> str:
    """Send one queued email (a `Delivery`, by its idempotency key)."""
    from supportdesk.notify.sending import deliver

    return deliver(key)


@task()
def run_periodic(name: str) -> str:
    """One tick of a periodic job: schedules the next tick, then does the work."""
    from supportdesk.notify.periodic import tick

    return tick(name)
