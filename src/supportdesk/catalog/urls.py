from django.urls import path

from supportdesk.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.departments, name="departments"),
]
