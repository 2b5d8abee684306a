"""List views' own pages. The Cases tab itself is `cases:home` / `cases:mine`."""

from __future__ import annotations

from django.urls import path

from supportdesk.lists import action_views, views

app_name = "lists"

urlpatterns = [
    path("cases/views/new/", views.view_create, name="create"),
    path("cases/views/<int:pk>/edit/", views.view_edit, name="edit"),
    path("cases/views/<int:pk>/save/", views.view_save, name="save"),
    path("cases/views/<int:pk>/delete/", views.view_delete, name="delete"),
    path("cases/views/<int:pk>/publish/", views.view_publish, name="publish"),
    path("cases/export.csv", action_views.case_export, name="export"),
    path("cases/bulk/", action_views.case_bulk, name="bulk"),
]
