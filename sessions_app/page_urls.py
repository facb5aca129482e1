"""The incident page, mounted at ``incidents/``: the page, its list, its buttons, launch links."""
from django.urls import path, register_converter

from . import page_actions, views

app_name = "incidents"


class IncidentIdConverter:
    """One path segment of up to 64 printable characters, as the REST API's ``incident_id``."""

    regex = r"[^/\x00-\x1f\x7f]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(IncidentIdConverter, "incident")

urlpatterns = [
    path("<incident:incident_id>/", views.incident_page, name="page"),
    path("<incident:incident_id>/sessions/", views.incident_sessions, name="sessions"),
    # After the list, so an incident called "launch" keeps its list; any malformed token still
    # reaches the view and its clear "link not valid" page.
    path("launch/<str:token>/", views.launch, name="launch"),
    path("<incident:incident_id>/sessions/create/", page_actions.CreateAction.as_view(), name="create"),
    path(
        "<incident:incident_id>/sessions/<uuid:session_id>/email/",
        page_actions.EmailAction.as_view(),
        name="email",
    ),
    path(
        "<incident:incident_id>/sessions/<uuid:session_id>/join/",
        page_actions.JoinAction.as_view(),
        name="join",
    ),
    path(
        "<incident:incident_id>/sessions/<uuid:session_id>/close/",
        page_actions.CloseAction.as_view(),
        name="close",
    ),
]
