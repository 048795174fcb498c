"""The watchdog on e-mail: the test Dovecot refusing the IMAP login (a changed password)
→ exactly one alert to the head in Telegram, naming the mailbox settings to fix."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from domain.clock import ManualClock
from tests.emulator.telegram import TelegramEmulator
from tests.support.mail import IMAP_URL, Mailbox, dovecot_running
from tests.support.service import TOKEN, running_service
from tests.support.watchdog import HEAD, LOOK_EVERY, minute_passes, watchdog_config


async def test_a_refused_imap_login_is_told_once(database_url: str, clock: ManualClock) -> None:
    if not dovecot_running():
        pytest.skip("needs the test Dovecot (scripts/dovecot-test.sh start)")
    mailbox = Mailbox(IMAP_URL)
    async with TelegramEmulator(token=TOKEN) as telegram:
        settings = mailbox.settings(database_url, None).model_copy(
            update={
                "imap_password": SecretStr("changed-by-someone"),
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_api_base": telegram.base_url,
                "telegram_chat_interval": 0.0,
            }
        )
        async with running_service(
            settings, watchdog_config(), clock=clock, watchdog_interval=LOOK_EVERY
        ) as service:
            ctx = service.ctx
            row = await minute_passes(ctx, clock, "email")
            assert row.problem == "login" and "changed-by-someone" not in row.detail
            assert telegram.sent_messages(HEAD) == []
            await minute_passes(ctx, clock, "email", minutes=5)
            [alert] = await telegram.wait_for_sent(1, HEAD)
            text = str(alert.params["text"])
            assert "Почта" in text and "IMAP_PASSWORD" in text
            for _ in range(3):
                await minute_passes(ctx, clock, "email")
            assert len(telegram.sent_messages(HEAD)) == 1
