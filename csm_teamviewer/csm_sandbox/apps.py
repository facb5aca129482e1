from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CsmSandboxConfig(AppConfig):
    name = "csm_teamviewer.csm_sandbox"
    label = "csm_sandbox"
    verbose_name = _("CSM sandbox")
    default_auto_field = "django.db.models.BigAutoField"
