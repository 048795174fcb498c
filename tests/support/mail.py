"""A real SMTP server for the tests that send mail, the test Dovecot's mailboxes, and
mails built for them."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from typing import Any
from urllib.parse import urlsplit

import aioimaplib
from aiosmtpd.smtp import SMTP as SmtpProtocol

from config.settings import Settings
from tests.support.env import patient
from tests.support.service import make_settings


class SmtpServer:
    """aiosmtpd in the test's own event loop on a random loopback port; keeps every mail.
    `refuse` queues answers to the next RCPT commands (e.g. "550 no such user")."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: list[str] = []
        self.port = 0
        self._server: asyncio.base_events.Server | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse:
            return self.refuse.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"

    async def __aenter__(self) -> SmtpServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SmtpProtocol(self, hostname="smtp.test", loop=loop), "127.0.0.1", 0
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[Message]:  # noqa: ASYNC109
        deadline = time.monotonic() + patient(timeout)
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} mails, got {len(self.messages)}")
            await asyncio.sleep(0.02)
        return list(self.messages)


IMAP_URL = os.environ.get(
    "LEADKEEPER_TEST_IMAP_URL", "imap://leadkeeper:leadkeeper@127.0.0.1:10143"
)


class Mailbox:
    """A fresh mailbox on the test Dovecot (any user name logs in and starts empty)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 143
        self.password = parts.password or ""
        self.user = f"lk{uuid.uuid4().hex[:12]}"

    async def _client(self) -> aioimaplib.IMAP4:
        client = aioimaplib.IMAP4(host=self.host, port=self.port, timeout=10)
        await client.wait_hello_from_server()
        response = await client.login(self.user, self.password)
        assert response.result == "OK", response
        return client

    async def append(self, raw: bytes, folder: str = "INBOX") -> None:
        client = await self._client()
        try:
            response = await client.append(raw, mailbox=folder)
            assert response.result == "OK", response
        finally:
            await client.logout()

    async def recreate(self, folder: str) -> None:
        """DELETE and CREATE: the folder's UIDVALIDITY changes, its UIDs start again."""
        client = await self._client()
        try:
            await client.delete(folder)
            response = await client.create(folder)
            assert response.result == "OK", response
        finally:
            await client.logout()

    def settings(self, database_url: str, smtp: SmtpServer | None, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "imap_host": self.host,
            "imap_port": self.port,
            "imap_security": "none",
            "imap_user": self.user,
            "imap_password": self.password,
            "imap_poll_interval": 0.2,
            "email_from": "Acme Sales <sales@acme.example>",
        }
        if smtp is not None:
            values.update(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none")
        values.update(overrides)
        return make_settings(database_url, None, **values)


def dovecot_running() -> bool:
    parts = urlsplit(IMAP_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 143), 1):
            return True
    except OSError:
        return False


def mail(
    sender: str,
    subject: str,
    body: str,
    message_id: str,
    *,
    charset: str = "utf-8",
    in_reply_to: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "sales@acme.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Mon, 05 Jan 2026 09:00:00 +0300"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body, charset=charset)
    return message.as_bytes()
