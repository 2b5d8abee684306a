from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "supportdesk.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        from supportdesk.sla import signals  # noqa: F401 (connects the receivers)
