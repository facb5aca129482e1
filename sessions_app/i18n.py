"""The incident page script's words, translated on the server (Django's i18n) and handed over
with the page, so the script itself holds no language."""
from __future__ import annotations

from django.utils.translation import gettext as _


def page_texts() -> dict[str, str]:
    return {
        "working": _("Working…"),
        "created": _("Session %(code)s created."),
        "createdEmail": _("Session %(code)s created. The invitation email to %(email)s is on its way."),
        "existing": _("You already have an open session for this incident: %(code)s."),
        "emailQueued": _("The invitation email for session %(code)s is on its way."),
        "joined": _("The supporter link of session %(code)s opened in a new window."),
        "joinBlocked": _("Your browser blocked the new window. Open the supporter link here:"),
        "joinLink": _("Join session %(code)s"),
        "closed": _("Session %(code)s closed."),
        "customerConnected": _("The customer has connected to session %(code)s."),
        "loginWaiting": _("Sign in to TeamViewer in the pop-up window. The action carries on by itself afterwards."),
        "loginBlocked": _("Your browser blocked the TeamViewer sign-in window. Use this link instead:"),
        "loginLink": _("Sign in to TeamViewer"),
        "stopWaiting": _("Stop waiting"),
        "stopped": _("Stopped waiting for the TeamViewer sign-in. Nothing was done."),
        "loginRefused": _("The TeamViewer sign-in was refused, so nothing was done."),
        "loginFailed": _("The TeamViewer sign-in did not complete, so nothing was done."),
        "loginExpired": _("The TeamViewer sign-in took too long, so nothing was done. Try again."),
        "rateLimited": _("TeamViewer is limiting requests. Try again in %(seconds)s seconds."),
        "network": _("The server could not be reached. Check the connection and try again."),
        "unexpected": _("Something went wrong. Reload the page and try again."),
    }
