"""The watchdog's alerts by e-mail as well, over real SMTP (aiosmtpd) and the Telegram
emulator: getUpdates answering 401 → one alert to the head in Telegram and one mail to
each address of `watchdog.email_to`; restored → one "recovered" of each, nothing more."""

from __future__ import annotations

from dataclasses import replace
from email.message import Message

import pytest

from channels.email.plugin import build
from config.business import ConfigError
from domain.clock import ManualClock, SystemClock
from tests.emulator.telegram import TelegramEmulator
from tests.support.mail import SmtpServer
from tests.support.service import TOKEN, make_settings, running_service, wait_until
from tests.support.watchdog import HEAD, LOOK_EVERY, health, minute_passes, watchdog_config
from texts import Texts
from usecases.context import AppContext

ADDRESS = "olga@acme.example"


def _body(message: Message) -> str:
    return str(message.get_payload(decode=True), "utf-8")


async def test_a_failing_channel_is_told_by_mail_too(database_url: str, clock: ManualClock) -> None:
    async with TelegramEmulator(token=TOKEN) as telegram, SmtpServer() as smtp:
        settings = make_settings(
            database_url,
            telegram.base_url,
            telegram_chat_interval=0.05,
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security="none",
            email_from="Acme Sales <sales@acme.example>",
        )
        config = watchdog_config(email_to=[ADDRESS.upper()], email_language="ru")
        telegram.fail_next("getUpdates", status=401, description="Unauthorized", times=10_000)
        async with running_service(
            settings, config, clock=clock, watchdog_interval=LOOK_EVERY
        ) as service:
            ctx = service.ctx

            async def noted() -> bool:
                found = await health(ctx, "telegram")
                return found is not None and bool(found.poll_error)

            await wait_until(noted)
            await minute_passes(ctx, clock, "telegram")
            assert smtp.messages == []
            row = await minute_passes(ctx, clock, "telegram", minutes=5)
            assert row.alerted
            await telegram.wait_for_sent(1, HEAD)
            [alert] = await smtp.wait_for(1)
            assert smtp.envelopes[0][1] == [ADDRESS]
            assert alert["Subject"] == "Канал «Telegram-бот» не работает"
            assert alert["Auto-Submitted"] == "auto-generated"
            body = _body(alert)
            assert "не удаётся забирать новые сообщения" in body and "Что сделать:" in body
            assert "<b>" not in body and "401" in body
            for _ in range(3):
                await minute_passes(ctx, clock, "telegram")
            assert len(smtp.messages) == 1 and len(telegram.sent_messages(HEAD)) == 1

            telegram._failures.clear()
            telegram.add_update(telegram.make_text_update(7001, "/start"))

            async def polling_again() -> bool:
                found = await health(ctx, "telegram")
                return found is not None and found.poll_error is None

            await wait_until(polling_again, timeout=40)
            row = await minute_passes(ctx, clock, "telegram")
            assert row.problem is None
            await telegram.wait_for_sent(2, HEAD)
            mails = await smtp.wait_for(2)
            assert mails[1]["Subject"] == "Канал «Telegram-бот» снова работает"
            assert "перебой длился" in _body(mails[1])
            for _ in range(2):
                await minute_passes(ctx, clock, "telegram")
            assert len(smtp.messages) == 2 and len(telegram.sent_messages(HEAD)) == 2


def test_email_to_without_smtp_is_refused(sqlite_url: str) -> None:
    config = watchdog_config(email_to=[ADDRESS])
    ctx = AppContext(None, SystemClock(), config, Texts(config.texts))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="SMTP_HOST"):
        build(make_settings(sqlite_url, None), ctx)
    assert build(make_settings(sqlite_url, None), replace(ctx, config=watchdog_config())) is None


def test_email_to_takes_only_addresses() -> None:
    with pytest.raises(ConfigError, match=r"email_to\[0\]: .* is not an e-mail address"):
        watchdog_config(email_to=["olga at acme"])
