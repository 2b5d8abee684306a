from django.apps import AppConfig


class ListsConfig(AppConfig):
    name = "supportdesk.lists"
    label = "lists"
    verbose_name = "Case lists"
