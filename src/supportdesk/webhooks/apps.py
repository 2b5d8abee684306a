from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "supportdesk.webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from supportdesk.webhooks import signals  # noqa: F401 (connects the receivers)
