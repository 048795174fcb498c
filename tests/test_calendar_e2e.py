"""The production calendar through the real bot with a moved clock: a lead at 17:55 on
30 December with a one-hour SLA falls due on the first working day of January; a
transferred working Saturday is a working day, its substituted Monday is not; a stage
named in `sla.pause_in_stages` stops its clock while the customer is thinking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from config.business import parse_config
from domain.clock import ManualClock
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service
from tests.support.team import lead_row
from usecases.timers import check_timers

MSK = ZoneInfo("Europe/Moscow")
HEAD, IVAN, CUSTOMER = 900, 101, 5001
OFFICE = {"mon-fri": "09:00-18:00"}


def config(**sla: Any):  # type: ignore[no-untyped-def]
    return parse_config(
        {
            "company": {"timezone": "Europe/Moscow", "working_hours": OFFICE},
            "calendar": {"country": "ru"},
            "sla": {"first_response": "1h", "first_response_reminder": "50m", **sla},
            "team": {
                "heads": [{"telegram_id": HEAD, "name": "Head", "timezone": "Europe/Moscow"}],
                "managers": [
                    {
                        "telegram_id": IVAN,
                        "name": "Иван",
                        "timezone": "Europe/Moscow",
                        "working_hours": OFFICE,
                    }
                ],
            },
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def _texts(emulator: TelegramEmulator, chat: int) -> list[str]:
    return [str(call.params.get("text", "")) for call in emulator.shown(chat)]


def _buttons(emulator: TelegramEmulator, chat: int, prefix: str) -> list[str]:
    return [
        button.get("callback_data", "")
        for call in emulator.shown(chat)
        for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
        if button.get("callback_data", "").startswith(prefix)
    ]


async def _seen(emulator: TelegramEmulator, chat: int, contains: str, count: int = 1) -> None:
    async def found() -> bool:
        return sum(contains in text for text in _texts(emulator, chat)) >= count

    await emulator.wait_for(found, timeout=10)


async def _accepted_lead(emulator: TelegramEmulator, text: str) -> int:
    emulator.add_update(emulator.make_text_update(CUSTOMER, text, first_name="Анна"))

    async def offered() -> bool:
        return bool(_buttons(emulator, IVAN, "lead:acc:"))

    await emulator.wait_for(offered, timeout=10)
    accept = _buttons(emulator, IVAN, "lead:acc:")[-1]
    emulator.add_update(emulator.make_callback_update(IVAN, accept))
    await _seen(emulator, IVAN, "Анна", count=2)
    return int(accept.split(":")[2])


def _msk(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=MSK)


async def test_new_year_holidays_hold_the_first_response_sla(
    database_url: str, emulator: TelegramEmulator, clock: ManualClock
) -> None:
    clock.set(_msk(2025, 12, 30, 17, 55))
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config(accept_timeout="1d"), clock=clock) as service:
        lead_id = await _accepted_lead(emulator, "Нужны окна, посчитайте до праздников")
        # 5 working minutes on 30 December; 31 December to 11 January are days off.
        lead = await lead_row(service.ctx, lead_id)
        assert lead.next_timer_at is not None
        assert lead.next_timer_at.astimezone(MSK) == _msk(2026, 1, 12, 9, 45)

        for moment in (_msk(2025, 12, 30, 18, 56), _msk(2026, 1, 9, 12, 0)):
            clock.set(moment)
            assert await check_timers(service.ctx) == 0
        clock.set(_msk(2026, 1, 12, 9, 54))
        assert await check_timers(service.ctx) == 1  # the reminder to Ivan
        await _seen(emulator, IVAN, "клиент ждёт ответа")
        assert not any("SLA" in text for text in _texts(emulator, HEAD))
        clock.set(_msk(2026, 1, 12, 9, 56))
        assert await check_timers(service.ctx) == 1
        await _seen(emulator, HEAD, "нет ответа клиенту")
        ping = next(text for text in _texts(emulator, HEAD) if "нет ответа клиенту" in text)
        assert f"#{lead_id}" in ping and "SLA 1 ч" in ping


async def test_transferred_working_saturday_is_a_working_day(
    database_url: str, emulator: TelegramEmulator, clock: ManualClock
) -> None:
    # 1 November 2025 was worked (a Saturday), 3 November given off in exchange.
    clock.set(_msk(2025, 11, 1, 10, 0))
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config(), clock=clock):
        emulator.add_update(emulator.make_text_update(CUSTOMER, "Добрый день, нужны окна"))

        async def offered() -> bool:
            return bool(_buttons(emulator, IVAN, "lead:acc:"))

        await emulator.wait_for(offered, timeout=10)
        await _seen(emulator, CUSTOMER, "в течение 1 ч")

        # Monday 3 November is the day off instead, and 4 November a holiday.
        clock.set(_msk(2025, 11, 3, 10, 0))
        emulator.add_update(emulator.make_text_update(5002, "Здравствуйте, сколько стоит?"))
        await _seen(emulator, 5002, "ср 05.11 09:00")
        assert len(_buttons(emulator, IVAN, "lead:acc:")) == 1


async def _to_proposal_after_reply(
    emulator: TelegramEmulator, lead_id: int, stage_moves: int
) -> None:
    reply = next(b for b in _buttons(emulator, IVAN, f"lead:rep:{lead_id}:"))
    emulator.add_update(emulator.make_callback_update(IVAN, reply))
    await _seen(emulator, IVAN, "Напишите ответ клиенту")
    emulator.add_update(emulator.make_text_update(IVAN, "Отправил вам предложение"))
    await _seen(emulator, CUSTOMER, "Отправил вам предложение")
    emulator.add_update(emulator.make_callback_update(IVAN, f"lead:stg:{lead_id}:proposal"))
    await _seen(emulator, IVAN, "этап «предложение»", count=stage_moves)


@pytest.mark.parametrize("paused", [True, False])
async def test_stage_clock_stands_still_while_the_customer_thinks(
    database_url: str, emulator: TelegramEmulator, clock: ManualClock, paused: bool
) -> None:
    # Wednesday 14 January 2026, 10:00: an ordinary working day.
    clock.set(_msk(2026, 1, 14, 10, 0))
    sla: dict[str, Any] = {"accept_timeout": "1d", "stage_limits": {"proposal": "2h"}}
    if paused:
        sla["pause_in_stages"] = ["proposal"]
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config(**sla), clock=clock) as service:
        lead_id = await _accepted_lead(emulator, "Пришлите коммерческое предложение")
        await _to_proposal_after_reply(emulator, lead_id, stage_moves=1)

        # Three working hours without the customer's answer.
        clock.set(_msk(2026, 1, 14, 13, 30))
        await check_timers(service.ctx)
        stuck = "застрял в этапе"
        if not paused:
            await _seen(emulator, HEAD, stuck)
            return
        assert not any(stuck in text for text in _texts(emulator, HEAD))

        # He answers at 13:30: the clock runs again, two working hours from now.
        emulator.add_update(emulator.make_text_update(CUSTOMER, "Дорого, а скидка будет?"))
        await _seen(emulator, IVAN, "скидка будет")
        clock.set(_msk(2026, 1, 14, 15, 25))
        await check_timers(service.ctx)
        assert not any(stuck in text for text in _texts(emulator, HEAD))
        clock.set(_msk(2026, 1, 14, 15, 31))
        await check_timers(service.ctx)
        await _seen(emulator, HEAD, stuck)
