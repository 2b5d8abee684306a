"""Drop the cached subscriptions (outbox.subscriptions) whenever an endpoint changes."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from supportdesk.webhooks.models import WebhookEndpoint
from supportdesk.webhooks.outbox import forget_subscriptions


@receiver([post_save, post_delete], sender=WebhookEndpoint)
def _endpoint_changed(**kwargs: Any) -> None:
    forget_subscriptions()
