"""The incident page and its session list, as HTML (the buttons are in test_page_buttons.py and
test_page_create.py, the refreshing list in test_page_list_refresh.py)."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from sessions_app.models import Session
from tests.factories import SessionFactory

from .page_client import LIST, PAGE, text_of


def test_the_page_lists_the_incidents_sessions_newest_first_with_a_labelled_state(signed_in, agent, other_agent):
    SessionFactory(agent=agent, code="s11-111-111", state=Session.State.CLOSED, closed_at=timezone.now(),
                 created_at=timezone.now() - timedelta(hours=2))
    SessionFactory(agent=other_agent, code="s22-222-222", state=Session.State.ACTIVE,
                 created_at=timezone.now() - timedelta(hours=1))
    SessionFactory(agent=agent, code="s33-333-333")
    SessionFactory(agent=agent, code="s44-444-444", incident_id="INC-9999")
    page = text_of(signed_in.get(PAGE))
    codes = re.findall(r'class="session-code" id="code-[^"]+">([^<]+)<', page)
    assert codes == ["s33-333-333", "s22-222-222", "s11-111-111"]
    badges = re.findall(r'<span class="badge badge-(\w+)">.*?</span>([^<]+)</span>', page)
    assert badges == [
        ("open", "Waiting for the customer"),
        ("active", "Customer online"),
        ("closed", "Closed"),
    ]
    assert "agent.jones" in page and "Hanako Yamada" in page and "hanako@example.com" in page


def test_an_incident_without_sessions_says_so_and_offers_the_create_form(signed_in):
    page = text_of(signed_in.get(PAGE))
    assert "No TeamViewer sessions for this incident yet." in page
    assert 'id="create-section" class="block" aria-labelledby="create-heading">' in page


def test_the_create_form_is_prefilled_from_the_query_string_and_escaped(signed_in):
    query = "?requester_name=%3Cscript%3Ealert(1)%3C/script%3E&requester_email=hanako@example.com"
    page = text_of(signed_in.get(PAGE + query))
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert 'value="hanako@example.com"' in page
    assert "<script>alert(1)" not in page


def test_every_fact_of_a_session_is_escaped_in_the_list(signed_in, agent):
    SessionFactory(
        agent=agent,
        state=Session.State.CLOSED,
        closed_at=timezone.now(),
        requester_name='<b>"Hanako"</b>',
        requester_email="x&y@example.com",
        description="line <i>one</i>\r\nline two\rthree",
        code="s1<2>",
    )
    page = text_of(signed_in.get(PAGE))
    assert "&lt;b&gt;&quot;Hanako&quot;&lt;/b&gt; <span class=\"hint\">&lt;x&amp;y@example.com&gt;</span>" in page
    assert "<dd>line &lt;i&gt;one&lt;/i&gt;<br>line two<br>three</dd>" in page
    assert '<h3 class="session-code" id="code-' in page and ">s1&lt;2&gt;</h3>" in page
    assert "<b>" not in page and "<i>" not in page


def test_an_overlong_prefill_is_cut_to_what_the_form_accepts(signed_in):
    page = text_of(signed_in.get(PAGE + "?requester_name=" + "x" * 500))
    assert 'value="' + "x" * 100 + '"' in page
    assert "x" * 101 not in page


def test_the_create_form_is_hidden_while_the_agent_has_a_waiting_session(signed_in, open_session):
    # The list says so; app.css hides the form (tests/browser check that it is hidden).
    page = text_of(signed_in.get(PAGE))
    assert re.search(r'<div id="sessions" [^>]* data-own-current>', page)


def test_another_agents_live_session_does_not_hide_the_create_form(client, other_agent, open_session):
    client.force_login(other_agent)
    assert "data-own-current" not in text_of(client.get(PAGE))


def test_the_sessions_agent_gets_join_email_and_close(signed_in, open_session):
    page = text_of(signed_in.get(PAGE))
    for action in ("join", "email", "close"):
        assert f'id="{action}-{open_session.pk}"' in page
        assert f"/incidents/INC-1001/sessions/{open_session.pk}/{action}/" in page
    assert "Send email" in page


def test_a_sent_invitation_offers_a_resend(signed_in, agent):
    SessionFactory(agent=agent, email_status=Session.EmailStatus.SENT, email_sent_at=timezone.now())
    assert "Resend email" in text_of(signed_in.get(PAGE))


def test_a_session_without_a_requester_email_asks_for_an_address_beside_send(signed_in, agent):
    session = SessionFactory(agent=agent, requester_email="")
    page = text_of(signed_in.get(PAGE))
    assert f'<input type="email" id="to-{session.pk}" name="to"' in page


def test_another_agent_sees_the_session_but_no_actions_and_no_supporter_link(client, other_agent, open_session):
    client.force_login(other_agent)
    page = text_of(client.get(PAGE))
    assert open_session.code in page
    assert 'data-action="' not in page
    assert "secret=supporter" not in page


def test_staff_get_the_actions_on_any_agents_session(client, staff, open_session):
    client.force_login(staff)
    page = text_of(client.get(PAGE))
    assert f'id="join-{open_session.pk}"' in page and f'id="close-{open_session.pk}"' in page


def test_no_page_ever_carries_the_supporter_link(signed_in, open_session):
    # Join as admin fetches it on demand, audited; it is never in the HTML.
    assert "secret=supporter" not in text_of(signed_in.get(PAGE))
    assert "secret=supporter" not in text_of(signed_in.get(LIST))


def test_a_live_session_past_its_lifetime_shows_expired_with_close_only(signed_in, agent):
    session = SessionFactory(agent=agent, valid_until=timezone.now() - timedelta(minutes=1))
    page = text_of(signed_in.get(PAGE))
    assert '<span class="badge badge-expired">' in page and "Expired" in page
    assert f'id="close-{session.pk}"' in page
    assert f'id="join-{session.pk}"' not in page and f'id="email-{session.pk}"' not in page


def test_closed_sessions_offer_no_actions(signed_in, agent):
    SessionFactory(agent=agent, state=Session.State.CLOSED, closed_at=timezone.now())
    assert not re.search(r"/(join|email|close)/", text_of(signed_in.get(PAGE)))


def test_the_page_speaks_japanese_when_the_browser_asks_for_it(signed_in, open_session):
    page = text_of(signed_in.get(PAGE, HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5"))
    assert '<html lang="ja">' in page
    for words in ("TeamViewer リモートサポート", "お客様の接続待ち", "管理者として参加", "セッションを終了", "依頼者"):
        assert words in page
    assert "Waiting for the customer" not in page


def test_the_page_is_in_english_unless_japanese_is_asked_for(signed_in, open_session):
    page = text_of(signed_in.get(PAGE, HTTP_ACCEPT_LANGUAGE="fr-FR,de;q=0.8"))
    assert '<html lang="en">' in page and "Waiting for the customer" in page


def test_the_script_gets_its_words_in_the_pages_language(signed_in):
    page = text_of(signed_in.get(PAGE, HTTP_ACCEPT_LANGUAGE="ja"))
    assert 'data-working="処理中…"' in page
    assert 'data-network="サーバーに接続できませんでした' in page


def test_the_page_has_no_inline_script_style_or_handler(signed_in, open_session):
    page = text_of(signed_in.get(PAGE))
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag, tag
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"\s(hx-on|on[a-z]+)[=:-]", page)
    # Polling triggers name no filter: htmx would evaluate it, which the CSP forbids.
    assert "[" not in "".join(re.findall(r'hx-trigger="([^"]*)"', page))


def test_htmx_is_served_from_this_server_and_set_up_for_the_csp(signed_in):
    page = text_of(signed_in.get(PAGE))
    src = re.search(r'<script src="/static/(vendor/htmx-[\d.]+\.min\.js)"', page)
    assert src and finders.find(src.group(1)), "htmx is not among the static files"
    config = json.loads(html.unescape(re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', page).group(1)))
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["disableInheritance"] is True  # the list's outerHTML swap is not its buttons'


def test_the_buttons_send_the_csrf_token_the_page_gives_them_in_a_header(agent, open_session):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    page = text_of(browser.get(PAGE))
    headers = json.loads(html.unescape(re.search(r"hx-headers='([^']*)'", page).group(1)))
    assert list(headers) == ["X-CSRFToken"]
    response = browser.post(f"{LIST}{open_session.pk}/email/", {}, HTTP_X_CSRFTOKEN=headers["X-CSRFToken"])
    assert response.status_code == 202


def test_an_incident_id_with_a_control_character_is_not_found(signed_in):
    assert signed_in.get("/incidents/INC%00/").status_code == 404
