"""Background tasks (django-tasks) of webhooks: they take ids and call `sending`."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="webhooks")
def deliver_webhook(delivery_id: int) -> str:
    """Make one attempt at a `WebhookDelivery`, if it is due; what happened."""
    from supportdesk.webhooks.sending import deliver

    return deliver(delivery_id)
