from __future__ import annotations

from django.urls import path

from supportdesk.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.notification_bell, name="bell"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("email/<str:token>/", views.email_settings, name="email_settings"),
    path("delivery-problems/", views.delivery_problem_list, name="problems"),
    path("delivery-problems/retry/", views.delivery_retry, name="retry"),
]
