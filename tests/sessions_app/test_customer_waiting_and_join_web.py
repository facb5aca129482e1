"""What CSM and the page learn of a customer waiting, and joining in the browser.

``customer_waiting_since`` in the session body, ``?customer_waiting=`` on the list (and both in the
OpenAPI document); the join's ``webclient_supporter_link`` where TeamViewer gave one; the page's
"The customer is waiting — Join now" and "Join in browser".
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import Session
from tests.asserts import assert_error
from tests.factories import SessionFactory

from .conftest import API
from .page_client import LIST, PAGE, text_of

URL = f"{API}/sessions/"
WEB_LINK = "https://login.teamviewer.test/s10-000-001?secret=webclient"


def waiting_session(agent, code: str = "s10-000-001", **fields) -> Session:
    since = timezone.now() - timedelta(minutes=2)
    return SessionFactory(
        agent=agent, code=code, state=Session.State.ACTIVE, customer_waiting_since=since, **fields
    )


def listed_codes(api, **params) -> list[str]:
    response = api.get(URL, params)
    assert response.status_code == 200, response.content
    return [session["code"] for session in response.json()["results"]]


# --- the list's filter and the body ------------------------------------------------------------


def test_the_filter_lists_only_live_sessions_whose_customer_is_online(api, agent):
    waiting_session(agent, "s10-000-001")
    SessionFactory(agent=agent, code="s10-000-002", incident_id="INC-3")  # still waiting for the customer
    closed = waiting_session(agent, "s10-000-003", incident_id="INC-2")
    Session.objects.filter(pk=closed.pk).update(state=Session.State.CLOSED, closed_at=timezone.now())

    assert listed_codes(api, customer_waiting="true") == ["s10-000-001"]
    assert sorted(listed_codes(api, customer_waiting="false")) == ["s10-000-002", "s10-000-003"]
    assert sorted(listed_codes(api)) == ["s10-000-001", "s10-000-002", "s10-000-003"]
    assert sorted(listed_codes(api, customer_waiting="")) == ["s10-000-001", "s10-000-002", "s10-000-003"]


def test_the_filter_combines_with_the_incident(api, agent):
    waiting_session(agent, "s10-000-001")
    waiting_session(agent, "s10-000-002", incident_id="INC-2")
    assert listed_codes(api, customer_waiting="1", incident_id="INC-2") == ["s10-000-002"]


def test_a_filter_value_that_is_no_boolean_is_refused_naming_the_field(api):
    response = api.get(URL, {"customer_waiting": "maybe"})
    assert_error(response, status=400, code="invalid")
    assert "customer_waiting" in response.json()["errors"]


def test_the_body_says_since_when_the_customer_waits(api, agent):
    session = waiting_session(agent)
    (body,) = api.get(URL, {"customer_waiting": "true"}).json()["results"]
    assert body["state"] == "active"
    assert body["customer_waiting_since"] == session.customer_waiting_since.isoformat().replace("+00:00", "Z")


def test_the_openapi_document_names_the_filter_and_the_new_fields(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    listing = schema["paths"]["/api/v1/sessions/"]["get"]
    assert "customer_waiting" in {parameter["name"] for parameter in listing["parameters"]}
    components = schema["components"]["schemas"]
    assert "customer_waiting_since" in components["Session"]["properties"]
    assert "webclient_supporter_link" in components["SupporterLink"]["properties"]
    assert {"account_name", "account_email"} <= set(components["TeamViewerConnection"]["properties"])


# --- join in the browser ------------------------------------------------------------------------


def test_join_adds_the_web_client_link_where_teamviewer_gave_one(api, agent):
    session = SessionFactory(agent=agent, code="s10-000-001", webclient_supporter_link=WEB_LINK)
    body = api.post(f"{URL}{session.pk}/join/").json()
    assert body == {"supporter_link": session.supporter_link, "webclient_supporter_link": WEB_LINK}


def test_join_without_a_web_client_link_answers_the_supporter_link_alone(api, agent):
    session = SessionFactory(agent=agent, code="s10-000-001", webclient_supporter_link="")
    assert api.post(f"{URL}{session.pk}/join/").json() == {"supporter_link": session.supporter_link}


def test_another_agent_gets_neither_link(other_api, agent):
    session = SessionFactory(agent=agent, webclient_supporter_link=WEB_LINK)
    response = other_api.post(f"{URL}{session.pk}/join/")
    assert_error(response, status=403, code="permission_denied")
    assert WEB_LINK not in response.content.decode()


def test_the_page_offers_join_in_browser_only_where_there_is_a_web_client_link(
    signed_in, agent, other_agent, staff, client
):
    staff_client = client.__class__()
    staff_client.force_login(staff)
    with_link = SessionFactory(agent=agent, code="s10-000-001", webclient_supporter_link=WEB_LINK)
    without = SessionFactory(agent=other_agent, code="s10-000-002", webclient_supporter_link="")
    staff_page = text_of(staff_client.get(PAGE))  # staff may join both: only one has the link
    assert f'id="join-web-{with_link.pk}"' in staff_page and f'id="join-{without.pk}"' in staff_page
    assert f'id="join-web-{without.pk}"' not in staff_page
    page = text_of(signed_in.get(PAGE))
    assert f'id="join-web-{with_link.pk}"' in page and "Join in browser" in page
    assert f'id="join-web-{without.pk}"' not in page
    assert WEB_LINK not in page  # handed out by the join only, audited


def test_the_pages_join_in_browser_hands_out_the_web_client_link_audited(page, agent):
    session = SessionFactory(agent=agent, webclient_supporter_link=WEB_LINK)
    response = page.post(f"{LIST}{session.pk}/join-web/")
    assert response.status_code == 200
    assert WEB_LINK in response["HX-Trigger-After-Settle"]
    assert "web client" in text_of(response)
    event = AuditEvent.objects.get(action=AuditEvent.Action.JOIN)
    assert (event.session_id, event.outcome, event.detail, event.via) == (
        session.pk,
        "ok",
        "web client",
        "page",
    )


def test_the_pages_join_in_browser_without_a_link_says_so(page, agent):
    session = SessionFactory(agent=agent, webclient_supporter_link="")
    response = page.post(f"{LIST}{session.pk}/join-web/")
    assert response.status_code == 409
    assert "join as admin instead" in text_of(response)


def test_the_pages_join_in_browser_is_refused_to_another_agent(other_page, agent):
    session = SessionFactory(agent=agent, webclient_supporter_link=WEB_LINK)
    response = other_page.post(f"{LIST}{session.pk}/join-web/")
    assert response.status_code == 403
    assert WEB_LINK not in text_of(response)


# --- the page's customer-waiting row --------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said", "button"),
    [("en", "The customer is waiting", "Join now"), ("ja", "お客様が待っています", "今すぐ参加")],
)
def test_a_waiting_customer_is_said_with_join_now_for_the_sessions_agent(
    signed_in, agent, language, said, button
):
    session = waiting_session(agent)
    page = text_of(signed_in.get(PAGE, HTTP_ACCEPT_LANGUAGE=language))
    assert said in page and button in page
    assert f'data-customer-waiting="{session.pk}"' in page
    assert f'id="join-{session.pk}"' in page


def test_another_agents_waiting_customer_is_said_but_not_counted_as_the_viewers(client, agent, other_agent):
    session = waiting_session(agent)
    client.force_login(other_agent)
    page = text_of(client.get(PAGE))
    assert "The customer is waiting" in page
    assert "data-customer-waiting" not in page and f'id="join-{session.pk}"' not in page


def test_the_list_polls_slower_while_hidden_as_configured(signed_in, agent, settings):
    settings.SESSION_SYNC_SECONDS, settings.SESSION_HIDDEN_POLL_SECONDS = 7, 45
    SessionFactory(agent=agent)
    assert 'data-hidden-poll-seconds="45"' in text_of(signed_in.get(PAGE))
    settings.SESSION_HIDDEN_POLL_SECONDS = 3  # never faster than the visible pace
    assert 'data-hidden-poll-seconds="7"' in text_of(signed_in.get(PAGE))
