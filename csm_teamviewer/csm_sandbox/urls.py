"""Mounted at ``sandbox/csm/`` (``settings.CSM_SANDBOX_PATH``) while ``CSM_API_URL`` is unset.

``CherwellAPI/…`` stands for ``https://<csm host>/CherwellAPI/…``; CSM's paths ignore case.
"""
from django.urls import path

from . import api, pages

app_name = "csm_sandbox"

urlpatterns = [
    path("", pages.journals, name="journals"),
    path("<path:path>", api.cherwell_api, name="api"),
]
