"""Mounted at ``sandbox/teamviewer/`` (``settings.SANDBOX_PATH``) while the sandbox is on.

Paths mirror TeamViewer's: ``oauth2/authorize`` stands for https://login.teamviewer.com/oauth2/authorize
and ``api/v1/…`` for https://webapi.teamviewer.com/api/v1/….
"""
from django.urls import path

from .views import api, control, oauth, pages

app_name = "sandbox"

urlpatterns = [
    path("oauth2/authorize", oauth.authorize, name="authorize"),
    path("api/v1/oauth2/token", oauth.token, name="token"),
    # The swagger spells it OAuth2; TeamViewer's routes ignore case (API notes §1.3).
    path("api/v1/OAuth2/token", oauth.token, name="token-swagger-case"),
    path("api/v1/oauth2/revoke", oauth.revoke, name="revoke"),
    path("api/v1/OAuth2/revoke", oauth.revoke, name="revoke-swagger-case"),
    path("api/v1/ping", api.ping, name="ping"),
    path("api/v1/account", api.account, name="account"),
    path("api/v1/sessions", api.session_collection, name="sessions"),
    path("api/v1/sessions/<str:code>", api.session_detail, name="session-detail"),
    path("api/v1/reports/connections", api.connection_reports, name="connection-reports"),
    path("api/v1/reports/connections/<str:report_id>", api.connection_report_detail, name="connection-report"),
    path("join/<str:code>", pages.join, name="join"),
    path("support/<str:link>", pages.support, name="support"),
    # The sandbox's own: not TeamViewer's API, what a customer does on their side.
    path("control/sessions/", control.control_sessions, name="control"),
    path("control/sessions/<str:code>/customer-online", control.customer_online, name="customer-online"),
]
