"""The project's URLs plus the baseline's, under ``bench/`` (never mounted in production)."""

from django.urls import include, path

from . import baseline

urlpatterns = [
    path("bench/baseline/create/", baseline.BaselineCreate.as_view(), name="bench-baseline-create"),
    path("bench/baseline/sessions/", baseline.BaselineSessions.as_view(), name="bench-baseline-sessions"),
    path("", include("csm_teamviewer.urls")),
]
