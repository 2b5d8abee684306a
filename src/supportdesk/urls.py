from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path

from supportdesk.api.urls import api
from supportdesk.cases import problem_views
from supportdesk.health import healthz, readyz
from supportdesk.observability.views import metrics_view
from supportdesk.people.login_guard import AdminLoginForm, LoginForm

admin.site.login_form = AdminLoginForm  # logins checked one at a time per user (login_guard)

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
    path("accounts/login/", LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]

handler500 = "supportdesk.unavailable.server_error"  # 503 while the database is unreachable
