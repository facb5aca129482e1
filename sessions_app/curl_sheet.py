"""The CSM guide's curl sheet (``docs/csm/guide.*.md``), written from the OpenAPI document's examples.

Each operation in the guide's order: a curl command built from its request example, then each
success answer's first example; then the answers with ``suppress_http_code=1``, each kind shown
once (the first operation that has it). The section sits between two markers in each guide;
``manage.py curl_sheet`` rewrites it, and a test keeps the committed guides equal to it and runs
every command against a live server (``tests/csm_kit/``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from csm_teamviewer.suppress_http_code import PARAMETER

from .api_schema import openapi_document

GUIDES = {
    language: Path(__file__).resolve().parents[1] / "docs" / "csm" / f"guide.{language}.md"
    for language in ("en", "ja")
}
START = "<!-- curl-sheet:start: written by `python manage.py curl_sheet`; edit sessions_app/curl_sheet.py -->"
END = "<!-- curl-sheet:end -->"
# The OpenAPI document's order of tags (sessions, TeamViewer connection, login flows, launch
# links), and within each what an admin tries first.
OPERATIONS = (
    "sessions_create",
    "sessions_list",
    "sessions_retrieve",
    "sessions_email",
    "sessions_join",
    "sessions_close",
    "me_teamviewer_retrieve",
    "me_teamviewer_login",
    "me_teamviewer_disconnect",
    "login_flows_retrieve",
    "launch_create",
)
# Path parameters become the shell variables of the sheet's preamble.
VARIABLES = {"{session_id}": "$SESSION_ID", "{login_flow}": "$LOGIN_FLOW"}
SUPPRESSED = "suppressed_"

TEXT = {
    "en": {
        "intro": "Set these once in a shell (`SESSION_ID` and `LOGIN_FLOW` come from the answers below):",
        "base": "PUBLIC_BASE_URL of this server",
        "key": "printed once by create_api_key",
        "user": "a CSM login ID",
        "answer": "Answer",
        "again": " (the same request again)",
        "no_body": "(no body)",
        "suppressed": f"With `?{PARAMETER}=1` (what the one-steps use)",
        "suppressed_intro": "Every answer is then a 200 with the same body plus `http_status`. One of each kind:",
    },
    "ja": {
        "intro": "シェルで一度だけ設定します（`SESSION_ID` と `LOGIN_FLOW` は下の応答から取ります）:",
        "base": "このサーバーの PUBLIC_BASE_URL",
        "key": "create_api_key が一度だけ表示するキー",
        "user": "CSM のログイン ID",
        "answer": "応答",
        "again": "（同じリクエストをもう一度送ったとき）",
        "no_body": "（本文なし）",
        "suppressed": f"`?{PARAMETER}=1` を付けた場合（ワンステップで使う形）",
        "suppressed_intro": "応答はすべて 200 になり、本文は同じものに `http_status` が加わります。種類ごとに一つずつ:",
    },
}
# The operations' summaries in Japanese (the document's are English).
SUMMARIES_JA = {
    "launch_create": "インシデントページを開くワンタイムリンク",
    "me_teamviewer_login": "TeamViewer へのサインインを始める",
    "me_teamviewer_retrieve": "操作しているエージェントの TeamViewer 接続",
    "sessions_create": "インシデントのセッションを作成する",
    "login_flows_retrieve": "サインインの結果",
    "sessions_list": "セッションの一覧（インシデントと状態で絞り込み）",
    "sessions_retrieve": "セッション一件",
    "sessions_email": "招待メールを送信・再送信する",
    "sessions_join": "管理者として参加：サポーターリンク",
    "sessions_close": "TeamViewer とこのサーバーでセッションを閉じる",
    "me_teamviewer_disconnect": "TeamViewer との接続を解除する",
}


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    summary: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class SheetExample:
    """One command and its answer: ``name`` is the OpenAPI example's name."""

    operation_id: str
    status: int
    name: str
    command: str
    answer: Any


def operations(document: dict[str, Any]) -> list[Operation]:
    found = {
        operation["operationId"]: Operation(
            operation["operationId"], method, path, operation["summary"], operation
        )
        for path, methods in document["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in methods.items()
    }
    unplaced = set(found) - set(OPERATIONS)
    if unplaced:
        raise ValueError(f"operations missing from curl_sheet.OPERATIONS: {sorted(unplaced)}")
    return [found[operation_id] for operation_id in OPERATIONS]


def _request_body(operation: Operation) -> Any:
    content = operation.raw.get("requestBody", {}).get("content", {}).get("application/json")
    if not content or operation.method != "post":
        return None
    return next(iter(content["examples"].values()))["value"]


def _query(operation: Operation, suppressed: bool) -> str:
    pairs = [
        f"{parameter['name']}={parameter['example']}"
        for parameter in operation.raw.get("parameters", [])
        if parameter["in"] == "query" and "example" in parameter and parameter["name"] != PARAMETER
    ]
    if suppressed:
        pairs.append(f"{PARAMETER}=1")
    return "?" + "&".join(pairs) if pairs else ""


def curl(operation: Operation, *, suppressed: bool = False, authenticated: bool = True) -> str:
    path = operation.path
    for placeholder, variable in VARIABLES.items():
        path = path.replace(placeholder, variable)
    lines = [f'curl -s -X {operation.method.upper()} "$BASE{path}{_query(operation, suppressed)}"']
    if authenticated:
        lines += ['-H "Authorization: Token $API_KEY"', '-H "X-CSM-User: $CSM_USER"']
    body = _request_body(operation)
    if body is not None:
        lines += ['-H "Content-Type: application/json"', f"-d '{json.dumps(body, ensure_ascii=False)}'"]
    return " \\\n  ".join(lines)


def sheet_examples(document: dict[str, Any]) -> list[SheetExample]:
    """The sheet's examples in order: each operation's successes, then each suppressed kind once."""
    plain, suppressed, shown = [], [], set()
    for operation in operations(document):
        # Highest success first: a create's 201 before the 200 of the same request again.
        for status, response in sorted(operation.raw["responses"].items(), reverse=True):
            examples = response.get("content", {}).get("application/json", {}).get("examples", {})
            if 200 <= int(status) < 300 and not examples and status == "204":
                plain.append(SheetExample(operation.operation_id, 204, "", curl(operation), None))
            for name, example in examples.items():
                if name.startswith(SUPPRESSED) and name not in shown and status == "200":
                    shown.add(name)
                    command = curl(
                        operation, suppressed=True, authenticated=not name.endswith("not_authenticated")
                    )
                    suppressed.append(
                        SheetExample(operation.operation_id, 200, name, command, example["value"])
                    )
            first = next((name for name in examples if not name.startswith(SUPPRESSED)), None)
            if 200 <= int(status) < 300 and first:
                value = examples[first]["value"]
                plain.append(SheetExample(operation.operation_id, int(status), first, curl(operation), value))
    return plain + suppressed


def _block(example: SheetExample, text: dict[str, str], *, command_shown: bool) -> list[str]:
    answer = (
        text["no_body"]
        if example.answer is None
        else "```json\n" + json.dumps(example.answer, indent=2, ensure_ascii=False) + "\n```"
    )
    command = [] if command_shown else ["```sh", example.command, "```", ""]
    return [
        f"<!-- example: {example.operation_id} {example.status} {example.name or '-'} -->",
        *command,
        f"{text['answer']} **{example.status}**{text['again'] if command_shown else ''}:",
        "",
        answer,
        "",
    ]


def render(language: str, document: dict[str, Any] | None = None) -> str:
    """The section between the markers, markers included."""
    document = document or yaml.safe_load(openapi_document())
    text = TEXT[language]
    by_id = {operation.operation_id: operation for operation in operations(document)}
    out = [START, "", text["intro"], "", "```sh"]
    out += [
        f"BASE=https://teamviewer.example.com   # {text['base']}",
        f"API_KEY=...                          # {text['key']}",
        f"CSM_USER=agent.smith                 # {text['user']}",
        "```",
        "",
    ]
    current, previous = None, None
    examples = sheet_examples(document)
    for example in examples:
        if example.name.startswith(SUPPRESSED) and current != SUPPRESSED:
            current = SUPPRESSED
            out += [f"### {text['suppressed']}", "", text["suppressed_intro"], ""]
        elif current != SUPPRESSED and example.operation_id != current:
            current = example.operation_id
            operation = by_id[current]
            summary = SUMMARIES_JA[current] if language == "ja" else operation.summary
            out += [f"### {summary}: `{operation.method.upper()} {operation.path}`", ""]
        out += _block(example, text, command_shown=previous == example.command)
        previous = example.command
    return "\n".join([*out, END])


def guide_with_sheet(guide: str, sheet: str) -> str:
    """The guide's text with the section between the markers replaced by ``sheet``."""
    start, end = guide.index(START), guide.index(END) + len(END)
    return guide[:start] + sheet + guide[end:]
