"""The admin's dashboard in headless Chromium, with data, in English and Japanese (screenshots)."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.sessions_app.dashboard_data import seed_dashboard

from .conftest import new_page, shoot
from .test_incident_page import csp_refusals

pytestmark = pytest.mark.browser

DASHBOARD = "/admin/sessions_app/session/dashboard/"
TEXT = {
    "en": {"title": "Remote support dashboard", "chart": "Sessions per day by outcome", "legend": "Ended at TeamViewer"},
    "ja": {"title": "リモートサポートのダッシュボード", "chart": "日ごとのセッション数 (結果別)", "legend": "TeamViewer 側で終了"},
}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_an_admin_sees_the_dashboard_with_its_charts(chromium, site, language):
    get_user_model().objects.create_superuser("ops.admin", "ops@example.com", "a long admin password")
    seed_dashboard()
    words = TEXT[language]
    context, page = new_page(chromium, language=language)
    refused = csp_refusals(page)
    try:
        page.goto(f"{site.url}/admin/login/?next={DASHBOARD}?days=7")
        page.fill("#id_username", "ops.admin")
        page.fill("#id_password", "a long admin password")
        page.click("input[type=submit]")
        expect(page.get_by_role("heading", level=1)).to_have_text(words["title"])
        expect(page.get_by_role("img", name=words["chart"])).to_be_visible()
        expect(page.locator("#sessions-by-outcome-module .dashboard-legend")).to_contain_text(words["legend"])
        expect(page.locator("svg.dashboard-chart")).to_have_count(6)
        shoot(page, "admin-dashboard", language)
        page.locator("#top-agents-module summary").click()
        expect(page.locator("#top-agents-table")).to_contain_text("agent.sato")
        assert refused == []
    finally:
        context.close()
