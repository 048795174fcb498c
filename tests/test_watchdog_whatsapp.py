"""The watchdog on WhatsApp, over real HTTP against the Graph emulator: with
WHATSAPP_BUSINESS_ACCOUNT_ID set the probe reads /{waba-id}/subscribed_apps; our app
among them is healthy, another app only or a refused re-subscription is a problem with
a readable reason, an empty list is subscribed again; a WABA id Graph does not know says
so; told to the head once it lasts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from channels.whatsapp.health import whatsapp_probe
from channels.whatsapp.sender import WhatsAppApi
from domain.channel_health import Found, Problem
from domain.clock import ManualClock
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.whatsapp import WhatsAppEmulator
from tests.support.service import TOKEN as TG_TOKEN
from tests.support.service import running_service
from tests.support.watchdog import HEAD, LOOK_EVERY, minute_passes, watchdog_config
from tests.support.whatsapp import TOKEN, wa_settings


@pytest.fixture
async def graph() -> AsyncIterator[WhatsAppEmulator]:
    async with WhatsAppEmulator(TOKEN) as emulator:
        yield emulator


async def _probe(
    wa: WhatsAppEmulator, waba_id: str | None = "", app_id: str | None = None
) -> Found:
    api = WhatsAppApi(wa.base_url, wa.version, wa.phone_number_id, TOKEN)
    try:
        return await whatsapp_probe(api, wa.waba_id if waba_id == "" else waba_id, app_id)()
    finally:
        await api.close()


async def test_our_subscribed_app_is_healthy(graph: WhatsAppEmulator) -> None:
    assert (await _probe(graph)).ok
    assert (await _probe(graph, app_id=graph.app_id)).ok
    assert (await _probe(graph, waba_id=None)).ok


async def test_another_app_only_is_a_readable_problem(graph: WhatsAppEmulator) -> None:
    graph.subscribed_apps = ["1111222233334444"]
    found = await _probe(graph, app_id=graph.app_id)
    assert found.problem is Problem.WEBHOOK_ELSEWHERE
    assert found.detail == (
        "GET subscribed_apps: the business account's webhooks go to app(s) "
        f"1111222233334444, not to app {graph.app_id}"
    )


async def test_no_app_subscribed_is_subscribed_again(graph: WhatsAppEmulator) -> None:
    graph.subscribed_apps = []
    found = await _probe(graph)
    assert found.ok and "subscribed again" in found.repaired
    assert graph.subscribed_apps == [graph.app_id]


async def test_a_refused_subscription_is_a_readable_problem(graph: WhatsAppEmulator) -> None:
    graph.subscribed_apps = []
    graph.subscribe_error = (403, 200, "(#200) Permissions error")
    found = await _probe(graph)
    assert found.problem is Problem.WEBHOOK_MISSING
    assert "no app is subscribed to the business account" in found.detail
    assert "POST subscribed_apps: HTTP 403 error 200: (#200) Permissions error" in found.detail


async def test_an_unknown_business_account(graph: WhatsAppEmulator) -> None:
    found = await _probe(graph, waba_id="999")
    assert found.problem is Problem.UNREACHABLE
    assert found.detail.startswith("GET subscribed_apps: HTTP 400 error 100: Unsupported get")


async def test_a_lost_subscription_is_told_to_the_head(
    database_url: str, graph: WhatsAppEmulator, clock: ManualClock
) -> None:
    graph.subscribed_apps = ["1111222233334444"]
    async with TelegramEmulator(token=TG_TOKEN) as telegram:
        settings = wa_settings(
            database_url,
            graph,
            telegram_bot_token=TG_TOKEN,
            telegram_api_base=telegram.base_url,
            telegram_chat_interval=0.05,
            whatsapp_business_account_id=graph.waba_id,
            whatsapp_app_id=graph.app_id,
        )
        async with running_service(
            settings, watchdog_config(), clock=clock, watchdog_interval=LOOK_EVERY
        ) as service:
            ctx = service.ctx
            row = await minute_passes(ctx, clock, "whatsapp")
            assert row.problem == "webhook_elsewhere" and "1111222233334444" in row.detail
            await minute_passes(ctx, clock, "whatsapp", minutes=5)
            [alert] = [call.params["text"] for call in await telegram.wait_for_sent(1, HEAD)]
            assert "WhatsApp" in alert and "WHATSAPP_APP_ID" in alert
            graph.subscribed_apps.append(graph.app_id)
            row = await minute_passes(ctx, clock, "whatsapp")
            assert row.problem is None
            texts = [call.params["text"] for call in await telegram.wait_for_sent(2, HEAD)]
            assert "снова работает" in texts[1]
