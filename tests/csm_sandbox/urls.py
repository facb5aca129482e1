"""The CSM sandbox mounted where the project mounts it, whatever the settings say about CSM."""
from django.urls import include, path

urlpatterns = [path("sandbox/csm/", include("csm_teamviewer.csm_sandbox.urls"))]
