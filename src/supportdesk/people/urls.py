from __future__ import annotations

from django.urls import path

from supportdesk.people import views

app_name = "people"
urlpatterns = [
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("tokens/all/", views.admin_token_list, name="admin_tokens"),
    path("tokens/all/<int:pk>/revoke/", views.admin_token_revoke, name="admin_token_revoke"),
]
