"""The Japanese catalogues: every message translated, none left fuzzy, placeholders kept, and
the committed .mo files in step with their .po sources.

The .mo files are committed (as Django commits its own), so an install with no gettext tools
speaks Japanese; each is compared, message by message, with its .po compiled here in Python.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import polib
import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def find_catalogues() -> list[Path]:
    """Every ``locale/<lang>/LC_MESSAGES/*.po`` of the project and its apps (not .venv or var/)."""
    found = []
    for root, dirs, files in os.walk(BASE_DIR):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in {"var", "node_modules"})
        if Path(root).name == "LC_MESSAGES":
            found += [Path(root) / name for name in sorted(files) if name.endswith(".po")]
    return found


CATALOGUES = find_catalogues()
# %(name)s, %s, %d and {name}: what Python and DRF substitute.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")
LINE = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$')


@dataclass
class Entry:
    fuzzy: bool
    parts: dict[str, str]

    @property
    def msgid(self) -> str:
        return self.parts.get("msgid", "")

    @property
    def translations(self) -> list[str]:
        return [text for key, text in self.parts.items() if key.startswith("msgstr")]


def entries(path: Path) -> list[Entry]:
    found = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, key = Entry(fuzzy=False, parts={}), None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry.fuzzy = entry.fuzzy or "fuzzy" in line
            elif line.startswith("#"):
                continue
            elif match := LINE.match(line):
                key = match.group(1)
                entry.parts[key] = match.group(2)
            elif line.startswith('"') and key:
                entry.parts[key] += line[1:-1]
        if entry.msgid:  # not the header
            found.append(entry)
    return found


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_every_message_is_translated_and_none_is_fuzzy(path):
    found = entries(path)

    assert found, f"{path} holds no messages"
    assert [e.msgid for e in found if e.fuzzy] == []
    assert [e.msgid for e in found if not all(e.translations)] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_translations_keep_their_placeholders(path):
    changed = [
        e.msgid
        for e in entries(path)
        if any(sorted(PLACEHOLDER.findall(t)) != sorted(PLACEHOLDER.findall(e.msgid)) for t in e.translations)
    ]
    assert changed == []


def test_the_catalogues_include_the_project_and_both_sandboxes():
    names = {str(path.relative_to(BASE_DIR)) for path in CATALOGUES}

    assert {
        "locale/ja/LC_MESSAGES/django.po",
        "csm_teamviewer/sandbox/locale/ja/LC_MESSAGES/django.po",
        "csm_teamviewer/csm_sandbox/locale/ja/LC_MESSAGES/django.po",
    } <= names


def messages(catalogue: polib._BaseFile) -> dict[tuple[str | None, str], tuple[str, tuple]]:
    """What gettext looks up: (context, msgid) to the translation and its plural forms."""
    return {
        (entry.msgctxt, entry.msgid): (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
        for entry in catalogue
        if entry.msgid and (isinstance(catalogue, polib.MOFile) or entry.translated())
    }


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_each_committed_mo_holds_exactly_the_messages_of_its_po(path):
    compiled = path.with_suffix(".mo")

    assert compiled.exists(), f"{compiled} is missing: run `python manage.py compilemessages` and commit it"
    assert messages(polib.mofile(str(compiled))) == messages(polib.pofile(str(path))), (
        f"{compiled} is out of step with its .po: run `python manage.py compilemessages` and commit it"
    )
