"""The admin for the people who run the service: sessions, API keys, the email outbox.

Everything here is read-only except API key names and the invitation wording; changes go through
the same services as the REST API (close, resend, retry, revoke), so they are audited alike.
Secrets never reach a page: supporter links and key digests are in no field list, and a new API
key is shown once, in the message that follows its creation.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.errors import ServiceError
from csm_teamviewer.read_only_admin import ReadOnlyAdmin
from csm_teamviewer.signed_in import StaffRequest

from .dashboard.view import dashboard_view
from .invitation_placeholders import PLACEHOLDER_NAMES
from .models import ApiKey, InvitationEmail, InvitationTemplate, Session, SessionConnection
from .services.api_keys import api_key_create, api_key_revoke
from .services.emails import invitation_retry
from .services.invitation_templates import invitation_template_delete, invitation_template_save
from .services.sessions import session_close, session_email

VIA = "admin"


def _error_message(exc: ServiceError) -> str:
    if exc.code == "teamviewer_login_required":
        where = exc.extra.get("authorize_url")
        return f"login required: {where}" if where else f"login required: {exc.detail}"
    return f"{exc.detail} ({exc.code})"


def _user(request: HttpRequest) -> User | None:
    """Who the admin page acts as, for the audit (always a signed-in staff user here)."""
    return request.user if isinstance(request.user, User) else None


# --- sessions -----------------------------------------------------------------------------------


class InvitationEmailInline(admin.TabularInline):
    model = InvitationEmail
    fields = ("to", "language", "status", "attempts", "last_error", "next_attempt_at", "sent_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return False


class SessionConnectionInline(admin.TabularInline):
    model = SessionConnection
    fields = ("start", "end", "duration_seconds", "supporter", "device", "notes", "report_id")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return False

    @admin.display(description=_("device"))
    def device(self, connection: SessionConnection) -> str:
        return connection.device


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = (
        "incident_id", "code", "state", "agent", "requester_name", "requester_email",
        "email_status", "valid_until", "created_at",
    )
    list_filter = ("state", ("agent", admin.RelatedOnlyFieldListFilter), "email_status")
    search_fields = ("incident_id", "code")
    list_select_related = ("agent",)
    date_hierarchy = "created_at"
    # An allow-list: the supporter links (secrets) are not among them.
    fields = (
        "incident_id", "code", "state", "agent", "end_customer_link", "requester_name",
        "requester_email", "description", "language", "valid_until", "created_at", "updated_at",
        "closed_at", "email_status", "email_sent_at", "customer_waiting_since", "connections_count",
        "connections_final", "connections_fetched_at", "connections_attempts", "connections_due_at",
        "connections_error",
    )
    readonly_fields = fields
    inlines = (SessionConnectionInline, InvitationEmailInline)
    actions = ("close_sessions", "resend_invitations")

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.dashboard)
        return [path("dashboard/", view, name="sessions_app_dashboard"), *super().get_urls()]

    def dashboard(self, request: StaffRequest) -> HttpResponse:
        return dashboard_view(request, admin_site=self.admin_site)

    def has_operate_permission(self, request: HttpRequest) -> bool:
        # Closing and resending change sessions: the change permission, though no form changes them.
        return request.user.has_perm("sessions_app.change_session")

    @admin.action(description=_("Close at TeamViewer and here"), permissions=("operate",))
    def close_sessions(self, request: StaffRequest, queryset: QuerySet[Session]) -> None:
        for session in queryset.select_related("agent"):
            try:
                session_close(session=session, actor=request.user, via=VIA)
            except ServiceError as exc:
                self.message_user(request, f"{session}: {_error_message(exc)}", messages.ERROR)
            else:
                self.message_user(request, _("%(session)s: %(state)s.") % {
                    "session": session, "state": session.get_state_display()}, messages.SUCCESS)

    @admin.action(description=_("Resend the invitation email"), permissions=("operate",))
    def resend_invitations(self, request: StaffRequest, queryset: QuerySet[Session]) -> None:
        for session in queryset.select_related("agent"):
            try:
                email = session_email(session=session, actor=request.user, via=VIA)
            except ServiceError as exc:
                self.message_user(request, f"{session}: {_error_message(exc)}", messages.ERROR)
            else:
                self.message_user(request, _("%(session)s: invitation queued to %(to)s.") % {
                    "session": session, "to": email.to}, messages.SUCCESS)


@admin.register(SessionConnection)
class SessionConnectionAdmin(ReadOnlyAdmin):
    list_display = ("incident", "code", "start", "end", "duration_seconds", "supporter", "device", "short_notes")
    search_fields = ("session__incident_id", "session__code", "supporter", "device_name", "device_id")
    list_select_related = ("session",)
    date_hierarchy = "start"
    fields = (
        "session", "report_id", "start", "end", "duration_seconds", "supporter", "device_name", "device_id",
        "notes", "fetched_at",
    )
    readonly_fields = fields

    @admin.display(description=_("incident"), ordering="session__incident_id")
    def incident(self, connection: SessionConnection) -> str:
        return connection.session.incident_id

    @admin.display(description=_("session code"), ordering="session__code")
    def code(self, connection: SessionConnection) -> str:
        return connection.session.code

    @admin.display(description=_("device"))
    def device(self, connection: SessionConnection) -> str:
        return connection.device

    @admin.display(description=_("notes"))
    def short_notes(self, connection: SessionConnection) -> str:
        return Truncator(connection.notes).chars(60)


# --- the email outbox and its wording -----------------------------------------------------------


@admin.register(InvitationEmail)
class InvitationEmailAdmin(ReadOnlyAdmin):
    list_display = (
        "incident", "to", "language", "status", "attempts", "short_error", "next_attempt_at",
        "sent_at", "created_at",
    )
    list_filter = ("status", "language")
    search_fields = ("to", "session__incident_id", "session__code")
    list_select_related = ("session",)
    fields = (
        "session", "to", "language", "status", "attempts", "last_error", "requested_by",
        "created_at", "next_attempt_at", "claimed_until", "sent_at",
    )
    readonly_fields = fields
    actions = ("retry_now",)

    @admin.display(description=_("incident"), ordering="session__incident_id")
    def incident(self, email: InvitationEmail) -> str:
        return email.session.incident_id

    @admin.display(description=_("last error"))
    def short_error(self, email: InvitationEmail) -> str:
        return Truncator(email.last_error).chars(80)

    def has_operate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sessions_app.change_invitationemail")

    @admin.action(description=_("Retry now"), permissions=("operate",))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[InvitationEmail]) -> None:
        queued = sum(invitation_retry(email=email) for email in queryset)
        skipped = len(queryset) - queued
        self.message_user(request, _("%(queued)d invitation(s) queued again.") % {"queued": queued}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                _("%(skipped)d left alone: sent already, or being sent right now.") % {"skipped": skipped},
                messages.WARNING,
            )


@admin.register(InvitationTemplate)
class InvitationTemplateAdmin(admin.ModelAdmin):
    list_display = ("language", "is_active", "subject", "updated_at")
    fieldsets = (
        (None, {
            "fields": ("language", "is_active", "subject", "text_body", "html_body"),
            "description": _(
                "Replaces the built-in invitation for this language. Placeholders: %(names)s. "
                "Values are inserted as text (escaped in the HTML body)."
            ) % {"names": ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDER_NAMES)},
        }),
    )

    def save_model(
        self, request: HttpRequest, obj: InvitationTemplate, form: ModelForm[InvitationTemplate], change: bool
    ) -> None:
        invitation_template_save(template=obj, actor=_user(request), changed=list(form.changed_data) if change else [])

    def delete_model(self, request: HttpRequest, obj: InvitationTemplate) -> None:
        invitation_template_delete(template=obj, actor=_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[InvitationTemplate]) -> None:
        for template in queryset:
            invitation_template_delete(template=template, actor=_user(request))


# --- API keys and the audit ---------------------------------------------------------------------


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "is_active", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    actions = ("revoke",)

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("name",)
        return ("name", "prefix", "created_at", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        return () if obj is None else ("prefix", "created_at", "last_used_at", "revoked_at")

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False  # revoke instead: the record of a key stays

    def save_model(self, request: HttpRequest, obj: ApiKey, form: ModelForm[ApiKey], change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        api_key, key = api_key_create(name=obj.name, actor=_user(request), via="admin")
        obj.__dict__.update({field.attname: getattr(api_key, field.attname) for field in ApiKey._meta.concrete_fields})
        obj._state.adding = False
        self.message_user(
            request,
            format_html(
                "{} <code>{}</code><br>{}",
                _("The new API key is:"),
                key,
                _("Copy it now: only its hash is stored, and it will not be shown again."),
            ),
            messages.WARNING,
        )

    @admin.display(boolean=True, description=_("active"))
    def is_active(self, api_key: ApiKey) -> bool:
        return api_key.is_active

    @admin.action(description=_("Revoke"), permissions=("change",))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key, actor=_user(request), via="admin")
        self.message_user(request, _("%(count)d key(s) revoked.") % {"count": len(queryset)}, messages.SUCCESS)
