from django.contrib import admin
from django.urls import include, path

from supportdesk.api.urls import api
from supportdesk.cases import problem_views
from supportdesk.health import healthz, readyz
from supportdesk.observability.views import metrics_view

urlpatterns = [
    path("", include("supportdesk.lists.urls")),  # before cases: /cases/views/… are lists
    path("", include("supportdesk.cases.urls")),
    path("records/", include("supportdesk.records.urls")),
    path("reports/", include("supportdesk.reports.urls")),
    path("notifications/", include("supportdesk.notify.urls")),
    path("settings/", include("supportdesk.people.urls")),
    path("departments/", include("supportdesk.catalog.urls")),
    path("settings/webhooks/", include("supportdesk.webhooks.urls")),
    path("report-problem/", problem_views.report_problem, name="report_problem"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]
