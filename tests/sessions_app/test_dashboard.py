"""The admin's dashboard: staff only, right figures for a known picture, any period, flat queries."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from sessions_app.dashboard import figures
from sessions_app.dashboard.charts import dashboard_charts
from sessions_app.dashboard.period import period_from
from sessions_app.dashboard.svg import _short
from tests.factories import AgentFactory

from .dashboard_data import seed_dashboard

URL = "/admin/sessions_app/session/dashboard/"


def _charts(client, **params) -> dict:
    response = client.get(URL, params)
    assert response.status_code == 200
    return {chart.id: chart for chart in response.context["charts"]}


def _column(chart, heading: str) -> dict:
    """One series of a daily chart as {day: count}, days with none left out."""
    index = chart.head.index(heading)
    return {row[0]: row[index] for row in chart.rows if row[index]}


def test_the_dashboard_is_at_its_url_and_linked_from_the_admin_index(admin_client):
    assert reverse("admin:sessions_app_dashboard") == URL
    assert URL in admin_client.get(reverse("admin:index")).content.decode()


def test_the_dashboard_is_refused_to_anyone_not_staff(client, agent):
    assert client.get(URL).status_code == 302  # to the admin's sign-in
    client.force_login(agent)
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_sessions_view_permission_are_refused(client, db):
    staff = AgentFactory(username="ops.kato", is_staff=True)
    client.force_login(staff)
    assert client.get(URL).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_session", content_type__app_label="sessions_app"))
    assert client.get(URL).status_code == 200


def test_sessions_per_day_by_outcome(admin_client):
    seed_dashboard()
    chart = _charts(admin_client)["sessions-by-outcome"]
    today, yesterday = timezone.localdate().isoformat(), (timezone.localdate() - timedelta(days=1)).isoformat()

    assert _column(chart, "Closed here (agent or admin)") == {today: 1}
    assert _column(chart, "Ended at TeamViewer") == {today: 1}
    assert _column(chart, "Still live") == {today: 1}
    assert _column(chart, "Expired (cleanup)") == {yesterday: 1}
    assert _column(chart, "Create not finished") == {yesterday: 1}
    assert len(chart.rows) == 30


def test_time_to_the_customer_coming_online_is_bucketed(admin_client):
    seed_dashboard()
    rows = dict(_charts(admin_client)["customer-wait"].rows)

    assert rows == {
        "Under 1 minute": 1, "1–5 minutes": 0, "5–15 minutes": 1, "15–60 minutes": 0,
        "1–4 hours": 1, "Over 4 hours": 0, "Not online (yet)": 2,
    }  # fmt: skip


def test_invitations_sent_failed_and_queued_per_day(admin_client):
    seed_dashboard()
    chart = _charts(admin_client)["invitations"]
    today, yesterday = timezone.localdate().isoformat(), (timezone.localdate() - timedelta(days=1)).isoformat()

    assert _column(chart, "Sent") == {today: 2}
    assert _column(chart, "Failed") == {today: 1}
    assert _column(chart, "Queued") == {yesterday: 1}


def test_teamviewer_errors_by_kind_from_the_audit_trail(admin_client):
    seed_dashboard()
    assert _charts(admin_client)["teamviewer-errors"].rows == [
        ["Rate limited (teamviewer_rate_limited)", 2],
        ["Unavailable (down, slow or unreadable) (teamviewer_unavailable)", 1],
    ]


def test_top_incidents_and_agents_by_sessions(admin_client):
    seed_dashboard()
    charts = _charts(admin_client)

    assert charts["top-incidents"].rows == [["INC-1001", 3], ["INC-2002", 1], ["INC-3003", 1]]
    assert charts["top-agents"].rows == [["agent.sato", 3], ["agent.tanaka", 2]]


def test_a_longer_period_takes_in_older_rows(admin_client):
    seed_dashboard()
    charts = _charts(admin_client, days="90")

    assert len(charts["sessions-by-outcome"].rows) == 90
    assert ["INC-9009", 1] in charts["top-incidents"].rows
    assert ["Rejected (teamviewer_rejected)", 1] in charts["teamviewer-errors"].rows
    assert len(_charts(admin_client, days="7")["invitations"].rows) == 7


@pytest.mark.parametrize("days", ["", "0", "-7", "365", "30.0", "abc", "7 ", "٣٠", "7\x00"])
def test_a_bad_period_is_the_default_never_an_error(admin_client, days):
    response = admin_client.get(URL, {"days": days})
    assert response.status_code == 200
    assert response.context["period"].days == 30


def test_days_are_counted_in_the_servers_time_zone(admin_client, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    seed_dashboard()  # the first sessions at 00:30 in Tokyo: still yesterday in UTC
    chart = _charts(admin_client, days="7")["sessions-by-outcome"]

    assert _column(chart, "Closed here (agent or admin)") == {timezone.localdate().isoformat(): 1}
    assert "Asia/Tokyo" in admin_client.get(URL).content.decode()


def test_the_period_ends_today_and_starts_at_local_midnight(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    period = period_from("7", today=date(2026, 3, 10))

    assert period.dates[0] == date(2026, 3, 4) and period.dates[-1] == date(2026, 3, 10)
    assert period.start.isoformat() == "2026-03-04T00:00:00+09:00"
    assert period.end.isoformat() == "2026-03-11T00:00:00+09:00"


def test_each_chart_is_svg_with_a_title_a_description_and_a_table(admin_client):
    seed_dashboard()
    html = admin_client.get(URL).content.decode()

    for chart_id in ("sessions-by-outcome", "customer-wait", "invitations", "teamviewer-errors", "top-incidents", "top-agents"):
        assert f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}"' in html
        assert f'<title id="{chart_id}-title">' in html and f'<desc id="{chart_id}-desc">' in html
        assert f'<table id="{chart_id}-table">' in html
    assert "<script" not in html.split('id="content-main"')[1]
    assert " style=" not in html.split('id="content-main"')[1]


def test_long_labels_are_cut_to_fit_left_of_the_bars_wide_characters_counting_double():
    assert _short("INC-1001") == "INC-1001"
    assert _short("x" * 40) == "x" * 31 + "…"
    assert _short("日" * 20) == "日" * 15 + "…"


def test_labels_are_escaped_in_the_drawing(admin_client, agent):
    from tests.factories import SessionFactory

    SessionFactory(agent=agent, incident_id="<b>INC</b>", state="closed")
    html = admin_client.get(URL).content.decode()

    assert "<b>INC</b>" not in html
    assert "&lt;b&gt;INC&lt;/b&gt;" in html


def test_the_dashboard_speaks_japanese(admin_client):
    seed_dashboard()
    html = admin_client.get(URL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    for words in ("日ごとのセッション数 (結果別)", "TeamViewer 側で終了", "セッション数の多い担当者", "過去 7 日間", "レート制限"):
        assert words in html, words
    with translation.override("ja"):
        charts = dashboard_charts(period_from("30"))
    # Every title, column heading and series name is in Japanese (none left in ASCII English).
    words = [text for chart in charts for text in [chart.title, *chart.head, *(label for _, label in chart.legend)]]
    assert [text for text in words if text.isascii()] == []


def test_each_chart_is_one_query(db):
    seed_dashboard()
    period = period_from("30")
    with CaptureQueriesContext(connection) as queries:
        charts = dashboard_charts(period)

    assert len(queries) == len(charts) == 6
    assert figures.TOP == 10
