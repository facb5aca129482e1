"""The admin for agents' TeamViewer connections, pending logins, and the TeamViewer status panel
(the CSM sign-in and its status page: ``csm_admin.py``).

No token, refresh token, PKCE verifier, OAuth state or login link is ever on a page: the field
lists are allow-lists, and a login's stored result (which may hold a supporter link) is shown
only as its outcome.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.errors import ServiceError, TeamViewerLoginRequired
from csm_teamviewer.signed_in import StaffRequest

from .csm_admin import CsmTokenAdmin  # noqa: F401 - registers the CSM page beside these
from .login_result import LoginResult
from .models import LoginFlow, TeamViewerToken
from .services import token_disconnect, token_ping, token_status


@admin.register(TeamViewerToken)
class TeamViewerTokenAdmin(admin.ModelAdmin):
    list_display = ("agent", "connected", "account_name", "account_email", "expires_at", "updated_at")
    search_fields = ("agent__username", "account_name", "account_email")
    list_select_related = ("agent",)
    fields = (
        "agent",
        "connected",
        "account_name",
        "account_email",
        "account_user_id",
        "expires_at",
        "scope",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("disconnect",)

    def has_add_permission(self, request: HttpRequest, obj: TeamViewerToken | None = None) -> bool:
        return False  # only the agent's own TeamViewer login makes a connection

    def has_change_permission(self, request: HttpRequest, obj: TeamViewerToken | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: TeamViewerToken | None = None) -> bool:
        return False  # "disconnect" also revokes the token at TeamViewer

    def has_disconnect_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("tokens_app.delete_teamviewertoken")

    @admin.display(boolean=True, description=_("connected"))
    def connected(self, token: TeamViewerToken) -> bool:
        return token.can_refresh or not token.is_expired()

    @admin.action(description=_("Disconnect (revoke at TeamViewer and forget)"), permissions=("disconnect",))
    def disconnect(self, request: HttpRequest, queryset: QuerySet[TeamViewerToken]) -> None:
        agents = [token.agent for token in queryset.select_related("agent")]
        for agent in agents:
            token_disconnect(agent=agent)
        self.message_user(
            request, _("%(count)d agent(s) disconnected from TeamViewer.") % {"count": len(agents)}, messages.SUCCESS
        )

    def get_urls(self) -> list[URLPattern]:
        status = path(
            "status/", self.admin_site.admin_view(self.status_view), name="tokens_app_teamviewer_status"
        )
        return [status, *super().get_urls()]

    def status_view(self, request: StaffRequest) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("TeamViewer status"),
            "opts": self.model._meta,
            "sandbox": settings.TEAMVIEWER_SANDBOX,
            "client_id": settings.TEAMVIEWER_CLIENT_ID,
            "api_url": settings.TEAMVIEWER_API_URL,
            "authorize_url": settings.TEAMVIEWER_AUTHORIZE_URL,
            "redirect_uri": settings.TEAMVIEWER_REDIRECT_URI,
            "session_group": settings.TEAMVIEWER_SESSION_GROUP,
            "connection": token_status(agent=request.user),
            "ping": _ping(request),
        }
        return TemplateResponse(request, "admin/teamviewer_status.html", context)


def _ping(request: StaffRequest) -> dict[str, Any]:
    """Ping TeamViewer with the requesting admin's own token, if they have one."""
    if not TeamViewerToken.objects.filter(agent=request.user).exists():
        return {"state": "no_token", "message": _(
            "You have no TeamViewer connection, so the API was not pinged. Sign in to TeamViewer "
            "from an incident page first."
        )}
    try:
        accepted = token_ping(agent=request.user)
    except TeamViewerLoginRequired:
        return {"state": "refused", "message": _("TeamViewer no longer accepts your sign-in; sign in again.")}
    except ServiceError as exc:
        return {"state": "error", "message": f"{exc.detail} ({exc.code})"}
    if accepted:
        return {"state": "ok", "message": _("TeamViewer answered and accepted your token.")}
    return {"state": "refused", "message": _("TeamViewer answered but did not accept your token.")}


@admin.register(LoginFlow)
class LoginFlowAdmin(admin.ModelAdmin):
    list_display = ("agent", "action", "status", "outcome", "created_at", "expires_at", "used_at")
    list_filter = ("status", "action")
    search_fields = ("agent__username",)
    list_select_related = ("agent",)
    # Not the flow id (it is the one-time login link), state, verifier or the raw result.
    fields = ("agent", "action", "action_args", "status", "outcome", "created_at", "expires_at",
              "started_at", "used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: LoginFlow | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LoginFlow | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LoginFlow | None = None) -> bool:
        return False  # the cleanup purges them

    @admin.display(description=_("outcome"))
    def outcome(self, flow: LoginFlow) -> str:
        result = LoginResult.from_json(flow.result)
        return result.outcome if result else ""
