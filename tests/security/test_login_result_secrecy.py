"""A resumed create's answer (it holds the supporter link, which joins the session as admin) is
ciphertext in the database and reaches only the browser of the agent the login was for."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import LoginFlowFactory
from tests.tokens_app.conftest import AUTH_CODE, CALLBACK_PATH, TOKEN_URL, token_body
from tokens_app import pending_actions
from tokens_app.models import LoginFlow

from .conftest import SUPPORTER_SECRET

LINK = f"https://start.teamviewer.test/s12345678?secret={SUPPORTER_SECRET}"
WEB_LINK = f"https://web.teamviewer.test/s12345678?secret={SUPPORTER_SECRET}-web"
RESULT = {"ok": True, "action": "create", "session": {"code": "s12-345-678", "supporter_link": LINK}}
KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
ACTION = "test_create_with_link"


def raw_result(flow: LoginFlow) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT result FROM tokens_app_loginflow WHERE id = %s", [flow.pk])
        return cursor.fetchone()[0]


def opener_message(response) -> dict:
    found = re.search(
        rb'<script id="opener-message" type="application/json">(.*?)</script>', response.content
    )
    assert found, "the done page carries no opener message"
    return json.loads(found.group(1))


@pytest.fixture
def one_key(settings):
    settings.ENCRYPTION_KEYS = [KEY]


def test_the_result_column_holds_no_plaintext_link(agent, one_key):
    flow = LoginFlowFactory(agent=agent, status=LoginFlow.Status.COMPLETED, result=RESULT)

    raw = raw_result(flow)

    assert SUPPORTER_SECRET not in raw and "s12-345-678" not in raw
    assert json.loads(Fernet(KEY.encode()).decrypt(raw.encode())) == RESULT
    assert LoginFlow.objects.get(pk=flow.pk).result == RESULT


def test_key_rotation_reencrypts_the_result_too(settings, agent, one_key):
    flow = LoginFlowFactory(agent=agent, status=LoginFlow.Status.COMPLETED, result=RESULT)
    settings.ENCRYPTION_KEYS = [NEW_KEY, KEY]
    out = StringIO()

    call_command("rotate_encryption_keys", stdout=out)

    assert json.loads(Fernet(NEW_KEY.encode()).decrypt(raw_result(flow).encode())) == RESULT
    settings.ENCRYPTION_KEYS = [NEW_KEY]
    assert LoginFlow.objects.get(pk=flow.pk).result == RESULT


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_results_stored_before_it(agent, one_key):
    executor = MigrationExecutor(connection)
    before, after = [("tokens_app", "0001_initial")], [("tokens_app", "0002_encrypt_login_flow_result")]
    try:
        executor.migrate(before)
        OldFlow = executor.loader.project_state(before).apps.get_model("tokens_app", "LoginFlow")
        old = OldFlow.objects.create(agent_id=agent.pk, status="completed", result=RESULT)
        empty = OldFlow.objects.create(agent_id=agent.pk)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert SUPPORTER_SECRET not in raw_result(old)
    assert LoginFlow.objects.get(pk=old.pk).result == RESULT
    assert LoginFlow.objects.get(pk=empty.pk).result == {}


# --- who the supporter link is shown to ---------------------------------------------------------


@pytest.fixture
def link_action():
    @pending_actions.register(ACTION)
    def _create(*, agent) -> dict:
        return {
            "session": {"code": "s12-345-678", "supporter_link": LINK, "webclient_supporter_link": WEB_LINK}
        }

    yield
    pending_actions._actions.pop(ACTION, None)


@pytest.fixture
def finish_login(client, tv, link_action):
    """Run a login through start and callback in ``client``; returns the done page."""
    tv.post(TOKEN_URL, json=token_body())

    def run(flow: LoginFlow, *, sign_in_before_callback=None):
        assert client.get(f"/oauth/teamviewer/start/{flow.flow_id}/").status_code == 302
        if sign_in_before_callback is not None:
            client.force_login(sign_in_before_callback)
        return client.get(CALLBACK_PATH, {"state": flow.state, "code": AUTH_CODE})

    return run


def test_the_done_page_gives_the_link_to_the_flows_own_signed_in_agent(client, agent, finish_login):
    client.force_login(agent)
    flow = LoginFlowFactory(agent=agent, action=ACTION)

    response = finish_login(flow)

    assert response.status_code == 200
    session = opener_message(response)["result"]["session"]
    assert (session["supporter_link"], session["webclient_supporter_link"]) == (LINK, WEB_LINK)
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_browser_not_signed_in_gets_the_outcome_without_the_link(client, agent, finish_login):
    flow = LoginFlowFactory(agent=agent, action=ACTION)

    response = finish_login(flow)

    assert response.status_code == 200
    message = opener_message(response)
    assert message["result"]["ok"] is True
    assert message["result"]["session"] == {
        "code": "s12-345-678",
        "supporter_link": None,
        "webclient_supporter_link": None,
    }
    assert SUPPORTER_SECRET not in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    # The agent still reads it where they are signed in.
    assert LoginFlow.objects.get(pk=flow.pk).result["session"]["supporter_link"] == LINK


def test_a_browser_signed_in_as_another_agent_gets_no_link(client, agent, staff, finish_login):
    flow = LoginFlowFactory(agent=agent, action=ACTION)

    response = finish_login(flow, sign_in_before_callback=staff)

    assert response.status_code == 200
    assert SUPPORTER_SECRET not in response.content.decode()


def test_the_flow_status_gives_the_link_only_to_the_flows_agent(client, agent, staff, one_key):
    flow = LoginFlowFactory(agent=agent, status=LoginFlow.Status.COMPLETED, result=RESULT)
    url = f"/oauth/teamviewer/flows/{flow.flow_id}/"

    client.force_login(staff)
    refused = client.get(url)
    client.force_login(agent)
    answered = client.get(url)

    assert refused.status_code == 404 and SUPPORTER_SECRET not in refused.content.decode()
    assert answered.json()["result"]["session"]["supporter_link"] == LINK
    assert "no-store" in answered["Cache-Control"]
