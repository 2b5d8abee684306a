from __future__ import annotations

from django.urls import path

from supportdesk.records import views

app_name = "records"
urlpatterns = [
    path("", views.record_list, name="list"),
    path("<int:pk>/", views.record_detail, name="detail"),
    path("<int:pk>/request-support/", views.request_support, name="request_support"),
]
