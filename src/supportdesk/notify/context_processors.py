from __future__ import annotations

from django.http import HttpRequest


def unread_notifications(request: HttpRequest) -> dict:
    """The bell's unread count, computed lazily so pages that never show it pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from supportdesk.notify.models import Notification

    def count() -> int:
        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return {"unread_notification_count": count}
