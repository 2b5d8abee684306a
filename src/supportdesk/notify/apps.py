from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "supportdesk.notify"
    label = "notify"
