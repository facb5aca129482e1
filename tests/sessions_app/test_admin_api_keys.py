"""API keys in the admin: a new key is shown once, the form asks only for a name, revoke works."""

from __future__ import annotations

from django.urls import reverse

from sessions_app.models import ApiKey
from sessions_app.services.api_keys import api_key_authenticate, api_key_create
from tests.admin_actions import admin_action_post, admin_messages


def test_new_api_key_is_shown_once_and_works(admin_client):
    response = admin_client.post(reverse("admin:sessions_app_apikey_add"), {"name": "CSM staging"}, follow=True)

    api_key = ApiKey.objects.get(name="CSM staging")
    [key_message] = [m for m in admin_messages(response) if "The new API key is" in m]
    key = key_message.split("<code>")[1].split("</code>")[0]
    assert key.startswith("csmtv_") and api_key_authenticate(key=key) == api_key
    html = response.content.decode()
    assert html.count(key) == 1 and api_key.digest not in html

    later = admin_client.get(reverse("admin:sessions_app_apikey_change", args=[api_key.pk])).content.decode()
    assert key not in later and api_key.digest not in later
    assert key not in admin_client.get(reverse("admin:sessions_app_apikey_changelist")).content.decode()


def test_api_key_add_form_asks_only_for_a_name(admin_client):
    form = admin_client.get(reverse("admin:sessions_app_apikey_add")).context["adminform"].form

    assert list(form.fields) == ["name"]


def test_revoke_action_revokes_keys_through_the_service(admin_client, db):
    api_key, key = api_key_create(name="old")

    admin_action_post(admin_client, ApiKey, "revoke", [api_key])

    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_key_authenticate(key=key) is None
