"""The channel conformance kit: one small adapter per registered channel, over its real
emulator, so that tests/test_channel_conformance.py checks every channel the same way.

A kit says how to make an authentic inbound request (and a forged one, and one with the
right credentials but a body of the wrong shape), who the customer is for an outbound
send, what the emulator delivered to him, and how to break the channel's credentials or
take its webhook away, and how to make the platform answer its next send with its rate
limit (each emulator's `rate_limit_next`) or refuse the credentials (`reject_auth`). A new
channel in channels/registry.py needs a kit here: the suite fails until it has one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from config.settings import Settings
from tests.emulator.max import MaxEmulator
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.vk import VkEmulator
from tests.emulator.whatsapp import WhatsAppEmulator, sign
from tests.support.service import TOKEN, make_settings

CUSTOMER = 7001


@dataclass
class Raw:
    """One inbound request as the platform makes it."""

    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Kit:
    """The base: an HTTP channel. Subclasses fill in the platform's words."""

    name = ""
    # The channel proves who posts (a secret, a signature, a token): a forged one is refused.
    checks_sender = True
    # Its webhook (or subscription) can be taken away and is set again by the probe.
    has_webhook = False
    # It has credentials at a platform that the watchdog's probe checks.
    has_probe = True
    # The credentials are broken before the service starts (a mail login), not while it runs.
    break_before_start = False
    # Why a send here cannot meet a platform's rate limit; empty: it can (rate_limit_next).
    no_rate_limit = ""
    # The wait a rate-limited send is retried after: the platform's advice (1 s is asked
    # for) or, where the platform names none, the channel's own.
    retry_delay = 1.0
    base = ""  # the service's address, set by the test

    async def __aenter__(self) -> Kit:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    def settings(self, database_url: str, port: int) -> Settings:
        raise NotImplementedError

    async def ready(self, service: Any) -> None:
        """Wait until the service is connected to the platform (webhook registered)."""

    def inbound(self, key: int, text: str) -> Raw:
        raise NotImplementedError

    def forged(self, raw: Raw) -> Raw:
        raise NotImplementedError

    def malformed(self) -> Raw:
        raise NotImplementedError

    async def deliver(self, http: aiohttp.ClientSession, raw: Raw) -> int:
        async with http.post(self.base + raw.path, data=raw.body, headers=raw.headers) as answer:
            await answer.read()
            return answer.status

    def customer(self) -> str:
        """The chat an outbound send goes to (a customer who wrote first)."""
        return str(CUSTOMER)

    def received(self) -> list[str]:
        """The texts the platform delivered to the customer so far."""
        raise NotImplementedError

    def rate_limit_next(self) -> None:
        """The platform answers the next send to the customer with its rate limit."""
        raise NotImplementedError

    def break_credentials(self) -> None:
        raise NotImplementedError

    def restore_credentials(self) -> None:
        raise NotImplementedError

    def remove_webhook(self) -> None:
        raise NotImplementedError

    def webhook_present(self) -> bool:
        return True


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


class TelegramKit(Kit):
    name = "telegram"
    has_webhook = True
    secret = "tg-secret_token-42"

    async def __aenter__(self) -> Kit:
        self.emulator = TelegramEmulator(token=TOKEN)
        await self.emulator.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.emulator.__aexit__(*exc_info)

    def settings(self, database_url: str, port: int) -> Settings:
        self.url = f"http://127.0.0.1:{port}/telegram/webhook"
        return make_settings(
            database_url,
            self.emulator.base_url,
            http_port=port,
            telegram_mode="webhook",
            telegram_webhook_url=self.url,
            telegram_webhook_secret=self.secret,
            telegram_chat_interval=0.0,
        )

    async def ready(self, service: Any) -> None:
        await self.emulator.wait_for(lambda: self.emulator.webhook_url == self.url, timeout=15)

    def _update(self, key: int, text: str) -> dict[str, Any]:
        update = self.emulator.make_text_update(CUSTOMER, text)
        update["update_id"] = 10_000 + key
        return update

    def inbound(self, key: int, text: str) -> Raw:
        return Raw("/telegram/webhook", _json(self._update(key, text)), self.headers())

    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": self.secret}

    def forged(self, raw: Raw) -> Raw:
        return Raw(raw.path, raw.body, {**raw.headers, "X-Telegram-Bot-Api-Secret-Token": "x"})

    def malformed(self) -> Raw:
        body = {"update_id": 99_001, "message": {"message_id": "not a number", "chat": 5}}
        return Raw("/telegram/webhook", _json(body), self.headers())

    def received(self) -> list[str]:
        return [str(c.params.get("text", "")) for c in self.emulator.sent_messages(CUSTOMER)]

    def rate_limit_next(self) -> None:
        self.emulator.rate_limit_next(retry_after=1, chat_id=CUSTOMER)

    def break_credentials(self) -> None:
        self.emulator.reject_auth()

    def restore_credentials(self) -> None:
        self.emulator.accept_auth()

    def remove_webhook(self) -> None:
        self.emulator.webhook_url = None

    def webhook_present(self) -> bool:
        return self.emulator.webhook_url == self.url


class VkKit(Kit):
    name = "vk"
    token, secret = "vk-group-token", "vk-callback-secret"

    async def __aenter__(self) -> Kit:
        self.emulator = VkEmulator(self.token)
        await self.emulator.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.emulator.__aexit__(*exc_info)

    def settings(self, database_url: str, port: int) -> Settings:
        return make_settings(
            database_url,
            None,
            http_port=port,
            vk_group_token=self.token,
            vk_confirmation_code="abc123",
            vk_secret=self.secret,
            vk_group_id=self.emulator.group_id,
            vk_api_base=self.emulator.base_url,
        )

    def inbound(self, key: int, text: str) -> Raw:
        event = self.emulator.message_new(CUSTOMER, text, secret=self.secret)
        event["event_id"] = f"{key:040x}"
        event["object"]["message"]["id"] = key
        return Raw("/vk/callback", _json(event), {"Content-Type": "application/json"})

    def forged(self, raw: Raw) -> Raw:
        event = json.loads(raw.body)
        event["secret"] = "wrong"
        return Raw(raw.path, _json(event), raw.headers)

    def malformed(self) -> Raw:
        event = {"type": "message_new", "object": {"message": "??"}, "secret": self.secret}
        event["group_id"] = self.emulator.group_id
        return Raw("/vk/callback", _json(event), {"Content-Type": "application/json"})

    def received(self) -> list[str]:
        return [sent.text for sent in self.emulator.sent if sent.peer_id == CUSTOMER]

    def rate_limit_next(self) -> None:
        self.emulator.rate_limit_next()  # error 6 names no wait; the sender's is 1 s

    def break_credentials(self) -> None:
        self.emulator.reject_auth()

    def restore_credentials(self) -> None:
        self.emulator.accept_auth()


class WhatsAppKit(Kit):
    name = "whatsapp"
    # Meta's 130429 names no wait: the sender's own for it (channels/whatsapp/sender.py).
    retry_delay = 5.0
    token, app_secret, phone = "EAAG-token", "meta-app-secret", "79001234567"

    async def __aenter__(self) -> Kit:
        self.emulator = WhatsAppEmulator(self.token)
        await self.emulator.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.emulator.__aexit__(*exc_info)

    def settings(self, database_url: str, port: int) -> Settings:
        return make_settings(
            database_url,
            None,
            http_port=port,
            whatsapp_token=self.token,
            whatsapp_phone_number_id=self.emulator.phone_number_id,
            whatsapp_app_secret=self.app_secret,
            whatsapp_verify_token="verify-me",
            whatsapp_api_base=self.emulator.base_url,
            whatsapp_api_version=self.emulator.version,
        )

    def _signed(self, body: bytes, secret: str) -> Raw:
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, secret)}
        return Raw("/whatsapp/webhook", body, headers)

    def inbound(self, key: int, text: str) -> Raw:
        webhook = self.emulator.text_webhook(self.phone, text, wamid=f"wamid.K{key:08d}")
        return self._signed(_json(webhook), self.app_secret)

    def forged(self, raw: Raw) -> Raw:
        return self._signed(raw.body, "not-the-app-secret")

    def malformed(self) -> Raw:
        body = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": 7}]}]}
        return self._signed(_json(body), self.app_secret)

    def customer(self) -> str:
        return self.phone

    def received(self) -> list[str]:
        return [
            str((sent.get("text") or {}).get("body", ""))
            for sent in self.emulator.sent
            if sent.get("to") == self.phone
        ]

    def rate_limit_next(self) -> None:
        self.emulator.rate_limit_next(code=130429)

    def break_credentials(self) -> None:
        self.emulator.reject_auth()

    def restore_credentials(self) -> None:
        self.emulator.accept_auth()


class MaxKit(Kit):
    name = "max"
    has_webhook = True
    token, secret = "max-bot-token-f9LHodD0cOI", "max_webhook-secret_42"

    async def __aenter__(self) -> Kit:
        self.emulator = MaxEmulator(self.token)
        await self.emulator.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.emulator.__aexit__(*exc_info)

    def settings(self, database_url: str, port: int) -> Settings:
        self.url = f"http://127.0.0.1:{port}/max/webhook"
        return make_settings(
            database_url,
            None,
            http_port=port,
            max_bot_token=self.token,
            max_api_base=self.emulator.base_url,
            max_mode="webhook",
            max_webhook_url=self.url,
            max_webhook_secret=self.secret,
        )

    async def ready(self, service: Any) -> None:
        await self.emulator.wait_for(self.webhook_present)

    def inbound(self, key: int, text: str) -> Raw:
        update = self.emulator.message_created(CUSTOMER, text)
        update["message"]["body"]["mid"] = f"mid.{key:016x}"
        headers = {"Content-Type": "application/json", "X-Max-Bot-Api-Secret": self.secret}
        return Raw("/max/webhook", _json(update), headers)

    def forged(self, raw: Raw) -> Raw:
        return Raw(raw.path, raw.body, {**raw.headers, "X-Max-Bot-Api-Secret": "wrong-secret"})

    def malformed(self) -> Raw:
        body = {"update_type": "message_created", "timestamp": 1, "message": "text"}
        headers = {"Content-Type": "application/json", "X-Max-Bot-Api-Secret": self.secret}
        return Raw("/max/webhook", _json(body), headers)

    def received(self) -> list[str]:
        return [sent.text for sent in self.emulator.sent if sent.user_id == CUSTOMER]

    def rate_limit_next(self) -> None:
        self.emulator.rate_limit_next(retry_after=1)

    def break_credentials(self) -> None:
        self.emulator.reject_auth()

    def restore_credentials(self) -> None:
        self.emulator.accept_auth()

    def remove_webhook(self) -> None:
        self.emulator.subscriptions.clear()

    def webhook_present(self) -> bool:
        return any(item.url == self.url for item in self.emulator.subscriptions)
