"""Who may see the incident page: anonymous visitors are sent to sign in, and back only to this site."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.asserts import assert_page_error
from tests.factories import AgentFactory

from .page_client import LIST, PAGE, text_of


def test_an_anonymous_visitor_is_sent_to_sign_in_with_the_page_as_next_and_sees_no_session(client, open_session):
    response = client.get(PAGE + "?requester_name=Hanako")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=" + quote("/incidents/INC-1001/?requester_name=Hanako", safe="/")
    sign_in = client.get(response["Location"])
    assert sign_in.status_code == 200
    assert open_session.code not in text_of(sign_in)
    assert 'name="next" value="/incidents/INC-1001/?requester_name=Hanako"' in text_of(sign_in)


def test_the_list_fragment_answers_401_to_an_anonymous_script(client, open_session):
    response = client.get(LIST)
    assert_page_error(response, status=401, code="not_authenticated")
    assert open_session.code not in text_of(response)


@pytest.fixture
def admin_with_password(db):
    return AgentFactory(username="admin.kato", password="a long pass phrase 42", is_staff=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/incidents/", "http:/\\evil.example"])
def test_signing_in_never_follows_next_to_another_site(client, admin_with_password, target):
    response = client.post(
        "/accounts/login/",
        {"username": "admin.kato", "password": "a long pass phrase 42", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_signing_in_follows_next_back_to_the_incident_page(client, admin_with_password):
    response = client.post(
        "/accounts/login/",
        {"username": "admin.kato", "password": "a long pass phrase 42", "next": PAGE + "?requester_name=Hanako"},
    )
    assert response["Location"] == PAGE + "?requester_name=Hanako"
    assert client.get(PAGE).status_code == 200


def test_a_wrong_password_shows_the_error_and_signs_nobody_in(client, admin_with_password):
    response = client.post("/accounts/login/", {"username": "admin.kato", "password": "wrong", "next": PAGE})
    assert response.status_code == 200
    assert 'role="alert"' in text_of(response)
    assert client.get(PAGE).status_code == 302
