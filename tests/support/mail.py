"""A real SMTP server for the tests that send mail."""

from __future__ import annotations

import asyncio
import time
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.smtp import SMTP as SmtpProtocol


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
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} mails, got {len(self.messages)}")
            await asyncio.sleep(0.02)
        return list(self.messages)
