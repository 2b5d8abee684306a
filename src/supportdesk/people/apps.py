from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "supportdesk.people"
    label = "people"
