"""Mounted at ``sandbox/csm/`` (``settings.CSM_SANDBOX_PATH``) while ``CSM_API_URL`` is unset.

``CherwellAPI/…`` stands for ``https://<csm host>/CherwellAPI/…``; CSM's paths ignore case.
"""
from django.urls import path, re_path

from . import api, pages

app_name = "csm_sandbox"

urlpatterns = [
    path("", pages.journals, name="journals"),
    re_path(r"^(?i:CherwellAPI/token)$", api.token, name="token"),
    re_path(r"^(?i:CherwellAPI/api/V1)/(?P<path>.+)$", api.operation, name="operation"),
]
