from django.urls import path

from supportdesk.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:name>/", views.dashboard, name="dashboard"),
]
