"""The watchdog on VK, over real HTTP against the VK emulator: with VK_CALLBACK_URL set the
probe asks groups.getCallbackServers, and a missing server, one at another address, one
VK has not confirmed or a key without the management right make the channel unhealthy
with a reason a person can read; told to the head once it lasts, with what to do."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from channels.vk.health import vk_probe
from channels.vk.sender import VkApi
from domain.channel_health import Found, Problem
from domain.clock import ManualClock
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.vk import VkEmulator
from tests.support.service import TOKEN as TG_TOKEN
from tests.support.service import make_settings, running_service
from tests.support.watchdog import HEAD, LOOK_EVERY, minute_passes, watchdog_config

VK_TOKEN = "vk1.a.group-token"
OURS = "https://crm.example.ru/vk/callback"


@pytest.fixture
async def vk() -> AsyncIterator[VkEmulator]:
    async with VkEmulator(VK_TOKEN) as emulator:
        yield emulator


async def _probe(vk: VkEmulator, url: str | None = OURS, group_id: int | None = None) -> Found:
    api = VkApi(vk.base_url, VK_TOKEN, "5.199")
    try:
        return await vk_probe(api, url, group_id)()
    finally:
        await api.close()


async def test_our_confirmed_server_is_healthy(vk: VkEmulator) -> None:
    vk.add_callback_server("https://old.example.ru/hook", status="failed")
    vk.add_callback_server(OURS, status="ok")
    assert (await _probe(vk)).ok
    # The community's id came from groups.getById: none was configured.
    [(_, params)] = [call for call in vk.calls if call[0] == "groups.getCallbackServers"]
    assert params["group_id"] == str(vk.group_id)
    assert (await _probe(vk, group_id=vk.group_id)).ok


async def test_without_a_callback_url_only_the_token_is_checked(vk: VkEmulator) -> None:
    assert (await _probe(vk, url=None)).ok
    assert [name for name, _ in vk.calls] == ["groups.getById"]


async def test_a_missing_server_is_a_readable_problem(vk: VkEmulator) -> None:
    found = await _probe(vk)
    assert found.problem is Problem.WEBHOOK_MISSING
    assert found.detail == "groups.getCallbackServers: the community has no Callback API server"


async def test_a_server_at_another_address_is_reported_without_its_path(vk: VkEmulator) -> None:
    vk.add_callback_server("https://other.example.com/SECRET-PATH", status="ok")
    found = await _probe(vk)
    assert found.problem is Problem.WEBHOOK_ELSEWHERE
    assert "no server at https://crm.example.ru" in found.detail
    assert "https://other.example.com (ok)" in found.detail and "SECRET" not in found.detail


@pytest.mark.parametrize("status", ["unconfigured", "failed", "wait"])
async def test_our_server_not_confirmed_is_a_problem(vk: VkEmulator, status: str) -> None:
    vk.add_callback_server(OURS, status=status)
    found = await _probe(vk)
    assert found.problem is Problem.WEBHOOK_ERRORS
    assert f"status '{status}', not 'ok'" in found.detail


async def test_a_key_without_the_management_right(vk: VkEmulator) -> None:
    vk.add_callback_server(OURS)
    vk.manage_right = False
    found = await _probe(vk)
    assert found.problem is Problem.TOKEN
    assert found.detail.startswith("groups.getCallbackServers: VK error 15: Access denied")


async def test_a_wrong_callback_server_is_told_to_the_head(
    database_url: str, vk: VkEmulator, clock: ManualClock
) -> None:
    vk.add_callback_server("https://other.example.com/hook", status="ok")
    async with TelegramEmulator(token=TG_TOKEN) as telegram:
        settings = make_settings(
            database_url,
            telegram.base_url,
            telegram_chat_interval=0.05,
            vk_group_token=VK_TOKEN,
            vk_secret="callback-secret",
            vk_confirmation_code="a1b2c3d4",
            vk_api_base=vk.base_url,
            vk_callback_url=OURS,
        )
        async with running_service(
            settings, watchdog_config(), clock=clock, watchdog_interval=LOOK_EVERY
        ) as service:
            ctx = service.ctx
            row = await minute_passes(ctx, clock, "vk")
            assert row.problem == "webhook_elsewhere" and "other.example.com" in row.detail
            row = await minute_passes(ctx, clock, "vk", minutes=5)
            assert row.alerted
            [alert] = [call.params["text"] for call in await telegram.wait_for_sent(1, HEAD)]
            assert "ВКонтакте" in alert and "нет сервера Callback API с нашим адресом" in alert
            assert "VK_CALLBACK_URL" in alert

            vk.callback_servers[0]["url"] = OURS
            row = await minute_passes(ctx, clock, "vk")
            assert row.problem is None
            texts = [call.params["text"] for call in await telegram.wait_for_sent(2, HEAD)]
            assert "снова работает" in texts[1]
