from __future__ import annotations

from django.urls import path

from supportdesk.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="home"),
    path("cases/", views.case_list, name="mine"),
    path("cases/<str:number>/", views.case_detail, name="detail"),
    path("cases/<str:number>/submitted/", views.case_submitted, name="submitted"),
    path(
        "cases/<str:number>/attachments/<int:pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path("requests/<uuid:draft_id>/team/", views.wizard_team, name="wizard_team"),
    path("requests/<uuid:draft_id>/type/", views.wizard_type, name="wizard_type"),
    path("requests/<uuid:draft_id>/details/", views.wizard_details, name="wizard_details"),
    path("requests/<uuid:draft_id>/review/", views.wizard_review, name="wizard_review"),
]
