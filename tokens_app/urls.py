from django.urls import path

from . import views

app_name = "tokens"

urlpatterns = [
    path("start/<str:flow_id>/", views.login_start, name="login-start"),
    path("callback/", views.login_callback, name="login-callback"),
    path("flows/<str:flow_id>/", views.login_flow_status, name="login-flow-status"),
]
