from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    name = "csm_teamviewer.sandbox"
    label = "sandbox"
    verbose_name = _("TeamViewer sandbox")
    default_auto_field = "django.db.models.BigAutoField"
