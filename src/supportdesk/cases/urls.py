from __future__ import annotations

from django.urls import path

from supportdesk.cases import case_views, views

app_name = "cases"

# The case page's actions: GET shows the form (inline under htmx), POST does it.
ACTIONS = ("take", "assign", "ask", "hold", "resume", "close", "withdraw", "reopen", "move", "edit")

urlpatterns = [
    path("", views.case_list, name="home"),
    path("cases/", views.case_list, name="mine"),
    path("cases/<str:number>/", case_views.case_detail, name="detail"),
    path("cases/<str:number>/submitted/", views.case_submitted, name="submitted"),
    *(
        path(f"cases/<str:number>/{name}/", case_views.case_action, {"name": name}, name=name)
        for name in ACTIONS
    ),
    path("cases/<str:number>/watchers/", case_views.case_action, {"name": "watch"}, name="watch"),
    path("cases/<str:number>/comments/", case_views.case_comment, name="comment"),
    path("cases/<str:number>/rate/", case_views.case_rate, name="rate"),
    path("cases/<str:number>/mentions/", case_views.mention_suggest, name="mention_suggest"),
    path("cases/<str:number>/attachments/", case_views.case_attachments, name="attachments"),
    path(
        "cases/<str:number>/attachments/<int:pk>/",
        case_views.attachment_download,
        name="attachment",
    ),
    path(
        "cases/<str:number>/attachments/<int:pk>/remove/",
        case_views.attachment_remove,
        name="attachment_remove",
    ),
    path("requests/<uuid:draft_id>/team/", views.wizard_team, name="wizard_team"),
    path("requests/<uuid:draft_id>/type/", views.wizard_type, name="wizard_type"),
    path("requests/<uuid:draft_id>/details/", views.wizard_details, name="wizard_details"),
    path("requests/<uuid:draft_id>/review/", views.wizard_review, name="wizard_review"),
]
