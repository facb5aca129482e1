"""The session the invitation tests write to, and queueing an invitation for it as the API does."""

from __future__ import annotations

from django.db import transaction

from sessions_app.models import InvitationEmail, Session
from sessions_app.services.emails import invitation_queue

LINK = "https://get.teamviewer.test/s12345678"
SUPPORTER_LINK = "https://supporter.teamviewer.test/secret-supporter-link"
# SessionFactory's fields for the invited session: its code, links and requester, as the tests read them.
INVITED = {
    "code": "s12-345-678",
    "end_customer_link": LINK,
    "supporter_link": SUPPORTER_LINK,
    "requester_email": "taro@example.com",
}


def queue(session: Session, **kwargs) -> InvitationEmail:
    with transaction.atomic():
        return invitation_queue(session=session, requested_by=session.agent, **kwargs)
