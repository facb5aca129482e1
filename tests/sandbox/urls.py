"""The sandbox mounted where the project mounts it, whatever the settings say about TeamViewer."""
from django.urls import include, path

urlpatterns = [path("sandbox/teamviewer/", include("csm_teamviewer.sandbox.urls"))]
