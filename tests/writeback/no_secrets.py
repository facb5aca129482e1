"""After a session's whole story: no secret in a CSM note, in the worker's log, or in an answer.

The secrets: the supporter link (a note is read by everyone with the incident), the CSM password,
the integration account's CSM tokens, and the agent's TeamViewer tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from journal_app.models import JournalNote
from tokens_app.models import CsmToken, TeamViewerToken

from .conftest import API, log_text

ADMIN_PAGES = (
    "/admin/journal_app/journalnote/",
    "/admin/tokens_app/csmtoken/",
    "/admin/tokens_app/csmtoken/{csm_token}/change/",
    "/admin/tokens_app/csmtoken/status/",
    "/admin/tokens_app/csmtoken/status/?check=1&incident_id={incident}",
)


def credentials() -> dict[str, str]:
    """Every credential in play, by name (the stored tokens, read back decrypted)."""
    csm = CsmToken.objects.get()
    found = {
        "CSM password": settings.CSM_PASSWORD,
        "CSM access token": csm.access_token,
        "CSM refresh token": csm.refresh_token,
    }
    for token in TeamViewerToken.objects.all():
        found[f"TeamViewer access token of {token.agent}"] = token.access_token
        found[f"TeamViewer refresh token of {token.agent}"] = token.refresh_token
    assert all(found.values()), "a credential to look for is empty: the check would prove nothing"
    return found


def assert_absent(secrets: dict[str, str], text: str, *, where: str) -> None:
    leaked = [name for name, value in secrets.items() if value in text]
    assert not leaked, f"{', '.join(leaked)} found in {where}"


def assert_nothing_secret(
    *, session: dict[str, Any], notes: list[str], log: Path, api: Any, admin: Any
) -> None:
    secrets = credentials()
    assert session["supporter_link"], "the agent's create answer carries the supporter link"
    with_link = {"supporter link": session["supporter_link"], **secrets}
    for text in notes:
        assert_absent(with_link, text, where="a CSM note")

    worker_log = log_text(log)
    assert "DEBUG/" in worker_log  # the worker logged at DEBUG
    assert_absent(with_link, worker_log, where="the worker's log")

    answers = [
        api.get(f"{API}/sessions/{session['id']}/"),
        api.get(f"{API}/sessions/", {"incident_id": session["incident_id"]}),
        admin.get("/sandbox/csm/"),  # the CSM sandbox's journal page
    ]
    assert notes[-1].splitlines()[0] in answers[-1].content.decode()
    note = JournalNote.objects.filter(session_id=session["id"]).first()
    pages = [f"/admin/journal_app/journalnote/{note.pk}/change/", *ADMIN_PAGES]
    for page in pages:
        answers.append(
            admin.get(page.format(csm_token=CsmToken.SINGLETON_ID, incident=session["incident_id"]))
        )
    assert (
        'data-ok="true"' in answers[-1].content.decode()
    )  # the status page's check (last) found the incident
    for response in answers:
        assert response.status_code == 200, (response.request["PATH_INFO"], response.status_code)
        assert_absent(secrets, response.content.decode(), where=response.request["PATH_INFO"])
