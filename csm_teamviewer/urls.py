from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import health, views
from .frame_policy import frameable_by_csm
from .observability.exposition import metrics

urlpatterns = [
    path("healthz/", health.healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("oauth/teamviewer/", include("tokens_app.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("sessions_app.urls")),
    path("incidents/", include("sessions_app.page_urls")),
    # An agent who opens the incident page in CSM's frame signs in there too.
    path(
        "accounts/login/",
        frameable_by_csm(auth_views.LoginView.as_view()),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", views.home, name="home"),
]

if settings.TEAMVIEWER_SANDBOX:
    urlpatterns.append(path(f"{settings.SANDBOX_PATH}/", include("csm_teamviewer.sandbox.urls")))
if settings.CSM_SANDBOX:
    urlpatterns.append(path(f"{settings.CSM_SANDBOX_PATH}/", include("csm_teamviewer.csm_sandbox.urls")))

handler400 = "csm_teamviewer.error_responses.bad_request"
handler403 = "csm_teamviewer.error_responses.permission_denied"
handler404 = "csm_teamviewer.error_responses.not_found"
handler500 = "csm_teamviewer.error_responses.server_error"
