"""What the API keeps: the first answer to each `Idempotency-Key`, to replay on a retry."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotentRequest(models.Model):
    """A user's claim on an `Idempotency-Key`, then the answer to replay (see `idempotency`).

    `status` is null while the first request is still running. `body` is empty for answers
    that held a secret shown once (tokens, webhook secrets): those are never stored.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.TextField(blank=True, default="")
    content_type = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotent_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
