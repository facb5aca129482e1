from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = _("TeamViewer sessions")

    def ready(self) -> None:
        from . import login_actions, readings

        # tokens_app carries out "create" and "close" after a login.
        login_actions.register_actions()
        readings.register()  # what /metrics and /healthz/?deep=1 read from the sessions
