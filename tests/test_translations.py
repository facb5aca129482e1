"""The Japanese catalogues: every message translated, none left fuzzy, placeholders kept.

Read from the .po sources (the .mo files are built, not committed), so a msgid that
``makemessages`` added without a translation fails here before it reaches an agent in English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

CATALOGUES = [
    Path(settings.BASE_DIR) / "locale/ja/LC_MESSAGES/django.po",
    Path(settings.BASE_DIR) / "csm_teamviewer/sandbox/locale/ja/LC_MESSAGES/django.po",
    Path(settings.BASE_DIR) / "csm_teamviewer/csm_sandbox/locale/ja/LC_MESSAGES/django.po",
]
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
