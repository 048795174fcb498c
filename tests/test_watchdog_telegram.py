"""The watchdog on Telegram, over real HTTP against the emulator, on SQLite and PostgreSQL:
getUpdates answering 401 → exactly one alert to the head, saying which channel, what is
wrong and what to do; restored → one "recovered"; a restart in the middle of an outage
tells nothing again; a removed webhook is noticed and registered again, one pointing
elsewhere is told; nothing is told outside working hours when so configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from domain.clock import ManualClock
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service, wait_until
from tests.support.watchdog import (
    HEAD,
    LOOK_EVERY,
    health,
    minute_passes,
    probed_at_now,
    watchdog_config,
)
from usecases.context import AppContext

WEBHOOK_URL = "https://crm.example.ru/telegram/webhook"


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emulator:
        yield emulator


def _head_texts(telegram: TelegramEmulator) -> list[str]:
    return [str(call.params.get("text", "")) for call in telegram.sent_messages(HEAD)]


async def test_get_updates_401_one_alert_then_one_recovered(
    database_url: str, telegram: TelegramEmulator, clock: ManualClock
) -> None:
    settings = make_settings(database_url, telegram.base_url, telegram_chat_interval=0.05)
    # From the first long poll on (one already waiting would hold its 25 s).
    telegram.fail_next("getUpdates", status=401, description="Unauthorized", times=10_000)
    async with running_service(
        settings, watchdog_config(), clock=clock, watchdog_interval=LOOK_EVERY
    ) as service:
        ctx = service.ctx

        async def noted() -> bool:
            found = await health(ctx, "telegram")
            return found is not None and bool(found.poll_error)

        await wait_until(noted)
        row = await minute_passes(ctx, clock, "telegram")
        assert row.problem == "polling" and "401" in row.detail
        assert _head_texts(telegram) == []  # not yet: five minutes of failing first
        row = await minute_passes(ctx, clock, "telegram", minutes=5)
        assert row.alerted and row.outages == 1
        [alert] = [call.params["text"] for call in await telegram.wait_for_sent(1, HEAD)]
        assert "Telegram-бот" in alert and "не удаётся забирать новые сообщения" in alert
        assert "Что сделать:" in alert and "401" in alert
        # The outage goes on: nothing more.
        for _ in range(3):
            await minute_passes(ctx, clock, "telegram")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{service.port}/healthz") as response:
                body = await response.json()
            async with http.get(f"http://127.0.0.1:{service.port}/metrics") as response:
                metrics = await response.text()
        assert response.status == 200 and body["status"] == "ok"
        assert body["channels"]["telegram"]["status"] == "failing"
        assert body["channels"]["telegram"]["problem"] == "polling"
        assert 'leadkeeper_channel_up{channel="telegram",problem="polling"} 0' in metrics
        assert len(_head_texts(telegram)) == 1

        telegram._failures.clear()
        # An update makes the next long poll answer at once (a /start reaches nobody).
        telegram.add_update(telegram.make_text_update(7001, "/start"))

        async def polling_again() -> bool:
            found = await health(ctx, "telegram")
            return found is not None and found.poll_error is None

        await wait_until(polling_again, timeout=40)
        row = await minute_passes(ctx, clock, "telegram")
        assert row.problem is None and not row.alerted
        texts = [call.params["text"] for call in await telegram.wait_for_sent(2, HEAD)]
        assert "снова работает" in texts[1]
        for _ in range(2):
            await minute_passes(ctx, clock, "telegram")
        assert len(_head_texts(telegram)) == 2


async def test_a_restart_during_an_outage_tells_nothing_again(
    database_url: str, telegram: TelegramEmulator, clock: ManualClock
) -> None:
    settings = make_settings(database_url, telegram.base_url, telegram_chat_interval=0.05)
    config = watchdog_config()
    telegram.fail_next("getUpdates", status=401, description="Unauthorized", times=10_000)
    async with running_service(settings, config, clock=clock, watchdog_interval=LOOK_EVERY) as one:
        await probed_at_now(one.ctx, clock, "telegram")

        async def noted() -> bool:
            found = await health(one.ctx, "telegram")
            return found is not None and bool(found.poll_error)

        await wait_until(noted)
        await minute_passes(one.ctx, clock, "telegram")
        row = await minute_passes(one.ctx, clock, "telegram", minutes=5)
        assert row.alerted
        await telegram.wait_for_sent(1, HEAD)
    async with running_service(settings, config, clock=clock, watchdog_interval=LOOK_EVERY) as two:
        for _ in range(4):
            row = await minute_passes(two.ctx, clock, "telegram")
            assert row.problem == "polling" and row.alerted and row.outages == 1
        # Whatever was queued is out by now: still the one alert.
        await wait_until(lambda: _nothing_pending(two.ctx))
        assert len(_head_texts(telegram)) == 1


async def _nothing_pending(ctx: AppContext) -> bool:
    async with ctx.db.uow() as uow:
        counts = await uow.outbox.counts()
    return counts.get("pending", 0) == 0 and counts.get("sending", 0) == 0


async def test_a_removed_webhook_is_registered_again(
    database_url: str, telegram: TelegramEmulator, clock: ManualClock
) -> None:
    settings = make_settings(
        database_url,
        telegram.base_url,
        telegram_mode="webhook",
        telegram_webhook_url=WEBHOOK_URL,
        telegram_webhook_secret="s3cret-token_value",
    )
    async with running_service(
        settings, watchdog_config(), clock=clock, watchdog_interval=LOOK_EVERY
    ) as service:
        ctx = service.ctx

        async def registered_at_start() -> bool:
            return telegram.webhook_url == WEBHOOK_URL

        await wait_until(registered_at_start)
        await minute_passes(ctx, clock, "telegram")
        registered = len(telegram.calls_to("setWebhook"))
        telegram.webhook_url = None  # someone called deleteWebhook
        row = await minute_passes(ctx, clock, "telegram")
        assert telegram.webhook_url == WEBHOOK_URL
        assert len(telegram.calls_to("setWebhook")) == registered + 1
        assert row.problem is None and "registered again" in row.repaired
        assert _head_texts(telegram) == []

        # Pointing at another installation: told once after five minutes, not taken back.
        telegram.webhook_url = "https://other.example.com/hook/SECRET-PATH"
        row = await minute_passes(ctx, clock, "telegram")
        assert row.problem == "webhook_elsewhere" and "SECRET-PATH" not in row.detail
        await minute_passes(ctx, clock, "telegram", minutes=5)
        [alert] = [call.params["text"] for call in await telegram.wait_for_sent(1, HEAD)]
        assert "на другой адрес" in alert and "other.example.com" in alert
        assert telegram.webhook_url.startswith("https://other.example.com")


async def test_nothing_is_told_outside_working_hours(
    database_url: str, telegram: TelegramEmulator, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 1, 5, 20, 0, tzinfo=UTC))  # Monday evening, closed
    config = watchdog_config(working_hours_only=True, working_hours={"mon-fri": "09:00-18:00"})
    settings = make_settings(database_url, telegram.base_url, telegram_chat_interval=0.05)
    telegram.fail_next("getUpdates", status=401, description="Unauthorized", times=10_000)
    async with running_service(
        settings, config, clock=clock, watchdog_interval=LOOK_EVERY
    ) as service:
        ctx = service.ctx

        async def noted() -> bool:
            found = await health(ctx, "telegram")
            return found is not None and bool(found.poll_error)

        await wait_until(noted)
        for _ in range(3):
            row = await minute_passes(ctx, clock, "telegram", minutes=60)
            assert row.problem == "polling" and not row.alerted
        assert _head_texts(telegram) == []
        clock.set(datetime(2026, 1, 6, 9, 0, tzinfo=UTC))  # Tuesday, open
        row = await probed_at_now(ctx, clock, "telegram")
        assert row.alerted
        await telegram.wait_for_sent(1, HEAD)
