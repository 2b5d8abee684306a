from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "supportdesk.records"
    label = "records"
