"""The guide's curl sheet: written from the OpenAPI document's examples, and every command in it
run with curl against a live server, its answer compared with the one the sheet shows."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml
from django.core import mail
from django.core.management import call_command

from journal_app.models import JournalNote
from journal_app.sending import journal_note_send
from sessions_app.api_examples import SESSION_ID
from sessions_app.api_schema import openapi_document
from sessions_app.models import InvitationEmail
from sessions_app.services.emails import invitation_send

from .conftest import sign_in_over_http
from .guide import LANGUAGES, SheetBlock, sheet_blocks

# The order the sheet's examples are run in: each needs the state the ones before it made.
RUN_ORDER = [
    ("sessions_list", "suppressed_not_authenticated"),
    ("sessions_create", "suppressed_teamviewer_login_required"),
    ("login_flows_retrieve", "pending"),
    ("me_teamviewer_login", "started"),
    ("me_teamviewer_retrieve", "connected"),
    ("sessions_create", "created"),
    ("sessions_create", "existing"),
    ("sessions_list", "page"),
    ("sessions_retrieve", "session"),
    ("sessions_email", "queued"),
    ("sessions_email", "suppressed_202"),
    ("sessions_join", "link"),
    ("sessions_close", "closed"),
    # After the close, the same create makes a new session.
    ("sessions_create", "suppressed_201"),
    ("launch_create", "link"),
    ("sessions_retrieve", "suppressed_not_found"),
    ("me_teamviewer_disconnect", "-"),
    ("me_teamviewer_disconnect", "suppressed_204"),
]
# Values that differ from run to run: compared by type (and null or not), never by value.
VARYING = {
    "id",
    "login_flow",
    "authorize_url",
    "url",
    "expires_at",
    "valid_until",
    "created_at",
    "closed_at",
    "email_sent_at",
    "supporter_link",
    "webclient_supporter_link",
    "end_customer_link",
    "customer_waiting_since",
}
SESSION_CODE = "s12-345-678"


def test_the_committed_guides_hold_the_sheet_the_openapi_examples_make():
    call_command("curl_sheet", "--check")


def test_both_guides_show_the_same_commands_and_answers_and_all_are_run():
    english = sheet_blocks("en")
    assert all(sheet_blocks(language) == english for language in LANGUAGES)
    assert sorted((block.operation_id, block.name) for block in english) == sorted(RUN_ORDER)


def test_the_sheet_follows_the_documents_order_of_tags():
    document = yaml.safe_load(openapi_document())
    tag_of = {op["operationId"]: op["tags"][0] for ops in document["paths"].values() for op in ops.values()}
    tags = [tag["name"] for tag in document["tags"]]
    shown = [
        tag_of[block.operation_id] for block in sheet_blocks("en") if not block.name.startswith("suppressed_")
    ]
    assert shown == sorted(shown, key=tags.index) and set(shown) == set(tags)


def run_curl(command: str, variables: dict[str, str], tmp_path: Path) -> tuple[int, Any]:
    """The command as a shell runs it (with the sheet's variables), its status and JSON body."""
    out = tmp_path / "body"
    done = subprocess.run(
        ["bash", "-c", f"{command} -o {out} -w '%{{http_code}}'"],
        env={"PATH": os.environ["PATH"], **variables},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    return int(done.stdout), json.loads(text) if text else None


def assert_like(shown: Any, live: Any, where: str = "") -> None:
    """``live`` has the shape ``shown`` has, and the same values but for the ones that vary."""
    if isinstance(shown, dict):
        assert isinstance(live, dict) and live.keys() == shown.keys(), (where, shown, live)
        for key, value in shown.items():
            if key in VARYING or (key == "code" and value == SESSION_CODE):
                assert type(live[key]) is type(value), (f"{where}.{key}", value, live[key])
            else:
                assert_like(value, live[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(live, list) and len(live) == len(shown), (where, shown, live)
        for index, (one, other) in enumerate(zip(shown, live, strict=True)):
            assert_like(one, other, f"{where}[{index}]")
    else:
        assert live == shown, (where, shown, live)


def _deliver_invitations_and_notes() -> None:
    """The worker's part before the close: the invitation sent, the notes written to CSM."""
    for email in InvitationEmail.objects.all():
        assert invitation_send(email_id=email.pk).outcome == "sent"
    for note in JournalNote.objects.order_by("pk"):
        assert journal_note_send(note_id=note.pk).outcome == "written"


def test_every_command_in_the_sheet_gets_the_answer_the_sheet_shows(csm_site, api_key, tmp_path):
    blocks = {(block.operation_id, block.name): block for block in sheet_blocks("en")}
    variables = {"BASE": csm_site.url, "API_KEY": api_key, "CSM_USER": "agent.smith"}
    for key in RUN_ORDER:
        block: SheetBlock = blocks[key]
        if key == ("sessions_close", "closed"):
            _deliver_invitations_and_notes()
        if key == ("sessions_retrieve", "suppressed_not_found"):
            variables["SESSION_ID"] = SESSION_ID
        status, answer = run_curl(block.command, variables, tmp_path)
        assert status == block.status, (key, answer)
        assert_like(block.answer, answer, "/".join(key))
        if key == ("sessions_create", "suppressed_teamviewer_login_required"):
            variables["LOGIN_FLOW"] = answer["login_flow"]
        if key == ("me_teamviewer_login", "started"):
            sign_in_over_http(answer["authorize_url"])
        if key == ("sessions_create", "created"):
            variables["SESSION_ID"] = answer["id"]
            assert answer["id"] != SESSION_ID
    assert len(mail.outbox) == 3  # the create's invitation and the two resends
