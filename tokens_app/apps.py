from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TokensAppConfig(AppConfig):
    name = "tokens_app"
    verbose_name = _("TeamViewer connections")

    def ready(self) -> None:
        from . import readings, receivers

        receivers.connect()
        readings.register()
