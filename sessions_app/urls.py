from django.urls import re_path

from . import apis, launch_link_api, login_apis

app_name = "sessions_api"

# The trailing slash is optional: Django's APPEND_SLASH would answer a POST without it with a
# redirect (or, with DEBUG on, an error), and a client following it turns the POST into a GET.
# A session id is any path segment, not only a UUID: a malformed id gets the API's JSON 404.
_ID = r"(?P<session_id>[^/]+)"

urlpatterns = [
    re_path(r"^sessions/?$", apis.SessionsApi.as_view(), name="sessions"),
    re_path(rf"^sessions/{_ID}/?$", apis.SessionDetailApi.as_view(), name="session-detail"),
    re_path(rf"^sessions/{_ID}/email/?$", apis.SessionEmailApi.as_view(), name="session-email"),
    re_path(rf"^sessions/{_ID}/join/?$", apis.SessionJoinApi.as_view(), name="session-join"),
    re_path(rf"^sessions/{_ID}/close/?$", apis.SessionCloseApi.as_view(), name="session-close"),
    re_path(r"^me/teamviewer/?$", apis.MyTeamViewerApi.as_view(), name="me-teamviewer"),
    re_path(r"^me/teamviewer/login/?$", login_apis.TeamViewerLoginApi.as_view(), name="me-teamviewer-login"),
    re_path(r"^login-flows/(?P<login_flow>[^/]+)/?$", login_apis.LoginFlowApi.as_view(), name="login-flow"),
    re_path(r"^launch/?$", launch_link_api.LaunchLinkApi.as_view(), name="launch"),
]
