"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the tests of delivery."""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Callable, Iterator

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """What the loopback SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[Callable[[int], Inbox]]:
    """``smtp(port)`` starts an SMTP server on loopback; every one started is stopped after."""
    controllers: list[Controller] = []
    mail_log = logging.getLogger("mail.log")  # aiosmtpd logs every SMTP command at INFO
    level = mail_log.level
    mail_log.setLevel(logging.WARNING)

    def start(port: int) -> Inbox:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return inbox

    yield start
    for controller in controllers:
        controller.stop()
    mail_log.setLevel(level)
