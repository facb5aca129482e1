"""The CSM kit's tests share the browser tests' live server, sandbox and Chromium."""

from __future__ import annotations

import re

import pytest
import requests

from sessions_app.services.api_keys import api_key_create
from tests.browser.conftest import chromium, site  # noqa: F401 - fixtures used here too

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def csm_site(site, settings):  # noqa: F811 - the imported fixture
    """Journal notes go to the CSM sandbox on the live server, as they go to CSM."""
    settings.CSM_API_URL = f"{site.url}/sandbox/csm/CherwellAPI"
    return site


@pytest.fixture
def api_key(transactional_db) -> str:
    """What `create_api_key "CSM production"` printed, now in CSM's stored value."""
    return api_key_create(name="CSM production")[1]


def sign_in_over_http(authorize_url: str) -> requests.Response:
    """The agent's sign-in at the TeamViewer sandbox, followed to this server's done page."""
    with requests.Session() as browser:
        page = browser.get(authorize_url, timeout=10)
        token = _CSRF.search(page.text).group(1)
        form = {
            "csrfmiddlewaretoken": token,
            "email": "agent@example.com",
            "password": "pw",
            "action": "allow",
        }
        done = browser.post(page.url, data=form, timeout=10)
    assert done.status_code == 200 and "/oauth/teamviewer/callback/" in done.url, done.url
    return done
