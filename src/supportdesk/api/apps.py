from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "supportdesk.api"
    label = "api"
