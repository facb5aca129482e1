"""One renderer for every error: the same body for DRF views, plain views and Django's handlers."""

from __future__ import annotations

import json

import pytest
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from csm_teamviewer.error_responses import api_exception_handler, error_json, error_response, not_found
from csm_teamviewer.errors import Invalid, NotAuthenticated, ServiceUnavailable, TeamViewerRateLimited
from tests.asserts import assert_error


def test_a_plain_view_error_is_the_same_body_and_headers_as_a_drf_one():
    plain = error_json(TeamViewerRateLimited(retry_after=7))
    drf = api_exception_handler(TeamViewerRateLimited(retry_after=7), {})
    assert json.loads(plain.content) == drf.data
    assert plain["Retry-After"] == drf["Retry-After"] == "7"
    assert_error(plain, status=429, code="teamviewer_rate_limited")


def test_drfs_own_errors_get_our_codes_fields_and_retry_after():
    invalid = api_exception_handler(exceptions.ValidationError({"incident_id": ["Required."]}), {})
    throttled = api_exception_handler(exceptions.Throttled(wait=4.2), {})
    assert (invalid.status_code, invalid.data["code"], invalid.data["errors"]) == (
        400, "invalid", {"incident_id": ["Required."]}
    )
    assert (throttled.data["code"], throttled.data["retry_after"], throttled["Retry-After"]) == ("throttled", 5, "5")


def test_an_exception_that_is_no_api_error_is_left_to_django():
    assert api_exception_handler(ValueError("a bug"), {}) is None


@pytest.mark.parametrize(
    ("method", "path", "json_body"),
    [("get", "/api/v1/nowhere/", True), ("post", "/incidents/INC-1/nowhere/", True), ("get", "/nowhere/", False)],
)
def test_api_clients_get_json_and_browsers_the_error_page(rf, db, method, path, json_body):
    response = not_found(getattr(rf, method)(path))
    assert response.status_code == 404
    if json_body:
        assert_error(response, status=404, code="not_found")
    else:
        assert response["Content-Type"].startswith("text/html") and b"not_found" in response.content


def test_the_error_page_carries_the_errors_headers_too(rf, db):
    response = error_response(rf.get("/incidents/INC-1/"), ServiceUnavailable())
    assert (response.status_code, response["Retry-After"]) == (503, "5")


def test_not_authenticated_is_401():
    assert_error(error_json(NotAuthenticated("Signed out.")), status=401, code="not_authenticated")


def test_an_error_that_echoes_a_lone_surrogate_is_still_written_out(rf, db):
    """Whatever a message echoes (JSON's "\\ud800" reached it), the renderers can encode it."""
    echoed = exceptions.ValidationError({"language": ["\ud800 is not a choice."], "\udfff": ["Unknown."]})
    drf = api_exception_handler(echoed, {"request": None})
    drf.accepted_renderer, drf.accepted_media_type = JSONRenderer(), "application/json"
    drf.renderer_context = {}
    page = error_response(rf.get("/incidents/INC-1/"), Invalid("\ud800"))

    body = json.loads(drf.render().content.decode("utf-8"))
    assert body["errors"] == {"language": ["\ufffd is not a choice."], "\ufffd": ["Unknown."]}
    assert "\ufffd" in page.content.decode("utf-8")
    assert_error(error_json(Invalid("\ud800")), status=400, code="invalid")
