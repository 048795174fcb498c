"""Conformance kits of the channels that need more than one emulator, no HTTP door or
no platform to answer: Avito (a listing's chat), Telegram Business (an account connected
to the bot), e-mail (a Dovecot mailbox in, an SMTP server out) and site forms (a token
instead of a platform, answers by e-mail)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import aiohttp

from config.settings import Settings
from domain.business import chat_address
from tests.emulator.avito import AvitoEmulator
from tests.support.conformance import CUSTOMER, Kit, Raw, TelegramKit, _json
from tests.support.forms import TOKEN as FORMS_TOKEN
from tests.support.mail import IMAP_URL, Mailbox, mail
from tests.support.service import make_settings, wait_until

OWNER = 301


class AvitoKit(Kit):
    name = "avito"
    has_webhook = True
    client_id, client_secret = "avito-client", "avito-secret"
    secret = "avito_webhook_secret_0123456789"

    async def __aenter__(self) -> Kit:
        self.emulator = AvitoEmulator(self.client_id, self.client_secret)
        await self.emulator.__aenter__()
        self.item = self.emulator.listing("Диван угловой")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.emulator.__aexit__(*exc_info)

    def settings(self, database_url: str, port: int) -> Settings:
        self.url = f"http://127.0.0.1:{port}/avito/webhook?secret={self.secret}"
        return make_settings(
            database_url,
            None,
            http_port=port,
            avito_client_id=self.client_id,
            avito_client_secret=self.client_secret,
            avito_api_base=self.emulator.base_url,
            avito_webhook_url=self.url,
        )

    async def ready(self, service: Any) -> None:
        await self.emulator.wait_for(self.webhook_present)

    def _chat(self) -> Any:
        return self.emulator.chat_for(CUSTOMER, self.item)

    def inbound(self, key: int, text: str) -> Raw:
        event = self.emulator.message_event(
            self._chat(), CUSTOMER, "text", {"text": text}, message_id=f"m{key:031x}"
        )
        event["id"] = f"event-{key}"
        return Raw(f"/avito/webhook?secret={self.secret}", json.dumps(event).encode())

    def forged(self, raw: Raw) -> Raw:
        return Raw("/avito/webhook?secret=" + "x" * 30, raw.body, raw.headers)

    def malformed(self) -> Raw:
        body = {"id": "e1", "payload": {"type": "message", "value": {"chat_id": 5}}}
        return Raw(f"/avito/webhook?secret={self.secret}", json.dumps(body).encode())

    def customer(self) -> str:
        return self._chat().chat_id

    def received(self) -> list[str]:
        return [sent.text for sent in self.emulator.sent_to(self.customer())]

    def rate_limit_next(self) -> None:
        self.emulator.rate_limit_next(retry_after=1)

    def break_credentials(self) -> None:
        self.emulator.reject_auth()

    def restore_credentials(self) -> None:
        self.emulator.accept_auth()

    def remove_webhook(self) -> None:
        self.emulator.subscriptions.clear()

    def webhook_present(self) -> bool:
        return self.url in self.emulator.subscriptions


class BusinessKit(TelegramKit):
    """Telegram Business rides on the bot's webhook; its credentials are the bot's, which
    the Telegram channel's probe checks, so this channel has no probe of its own."""

    name = "telegram_business"
    has_webhook = False
    has_probe = False

    async def ready(self, service: Any) -> None:
        await super().ready(service)
        await self.emulator.deliver_webhook(
            self.emulator.make_business_connection_update(OWNER, "Ivan", username="ivan_sales")
        )
        self.connection = self.emulator.business_connection_id(OWNER)

        async def stored() -> bool:
            async with service.ctx.db.uow() as uow:
                return await uow.business.get(self.connection) is not None

        await wait_until(stored)

    def inbound(self, key: int, text: str) -> Raw:
        update = self.emulator.make_business_message_update(self.connection, CUSTOMER, text)
        update["update_id"] = 20_000 + key
        return Raw("/telegram/webhook", json.dumps(update).encode(), self.headers())

    def malformed(self) -> Raw:
        body = {"update_id": 99_002, "business_message": {"chat": "?", "date": "x"}}
        return Raw("/telegram/webhook", json.dumps(body).encode(), self.headers())

    def customer(self) -> str:
        return chat_address(OWNER, CUSTOMER)

    def received(self) -> list[str]:
        return [
            str(call.params.get("text", ""))
            for call in self.emulator.sent_messages(CUSTOMER)
            if call.params.get("business_connection_id")
        ]


class EmailKit(Kit):
    """Mail comes in by IMAP polling: there is no HTTP door, so no forged sender and no
    fuzzed body; a broken login is the refused credentials."""

    name = "email"
    checks_sender = False
    no_rate_limit = "mail goes out over SMTP, not over a platform's HTTP API"
    break_before_start = True
    sender = "anna@example.ru"

    def __init__(self, smtp: Callable[[], Any]) -> None:
        self._smtp_factory = smtp
        self.broken = False

    async def __aenter__(self) -> Kit:
        self.mailbox = Mailbox(IMAP_URL)
        self.smtp = self._smtp_factory()
        await self.smtp.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.smtp.__aexit__(*exc_info)

    def settings(self, database_url: str, port: int) -> Settings:
        settings = self.mailbox.settings(database_url, self.smtp, http_port=port)
        if self.broken:
            return settings.model_copy(update={"imap_password": _secret("wrong-password")})
        return settings

    def inbound(self, key: int, text: str) -> Raw:
        raw = mail(f"Анна <{self.sender}>", "Вопрос", text, f"<k{key}@example.ru>")
        return Raw("", raw)

    def malformed(self) -> Raw:
        return Raw("", b"\x00\xff\xfe this is no mail at all \r\n\r\n\x80")

    async def deliver(self, http: aiohttp.ClientSession, raw: Raw) -> int:
        await self.mailbox.append(raw.body)
        return 200

    async def polled_twice(self, service: Any) -> None:
        """Two more polling rounds went by: every mail appended so far was read. (The
        test clock is moved a second so that each round's note is a new moment.)"""
        for _ in range(2):
            moment = service.ctx.clock.advance(timedelta(seconds=1))
            service.ctx.caches.pop("channel_signals", None)  # note the next round at once

            async def polled(moment: Any = moment) -> bool:
                async with service.ctx.db.uow() as uow:
                    row = await uow.channel_health.get(self.name)
                return row is not None and row.poll_ok_at == moment

            await wait_until(polled)

    def customer(self) -> str:
        return self.sender

    def received(self) -> list[str]:
        texts = []
        for message in self.smtp.messages:
            if self.sender in str(message["To"]):
                body = message.get_body(preferencelist=("plain",))
                texts.append(body.get_content() if body is not None else "")
        return texts

    def break_credentials(self) -> None:
        self.broken = True

    def restore_credentials(self) -> None:
        self.broken = False


class FormKit(Kit):
    """Site forms: a token instead of a platform; answers go by e-mail (SMTP)."""

    name = "form"
    has_probe = False
    no_rate_limit = "a form's answers go by e-mail (SMTP), not over a platform's HTTP API"

    def __init__(self, smtp: Callable[[], Any]) -> None:
        self._smtp_factory = smtp

    async def __aenter__(self) -> Kit:
        self.smtp = self._smtp_factory()
        await self.smtp.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.smtp.__aexit__(*exc_info)

    def settings(self, database_url: str, port: int) -> Settings:
        return make_settings(
            database_url,
            None,
            http_port=port,
            forms_token=FORMS_TOKEN,
            forms_rate_limit=1000,
            smtp_host="127.0.0.1",
            smtp_port=self.smtp.port,
            smtp_security="none",
            email_from="Acme Sales <sales@acme.example>",
        )

    def inbound(self, key: int, text: str) -> Raw:
        body = {"name": "Анна", "email": "anna@example.ru", "comment": text, "tranid": str(key)}
        headers = {"Content-Type": "application/json", "X-Leadkeeper-Token": FORMS_TOKEN}
        return Raw("/intake/form", _json(body), headers)

    def forged(self, raw: Raw) -> Raw:
        return Raw(raw.path, raw.body, {**raw.headers, "X-Leadkeeper-Token": "wrong"})

    def malformed(self) -> Raw:
        headers = {"Content-Type": "application/json", "X-Leadkeeper-Token": FORMS_TOKEN}
        return Raw("/intake/form", b'["not", "a", "form"]', headers)

    def customer(self) -> str:
        return "anna@example.ru"

    def received(self) -> list[str]:
        texts = []
        for message in self.smtp.messages:
            if "anna@example.ru" in str(message["To"]):
                body = message.get_body(preferencelist=("plain",))
                texts.append(body.get_content() if body is not None else "")
        return texts

    def break_credentials(self) -> None:
        raise NotImplementedError  # a form has no credentials at a platform


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)
