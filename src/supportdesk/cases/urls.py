from __future__ import annotations

from django.urls import path

from supportdesk.cases import (
    approval_views,
    case_views,
    info_request_views,
    link_views,
    priority_views,
    views,
)
from supportdesk.lists import views as list_views

app_name = "cases"

# The case page's actions: GET shows the form (inline under htmx), POST does it.
ACTIONS = (
    *("take", "assign", "ask", "hold", "resume", "close", "withdraw", "reopen", "move", "edit"),
    "merge",
    "priority",
)

urlpatterns = [
    path("", list_views.case_list, name="home"),  # the Cases tab (supportdesk.lists)
    path("cases/", list_views.case_list, name="mine"),
    path("cases/<str:number>/", case_views.case_detail, name="detail"),
    path("reports/urgent-usage/", priority_views.urgent_usage, name="urgent_usage"),
    path("cases/<str:number>/submitted/", views.case_submitted, name="submitted"),
    *(
        path(f"cases/<str:number>/{name}/", case_views.case_action, {"name": name}, name=name)
        for name in ACTIONS
    ),
    path("cases/<str:number>/watchers/", case_views.case_action, {"name": "watch"}, name="watch"),
    path("cases/<str:number>/comments/", case_views.case_comment, name="comment"),
    path("cases/<str:number>/rate/", case_views.case_rate, name="rate"),
    path("cases/<str:number>/answer/", info_request_views.case_answer, name="answer"),
    path(
        "cases/<str:number>/approvals/",
        approval_views.approval_request,
        name="approval_request",
    ),
    path(
        "cases/<str:number>/approvals/<int:pk>/decision/",
        approval_views.approval_decide,
        name="approval_decide",
    ),
    path("cases/<str:number>/mentions/", case_views.mention_suggest, name="mention_suggest"),
    path("cases/<str:number>/ask-for-help/", link_views.case_ask_for_help, name="ask_for_help"),
    path("cases/<str:number>/follow-up/", link_views.case_follow_up, name="follow_up"),
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
