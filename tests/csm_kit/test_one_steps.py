"""CSM's part played exactly as the guide configures it: the web service from its tables, the API
key from a "stored value", bodies from "incident fields" filled into its templates, each one-step
branching on ``http_status`` and ``code`` as its recipe says, and every URL a one-step opens
opened in Chromium (the sign-in at the TeamViewer sandbox, the supporter link, the TeamViewer tab).
Screenshots of each step land in artifacts/screenshots/ (``{language}-csm-kit-…png``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from sessions_app.models import InvitationEmail, Session
from sessions_app.services.emails import invitation_send
from tests.browser.conftest import new_page, shoot, sign_in_at_sandbox
from tests.factories import AgentFactory, SessionFactory

from .conftest import sign_in_over_http
from .csm import Answer, CsmWebService

pytestmark = pytest.mark.browser

# The incident's fields the guide's placeholders name, as CSM would insert them.
INCIDENT = {
    "en": {
        "incident_id": "102522",
        "requester_name": "Hanako Yamada",
        "requester_email": "hanako@example.com",
    },
    "ja": {"incident_id": "102523", "requester_name": "山田 花子", "requester_email": "hanako@example.com"},
}
WORDS = {
    "en": {"signed_in": "Signed in to TeamViewer", "waiting": "Waiting for the customer", "closed": "Closed"},
    "ja": {"signed_in": "TeamViewer にサインインしました", "waiting": "お客様の接続待ち", "closed": "終了"},
}
LOGIN = "agent.sato"  # the current user's login ID, as the system function gives it


@dataclass
class Agent:
    """The agent at their CSM client: the one-steps they run and the browser CSM opens URLs in."""

    csm: CsmWebService
    context: Any
    language: str
    login: str = LOGIN

    def run(self, method: str, **tokens: str) -> Answer:
        return self.csm.call(method, login=self.login, **INCIDENT[self.language], **tokens)

    def open_url(self, url: str):
        """The one-step's "open a URL": a new browser window at that address."""
        page = self.context.new_page()
        page.goto(url)
        return page

    def shoot(self, page, name: str) -> None:
        shoot(page, f"csm-kit-{name}", self.language)


def _web_service(site, api_key: str, language: str) -> CsmWebService:
    return CsmWebService(
        url=f"{site.url}/",
        stored_values={"TeamViewer API Key": api_key},
        language=language,
        extra_headers={"Accept-Language": language},
    )


# --- the recipes of the guide's section 6 ---------------------------------------------------------


def open_the_tab(agent: Agent):
    """6.1: Launch; 201 → open ``url``."""
    answer = agent.run("Launch")
    assert answer["http_status"] == 201, answer.body
    return agent.open_url(answer["url"])


def sign_in(agent: Agent, answer: Answer, *, step: str = "create") -> None:
    """6.2 step 3: open ``authorize_url``; the agent signs in at TeamViewer."""
    page = agent.open_url(answer["authorize_url"])
    agent.shoot(page, f"1-{step}-sign-in")
    sign_in_at_sandbox(page)
    expect(page.locator("h1")).to_have_text(WORDS[agent.language]["signed_in"])
    agent.shoot(page, f"2-{step}-signed-in")
    page.close()


def create(agent: Agent) -> Answer:
    """6.2: Create; on 409 teamviewer_login_required sign in, learn the result, Create again."""
    answer = agent.run("Create")
    if answer["http_status"] in (200, 201):
        return answer
    assert (answer["http_status"], answer["code"]) == (409, "teamviewer_login_required"), answer.body
    sign_in(agent, answer)
    status = agent.run("Sign-in status", login_flow=answer["login_flow"])
    assert (status["http_status"], status["status"]) == (200, "completed"), status.body
    again = agent.run("Create")
    assert again["http_status"] == 200 and again["id"] == status["session.id"], again.body
    return again


def find_session(agent: Agent) -> str:
    """6.3 step 1: the incident's newest session."""
    found = agent.run("Find session")
    assert found["http_status"] == 200 and found["count"] >= 1, found.body
    return found["results[0].id"]


def send_email(agent: Agent) -> Answer:
    """6.3: Find session, Email."""
    return agent.run("Email", session_id=find_session(agent))


def join(agent: Agent):
    """6.4: Find session, Join; 200 → open ``supporter_link``."""
    answer = agent.run("Join", session_id=find_session(agent))
    assert answer["http_status"] == 200, answer.body
    return agent.open_url(answer["supporter_link"])


def close(agent: Agent) -> Answer:
    """6.5: Find session, Close."""
    answer = agent.run("Close", session_id=find_session(agent))
    assert answer["http_status"] == 200, answer.body
    return answer


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_guides_one_steps_create_sign_in_email_join_and_close(chromium, site, api_key, language):
    incident = INCIDENT[language]
    context, _page = new_page(chromium, language=language)
    agent = Agent(_web_service(site, api_key, language), context, language)
    try:
        connection = agent.run("Connection")
        assert (connection["http_status"], connection["connected"]) == (200, False)

        created = create(agent)
        session = Session.objects.get()
        assert (created["id"], created["code"]) == (str(session.pk), session.code)
        assert (session.incident_id, session.requester_name) == (
            incident["incident_id"],
            incident["requester_name"],
        )
        assert session.agent.username == LOGIN
        assert agent.run("Connection")["connected"] is True

        emailed = send_email(agent)
        assert (emailed["http_status"], emailed["email_status"]) == (202, "queued")
        for email in InvitationEmail.objects.filter(session=session):
            assert invitation_send(email_id=email.pk).outcome == "sent"
        assert {m.to[0] for m in mail.outbox} == {incident["requester_email"]}
        assert all(session.end_customer_link in m.body for m in mail.outbox)

        supporter = join(agent)
        supporter.wait_for_url(re.compile(r"/sandbox/teamviewer/support/"))
        agent.shoot(supporter, "3-joined-as-admin")

        tab = open_the_tab(agent)
        card = tab.locator(f"#session-{session.pk}")
        expect(card.locator(".badge")).to_have_text(WORDS[language]["waiting"])
        expect(card).to_contain_text(incident["requester_name"])
        agent.shoot(tab, "4-teamviewer-tab")

        closed = close(agent)
        assert closed["state"] == "closed"
        tab.reload()
        expect(card.locator(".badge")).to_have_text(WORDS[language]["closed"])
        agent.shoot(tab, "5-closed")

        again = send_email(agent)
        assert (again["http_status"], again["code"]) == (409, "session_closed")
        assert [status for _method, status in agent.csm.calls] == [200] * len(agent.csm.calls)
    finally:
        context.close()


def test_the_connect_one_step_signs_in_with_nothing_to_carry_out(chromium, site, api_key):
    context, _page = new_page(chromium)
    agent = Agent(_web_service(site, api_key, "en"), context, "en")
    try:
        assert agent.run("Connection")["connected"] is False
        started = agent.run("Connect")
        assert started["http_status"] == 200
        sign_in(agent, started, step="connect")
        status = agent.run("Sign-in status", login_flow=started["login_flow"])
        assert (status["status"], status.body["action"], status.body["session"]) == ("completed", None, None)
        assert agent.run("Connection")["connected"] is True
        assert not Session.objects.exists()
    finally:
        context.close()


# --- branches the guide names, without a browser ----------------------------------------------


def test_a_full_name_instead_of_the_login_is_refused_as_the_guide_says(site, api_key):
    answer = _web_service(site, api_key, "en").call("Connection", login="Jane Doe")
    assert (answer["http_status"], answer["code"]) == (401, "not_authenticated")
    assert "X-CSM-User must name the CSM login" in answer["detail"]


def test_a_quote_in_an_incident_field_breaks_the_body_into_a_parse_error(site, api_key):
    fields = {**INCIDENT["en"], "requester_name": 'Hanako "Hana" Yamada'}
    answer = _web_service(site, api_key, "en").call("Create", login=LOGIN, **fields)
    assert (answer["http_status"], answer["code"]) == (400, "invalid")
    assert "JSON parse error" in answer["detail"]


def test_without_the_content_type_parameter_the_body_is_refused(site, api_key):
    csm = _web_service(site, api_key, "en")
    csm.extra_headers["Content-Type"] = "text/plain"
    answer = csm.call("Create", login=LOGIN, **INCIDENT["en"])
    assert (answer["http_status"], answer["code"]) == (415, "unsupported_media_type")


def test_accept_language_ja_makes_the_detail_japanese(site, api_key):
    csm = _web_service(site, api_key, "ja")
    csm.stored_values["TeamViewer API Key"] = "not-the-key"
    answer = csm.call("Connection", login=LOGIN)
    assert (answer["http_status"], answer["code"]) == (401, "not_authenticated")
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", answer["detail"]), answer["detail"]


def test_another_agents_session_cannot_be_joined(site, api_key):
    session = SessionFactory(agent=AgentFactory(username="agent.tanaka"), incident_id="102522")
    answer = _web_service(site, api_key, "en").call("Join", login=LOGIN, session_id=str(session.pk))
    assert (answer["http_status"], answer["code"]) == (403, "permission_denied")


def test_an_incident_without_a_customer_email_gets_a_session_and_no_invitation(site, api_key):
    fields = {**INCIDENT["en"], "requester_email": ""}
    csm = _web_service(site, api_key, "en")
    started = csm.call("Create", login=LOGIN, **fields)
    sign_in_over_http(started["authorize_url"])
    answer = csm.call("Create", login=LOGIN, **fields)
    assert answer["http_status"] == 200
    session = Session.objects.get(pk=answer["id"])
    assert (session.requester_email, session.email_status) == ("", "not_sent")
    assert not InvitationEmail.objects.exists()
