"""The notes' text (journal_app/notes.py): one renderer per event, one fact per line, in both
languages, and no link of any kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from journal_app.facts import (
    ClosedFacts,
    ConnectionFacts,
    CreatedFacts,
    CustomerWaitingFacts,
    EmailedFacts,
    ExpiredFacts,
    ReportFacts,
)
from journal_app.notes import RENDERERS, note_render
from tests.factories import SessionFactory

MARKER = "[TV-0123456789]"
AT = datetime(2026, 12, 8, 3, 30, tzinfo=UTC)
LATER = datetime(2026, 12, 8, 4, 5, 15, tzinfo=UTC)
CONNECTION = ConnectionFacts(
    start=AT, end=LATER, duration_seconds=2115, supporter="Agent Smith", device="PC-042", notes="Reset\nthe driver"
)
FACTS = {
    "created": CreatedFacts(code="s12-345-678", valid_until=AT, agent="agent.smith"),
    "emailed": EmailedFacts(code="s12-345-678", to="hanako@example.com"),
    "customer_waiting": CustomerWaitingFacts(code="s12-345-678", since=AT),
    "closed": ClosedFacts(code="s12-345-678", by="agent.smith"),
    "expired": ExpiredFacts(code="s12-345-678", valid_until=AT),
    "report": ReportFacts(code="s12-345-678", connections=(CONNECTION,)),
}
EXPECTED = {
    ("created", "en"): [
        "TeamViewer session created [TV-0123456789]",
        "Session code: s12-345-678",
        "Customer link valid until: 2026-12-08 12:30 JST",
        "Agent: agent.smith",
    ],
    ("created", "ja"): [
        "TeamViewer セッションを作成しました [TV-0123456789]",
        "セッションコード: s12-345-678",
        "お客様用リンクの有効期限: 2026-12-08 12:30 JST",
        "担当者: agent.smith",
    ],
    ("emailed", "en"): [
        "TeamViewer invitation emailed [TV-0123456789]",
        "Session code: s12-345-678",
        "Sent to: hanako@example.com",
    ],
    ("emailed", "ja"): [
        "TeamViewer の招待メールを送信しました [TV-0123456789]",
        "セッションコード: s12-345-678",
        "送信先: hanako@example.com",
    ],
    ("customer_waiting", "en"): [
        "The customer came online in the TeamViewer session [TV-0123456789]",
        "Session code: s12-345-678",
        "Online since: 2026-12-08 12:30 JST",
    ],
    ("customer_waiting", "ja"): [
        "お客様が TeamViewer セッションに接続しました [TV-0123456789]",
        "セッションコード: s12-345-678",
        "オンライン開始: 2026-12-08 12:30 JST",
    ],
    ("closed", "en"): ["TeamViewer session closed [TV-0123456789]", "Session code: s12-345-678", "Closed by: agent.smith"],
    ("closed", "ja"): [
        "TeamViewer セッションを終了しました [TV-0123456789]",
        "セッションコード: s12-345-678",
        "終了した人: agent.smith",
    ],
    ("expired", "en"): [
        "TeamViewer session expired [TV-0123456789]",
        "Session code: s12-345-678",
        "Valid until: 2026-12-08 12:30 JST",
    ],
    ("expired", "ja"): [
        "TeamViewer セッションの有効期限が切れました [TV-0123456789]",
        "セッションコード: s12-345-678",
        "有効期限: 2026-12-08 12:30 JST",
    ],
    ("report", "en"): [
        "TeamViewer connection report [TV-0123456789]",
        "Session code: s12-345-678",
        "Connection 1: 2026-12-08 12:30 JST – 2026-12-08 13:05 JST (0:35:15)",
        "Supporter: Agent Smith",
        "Device: PC-042",
        "Notes: Reset the driver",
    ],
    ("report", "ja"): [
        "TeamViewer 接続レポート [TV-0123456789]",
        "セッションコード: s12-345-678",
        "接続 1: 2026-12-08 12:30 JST – 2026-12-08 13:05 JST（0:35:15）",
        "サポート担当者: Agent Smith",
        "デバイス: PC-042",
        "メモ: Reset the driver",
    ],
}


@pytest.fixture(autouse=True)
def _tokyo(settings):
    settings.TIME_ZONE = "Asia/Tokyo"


@pytest.mark.parametrize(("event", "language"), sorted(EXPECTED))
def test_each_event_has_its_note_one_fact_a_line_in_each_language(event, language):
    text = note_render(event, FACTS[event], marker=MARKER, language=language)
    assert text.splitlines() == EXPECTED[(event, language)]


def test_every_event_has_a_renderer_and_an_expected_note():
    assert set(RENDERERS) == set(FACTS) == {event for event, _language in EXPECTED}


def test_a_close_at_teamviewer_says_so_instead_of_a_login():
    text = note_render("closed", ClosedFacts(code="s1"), marker=MARKER, language="en")
    assert text.splitlines()[-1] == "Closed at TeamViewer"
    text = note_render("closed", ClosedFacts(code="s1"), marker=MARKER, language="ja")
    assert text.splitlines()[-1] == "TeamViewer 側で終了しました"


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_report_without_connections_says_the_customer_never_connected(language):
    text = note_render("report", ReportFacts(code="s1"), marker=MARKER, language=language)
    never = {"en": "The customer never connected.", "ja": "お客様は一度も接続しませんでした。"}[language]
    assert text.splitlines()[-1] == never


def test_a_report_lists_each_connection_and_leaves_out_what_teamviewer_did_not_say():
    second = ConnectionFacts(start=LATER, end=None)
    text = note_render("report", ReportFacts(code="s1", connections=(CONNECTION, second)), marker=MARKER, language="en")
    assert text.splitlines()[-1] == "Connection 2: 2026-12-08 13:05 JST – - (-)"
    assert text.count("Supporter:") == 1


def test_values_from_elsewhere_cannot_add_lines_and_long_notes_are_cut():
    facts = ReportFacts(
        code="s1\nInjected: line",
        connections=(ConnectionFacts(start=AT, end=LATER, device="PC\r\nFake: fact", notes="word " * 400),),
    )
    lines = note_render("report", facts, marker=MARKER, language="en").splitlines()
    assert lines[1] == "Session code: s1 Injected: line"
    assert "Device: PC Fake: fact" in lines
    assert len(lines[-1]) <= len("Notes: ") + 500


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ja"])
def test_no_note_holds_a_link_of_the_session(language):
    # The facts take no link at all: whatever a session holds, a note cannot show it.
    session = SessionFactory()
    for event, facts in FACTS.items():
        text = note_render(event, facts, marker=MARKER, language=language)
        assert session.supporter_link not in text and "secret" not in text
        assert "http" not in text and session.end_customer_link not in text
