"""The CSM guide in both languages: one structure, the same machine-readable parts, and every
name in them (methods, fields, error codes, journal states) one the server really has."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from journal_app.models import JournalNote
from journal_app.selectors import NOT_WRITTEN
from sessions_app.api_schema import openapi_document

from .csm import fill
from .guide import (
    LANGUAGES,
    PLACEHOLDER,
    code_spans,
    fenced_blocks,
    guide_text,
    header_parameters,
    headings,
    marked_table,
    methods,
    templates,
)

MARKERS = re.compile(r"<!-- [^>]* -->")
# Tables the same but for the language of their headers; in the others, only the names column.
WHOLE_TABLES = ["csm-parameters", "csm-methods"]
NAME_TABLES = ["csm-placeholders", "csm-error-codes", "csm-journal-states"]
# Operations no one-step calls: disconnecting is rare (the guide says so), and the one-steps find
# a session by its incident (Find session) rather than by an id they would have to keep.
WITHOUT_METHOD = {"me_teamviewer_disconnect", "sessions_retrieve"}
_SHELL_COMMENT = re.compile(r" +#.*$", re.MULTILINE)
REQUEST_SCHEMAS = {"launch": "LaunchInput", "create": "SessionCreateInput", "email": "SessionEmailInput"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return yaml.safe_load(openapi_document())


def _spans(language: str, marker: str) -> list[list[str]]:
    rows = marked_table(guide_text(language), marker)
    if marker in NAME_TABLES:
        rows = [row[:1] for row in rows]
    return [[span for cell in row for span in code_spans(cell)] for row in rows]


@pytest.mark.parametrize("marker", WHOLE_TABLES + NAME_TABLES)
def test_both_languages_have_the_same_tables_of_names(marker):
    english = _spans("en", marker)
    assert english and all(_spans(language, marker) == english for language in LANGUAGES)


def _blocks(language: str) -> list[tuple[str, str]]:
    """The code blocks, without the comments a shell block explains itself with."""
    return [(info, _SHELL_COMMENT.sub("", body)) for info, body in fenced_blocks(guide_text(language))]


def test_both_languages_have_the_same_sections_markers_and_code_blocks():
    english = guide_text("en")
    for language in LANGUAGES:
        text = guide_text(language)
        assert headings(text) == headings(english)
        assert MARKERS.findall(text) == MARKERS.findall(english)
        assert _blocks(language) == _blocks("en")


def test_the_japanese_guide_is_written_in_japanese():
    prose = MARKERS.sub("", re.sub(r"```.*?```", "", guide_text("ja"), flags=re.DOTALL))
    japanese = len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", prose))
    assert japanese > 5000


def _operation(schema: dict, verb: str, url: str) -> dict:
    path = "/" + url.split("?", 1)[0]
    for documented, operations in schema["paths"].items():
        pattern = re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(documented))
        if re.fullmatch(pattern, re.sub(r"\{\{\w+\}\}", "x", path)) and verb.lower() in operations:
            return operations[verb.lower()]
    raise AssertionError(f"no operation for {verb} {url}")


def test_every_method_is_an_operation_with_suppress_http_code_and_only_disconnect_has_none(schema):
    covered = set()
    for method in methods().values():
        assert method.url.endswith("suppress_http_code=1"), method
        covered.add(_operation(schema, method.verb, method.url)["operationId"])
    every = {
        op["operationId"]
        for path, ops in schema["paths"].items()
        if path.startswith("/api/v1/")
        for op in ops.values()
    }
    assert every - covered == WITHOUT_METHOD


def test_every_placeholder_used_is_explained_and_every_one_explained_is_used():
    text = guide_text("en")
    explained = {code_spans(row[0])[0] for row in marked_table(text, "csm-placeholders")}
    used = set()
    for value in [
        *header_parameters().values(),
        *(m.url for m in methods().values()),
        *templates(text).values(),
    ]:
        used |= {f"{{{{{name}}}}}" for name in PLACEHOLDER.findall(value)}
    assert used == explained


def test_the_templates_are_json_with_only_fields_the_api_takes(schema):
    text = guide_text("en")
    assert (
        {m.template for m in methods().values() if m.template} == set(templates(text)) == set(REQUEST_SCHEMAS)
    )
    for name, template in templates(text).items():
        body = json.loads(fill(template, {n: "x" for n in PLACEHOLDER.findall(template)}))
        fields = schema["components"]["schemas"][REQUEST_SCHEMAS[name]]["properties"]
        assert set(body) <= set(fields), name


def _documented_errors(schema: dict) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for operations in schema["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                examples = response.get("content", {}).get("application/json", {}).get("examples", {})
                for example in examples.values():
                    value = example["value"]
                    if int(status) >= 400 and isinstance(value, dict) and "detail" in value:
                        found.setdefault(value["code"], set()).add(int(status))
    return found


def test_the_troubleshooting_table_has_every_error_code_with_its_statuses(schema):
    rows = marked_table(guide_text("en"), "csm-error-codes")
    table = {
        code_spans(code)[0]: {int(s) for s in re.findall(r"\d{3}", statuses)} for code, statuses, *_ in rows
    }
    assert table == _documented_errors(schema)


def test_the_journal_states_are_the_servers():
    rows = marked_table(guide_text("en"), "csm-journal-states")
    assert [code_spans(row[0])[0] for row in rows] == [NOT_WRITTEN, *JournalNote.Status.values]
