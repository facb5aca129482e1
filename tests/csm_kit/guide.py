"""Reading the CSM guide (docs/csm/guide.*.md) the way the tests use it: its marked tables, body
templates and curl sheet, so the tests configure "CSM" from the guide's own text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from sessions_app.curl_sheet import GUIDES

LANGUAGES = tuple(GUIDES)
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`([^`]+)`")
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_EXAMPLE = re.compile(r"^<!-- example: (\w+) (\d+) (\S+) -->$", re.MULTILINE)


@cache
def guide_text(language: str) -> str:
    return GUIDES[language].read_text(encoding="utf-8")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block, in order."""
    return [(match.group(1), match.group(2)) for match in _FENCE.finditer(text)]


def headings(text: str) -> list[str]:
    """The level marks of the headings outside code blocks (``##``, ``###``), in order."""
    outside = _FENCE.sub("", text)
    return [line.split(" ", 1)[0] for line in outside.splitlines() if line.startswith("#")]


def marked_table(text: str, marker: str) -> list[list[str]]:
    """The rows (cells stripped) of the table right after ``<!-- marker -->``, header left out."""
    after = text.split(f"<!-- {marker} -->\n", 1)[1]
    rows = []
    for line in after.splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def code_spans(cell: str) -> list[str]:
    return _CODE_SPAN.findall(cell)


def templates(text: str) -> dict[str, str]:
    """Each ``<!-- csm-template: NAME -->`` and the JSON block under it."""
    found = re.findall(r"<!-- csm-template: (\w+) -->\n```json\n(.*?)\n```", text, re.DOTALL)
    return dict(found)


@dataclass(frozen=True)
class Method:
    """A web-service method as the guide defines it."""

    name: str
    verb: str
    url: str
    template: str | None
    fields: tuple[str, ...]


def methods(language: str = "en") -> dict[str, Method]:
    found = {}
    for name, verb, url, template, fields in marked_table(guide_text(language), "csm-methods"):
        method = Method(
            name=code_spans(name)[0],
            verb=verb,
            url=code_spans(url)[0],
            template=(code_spans(template) or [None])[0],
            fields=tuple(code_spans(fields)),
        )
        found[method.name] = method
    return found


def header_parameters(language: str = "en") -> dict[str, str]:
    """Header name → its value in the guide (with ``{{…}}`` placeholders)."""
    rows = marked_table(guide_text(language), "csm-parameters")
    return {code_spans(name)[0]: code_spans(value)[0] for name, _sent_as, value in rows}


@dataclass(frozen=True)
class SheetBlock:
    operation_id: str
    status: int
    name: str
    command: str
    answer: object


def sheet_blocks(language: str = "en") -> list[SheetBlock]:
    """The curl sheet's examples; an answer shown without its own command repeats the one before."""
    text = guide_text(language)
    sheet = text[text.index("<!-- curl-sheet:start") : text.index("<!-- curl-sheet:end -->")]
    parts = _EXAMPLE.split(sheet)[1:]
    blocks, command = [], ""
    for index in range(0, len(parts), 4):
        operation_id, status, name, chunk = parts[index : index + 4]
        shown = dict(fenced_blocks(chunk))
        command = shown.get("sh", command).strip()
        answer = json.loads(shown["json"]) if "json" in shown else None
        blocks.append(SheetBlock(operation_id, int(status), name, command, answer))
    return blocks
