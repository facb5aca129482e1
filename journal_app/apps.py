from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JournalConfig(AppConfig):
    name = "journal_app"
    verbose_name = _("CSM journal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import readings

        readings.register()
