"""The incident page, mounted at ``incidents/``: the page, the fragments its list and buttons swap
in (``views``), and the page that spends a launch link (``launch_link_views``)."""
from django.urls import path, register_converter

from . import connection_views, launch_link_views, views

app_name = "incidents"


class IncidentIdConverter:
    """One path segment of up to 64 printable characters, as the REST API's ``incident_id``."""

    regex = r"[^/\x00-\x1f\x7f]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(IncidentIdConverter, "incident")

_SESSION = "<incident:incident_id>/sessions/<uuid:session_id>"

urlpatterns = [
    path("<incident:incident_id>/", views.incident_page, name="page"),
    path("<incident:incident_id>/sessions/", views.session_list_fragment, name="sessions"),
    # After the list, so an incident called "launch" keeps its list; any malformed token still
    # reaches the view and its clear "link not valid" page.
    path("launch/<str:token>/", launch_link_views.launch_link_open, name="launch"),
    path("<incident:incident_id>/sessions/create/", views.session_create_fragment, name="create"),
    path(f"{_SESSION}/email/", views.session_email_fragment, name="email"),
    path(f"{_SESSION}/join/", views.session_join_fragment, name="join"),
    path(f"{_SESSION}/join-web/", views.session_join_web_fragment, name="join_web"),
    path(f"{_SESSION}/close/", views.session_close_fragment, name="close"),
    path("<incident:incident_id>/logins/<str:flow_id>/", views.login_wait_fragment, name="login"),
    path("<incident:incident_id>/teamviewer/", connection_views.connection_fragment, name="teamviewer"),
    path("<incident:incident_id>/teamviewer/sign-in/", connection_views.sign_in_fragment, name="teamviewer_sign_in"),
    path(
        "<incident:incident_id>/teamviewer/disconnect/",
        connection_views.disconnect_fragment,
        name="teamviewer_disconnect",
    ),
]
