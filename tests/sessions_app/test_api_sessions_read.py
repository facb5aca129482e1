from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from csm_teamviewer import crypto
from sessions_app.models import Session
from sessions_app.serializers import SessionSerializer
from sessions_app.session_body import session_data, session_list_data, session_list_values
from tests.asserts import assert_error
from tests.factories import SessionFactory

from .conftest import API

URL = f"{API}/sessions/"


def test_list_filters_by_incident_and_state_newest_first(api, agent, other_agent):
    now = timezone.now()
    older = SessionFactory(agent=agent, created_at=now - timedelta(hours=2), state="closed", code="s10-000-001")
    newer = SessionFactory(agent=other_agent, created_at=now - timedelta(hours=1), code="s10-000-002")
    SessionFactory(agent=agent, incident_id="INC-OTHER", code="s10-000-003")
    body = api.get(URL, {"incident_id": "INC-1001"}).json()
    assert body["count"] == 2
    assert [s["id"] for s in body["results"]] == [str(newer.pk), str(older.pk)]
    closed = api.get(URL, {"incident_id": "INC-1001", "state": "closed"}).json()
    assert [s["id"] for s in closed["results"]] == [str(older.pk)]


def test_list_never_shows_a_reservation_still_being_created(api, agent):
    SessionFactory(agent=agent, state=Session.State.CREATING, code="")
    assert api.get(URL).json()["count"] == 0


def test_other_agents_sessions_are_listed_without_their_supporter_link(api, agent, other_agent):
    SessionFactory(agent=agent, code="s10-000-001")
    SessionFactory(agent=other_agent, code="s10-000-002")
    links = {s["code"]: s["supporter_link"] for s in api.get(URL).json()["results"]}
    assert links["s10-000-001"].startswith("https://start.teamviewer.test/")
    assert links["s10-000-002"] is None


def test_staff_see_every_supporter_link(staff_api, agent, other_agent):
    SessionFactory(agent=agent, code="s10-000-001")
    SessionFactory(agent=other_agent, code="s10-000-002")
    assert all(s["supporter_link"] for s in staff_api.get(URL).json()["results"])


def test_list_is_paginated(api, agent):
    for number in range(5):
        SessionFactory(agent=agent, incident_id=f"INC-{number}", code=f"s10-000-00{number}")
    page = api.get(URL, {"limit": 2, "offset": 2}).json()
    assert page["count"] == 5
    assert len(page["results"]) == 2
    assert page["next"] and page["previous"]
    assert len(api.get(URL, {"limit": 100}).json()["results"]) == 5
    assert api.get(URL, {"offset": 2**31 - 1}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "count", "shown", "links"),
    [
        ({"limit": 2, "offset": 4}, 5, 1, (False, True)),  # a short last page: counted from the page
        ({"limit": 5}, 5, 5, (False, False)),  # a full page with nothing after it: from the page too
        ({"limit": 4}, 5, 4, (True, False)),  # a row after the page: counted by the database
        ({"limit": 2, "offset": 5}, 5, 0, (False, True)),  # past the end
        ({"limit": 2, "offset": 9}, 5, 0, (False, True)),
        ({"incident_id": "INC-none"}, 0, 0, (False, False)),
    ],
)
def test_every_page_tells_the_whole_count_and_its_links(api, agent, params, count, shown, links):
    for number in range(5):
        SessionFactory(agent=agent, incident_id=f"INC-{number}", code=f"s10-000-00{number}")
    body = api.get(URL, params).json()
    assert (body["count"], len(body["results"])) == (count, shown)
    assert (bool(body["next"]), bool(body["previous"])) == links


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "9" * 40}, "offset"),
        ({"offset": "9" * 5000}, "offset"),
    ],
)
def test_bad_pagination_parameters_are_400_naming_them(api, agent, params, field):
    SessionFactory(agent=agent)
    response = api.get(URL, params)
    assert_error(response, status=400, code="invalid")
    assert field in response.json()["errors"]


def test_empty_filters_mean_no_filter(api, agent):
    SessionFactory(agent=agent)
    assert api.get(URL, {"incident_id": "", "state": "", "limit": "", "offset": ""}).json()["count"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "creating"}, "state"),
        ({"state": "bogus"}, "state"),
        ({"incident_id": "x" * 65}, "incident_id"),
        ({"incident_id": "nul\x00"}, "incident_id"),
    ],
)
def test_invalid_list_filters_are_400_naming_the_field(api, params, field):
    response = api.get(URL, params)
    assert_error(response, status=400, code="invalid")
    assert field in response.json()["errors"]


def test_the_list_makes_a_fixed_number_of_queries_however_many_sessions(
    api, agent, other_agent, django_assert_max_num_queries
):
    for number in range(30):
        SessionFactory(agent=agent if number % 2 else other_agent, incident_id=f"INC-{number}", code=f"s{number}")
    api.get(URL)  # the key's last-used time is written once a minute: not in the count below
    with django_assert_max_num_queries(2):  # the key with its agent, the page (no COUNT: it all fits)
        response = api.get(URL, {"limit": 30})
    assert len(response.json()["results"]) == 30


def test_detail_shows_the_session(api, open_session):
    body = api.get(f"{URL}{open_session.pk}/").json()
    assert body["id"] == str(open_session.pk)
    assert body["supporter_link"] == open_session.supporter_link
    assert body["agent"] == "agent.smith"


def test_detail_of_another_agents_session_hides_the_supporter_link(other_api, open_session):
    response = other_api.get(f"{URL}{open_session.pk}/")
    assert response.status_code == 200
    assert response.json()["supporter_link"] is None
    assert open_session.supporter_link not in response.content.decode()


@pytest.mark.parametrize(
    "session_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "1", "%00", "x" * 300]
)
def test_unknown_or_malformed_session_ids_are_404_not_found(api, session_id):
    response = api.get(f"{URL}{session_id}/")
    assert_error(response, status=404, code="not_found")


def test_a_reservation_has_no_detail(api, agent):
    reservation = SessionFactory(agent=agent, state=Session.State.CREATING, code="")
    assert api.get(f"{URL}{reservation.pk}/").status_code == 404


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo"])
@pytest.mark.parametrize("viewer", ["agent", "other_agent", "staff", None])
# The list writes UTC times from the database's text: whole seconds and trailing zeros too.
@pytest.mark.parametrize("microsecond", [0, 100000, 123456])
def test_the_hand_built_body_is_what_drf_renders_of_the_declared_fields(
    request, agent, zone, viewer, microsecond, settings
):
    settings.TIME_ZONE = zone
    now = timezone.now().replace(microsecond=microsecond)
    session = SessionFactory(
        agent=agent, state="closed", closed_at=now, email_status="sent", email_sent_at=now - timedelta(seconds=1)
    )
    seen_by = request.getfixturevalue(viewer) if viewer else None
    declared = serializers.Serializer.to_representation(
        SessionSerializer(context={"viewer": seen_by}), session
    )
    listed = session_list_data(session_list_values(Session.objects.filter(pk=session.pk)), viewer=seen_by)

    assert session_data(session, viewer=seen_by) == declared
    assert listed == [declared]
    assert list(declared) == list(session_data(session, viewer=seen_by))  # same order too
    assert (declared["supporter_link"] is not None) == (viewer in ("agent", "staff"))


def test_the_list_decrypts_only_the_supporter_links_it_shows(api, agent, other_agent, monkeypatch):
    for number in range(6):
        SessionFactory(agent=agent if number % 2 else other_agent, incident_id=f"INC-{number}", code=f"s{number}")
    opened = []
    decrypt = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda text: opened.append(text) or decrypt(text))

    results = api.get(URL).json()["results"]

    assert len(results) == 6
    assert len(opened) == 3 == sum(1 for row in results if row["supporter_link"])
