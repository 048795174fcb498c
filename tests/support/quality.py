"""The team and the helpers of the quality-sampling tests: a head, two managers who get
the leads in turn, the team in Moscow time, the sample on Mondays at 10:00 with two
conversations per manager, a survey a minute after a won deal; a week of closed
conversations made through the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from config.business import Config, parse_config
from domain.clock import ManualClock
from followups.timed_work import run_timed_work
from storage.quality_models import QualitySample
from tests.emulator.telegram import TelegramEmulator
from tests.support.next_steps import buttons_in, outbox_idle, press, rows, said

HEAD, SERGEY, JULIA = 900, 101, 102
MANAGERS = (SERGEY, JULIA)
# Tuesday 6 January 2026, 12:00 in Moscow: the week's sample falls due on Monday 12
# January at 10:00 Moscow time, 07:00 UTC.
TUESDAY_NOON = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
SAMPLE_DUE = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)
ALWAYS = {"mon-sun": "00:00-00:00"}
CUSTOMERS = {
    5001: ("Анна", "Нужны окна на дачу"),
    5002: ("Борис", "Сколько стоит балкон?"),
    5003: ("Вера", "Хочу двери в квартиру"),
    5004: ("Глеб", "Нужен расчёт веранды"),
    5005: ("Дина", "Интересуют жалюзи"),
}


def quality_config(**quality: Any) -> Config:
    return parse_config(
        {
            "company": {"timezone": "Europe/Moscow", "working_hours": ALWAYS},
            "sla": {
                "first_response": "5d",
                "first_response_reminder": "4d",
                "accept_timeout": "1d",
            },
            "team": {
                "heads": [{"telegram_id": HEAD, "name": "Ольга"}],
                "managers": [
                    {"telegram_id": SERGEY, "name": "Сергей", "working_hours": ALWAYS},
                    {"telegram_id": JULIA, "name": "Юлия", "working_hours": ALWAYS},
                ],
            },
            "next_steps": {"enabled": False},
            "followups": {
                "quiet_hours": "03:00-03:01",
                "sequences": [
                    {
                        "name": "survey",
                        "trigger": {"event": "won"},
                        "marketing": False,
                        "steps": [{"delay": "1m", "survey": True, "text": "Оцените нас:"}],
                    }
                ],
            },
            "quality": {"enabled": True, "send_at": "mon 10:00", "per_manager": 2, **quality},
        }
    )


async def tick(service: Any, emulator: TelegramEmulator) -> None:
    """The scheduler's timed work, now, and what it queued delivered."""
    await run_timed_work(service.ctx)
    await outbox_idle(service, emulator)


@dataclass(frozen=True)
class Closed:
    lead_id: int
    manager: int  # the manager's Telegram id
    customer: int


async def close_a_week(
    service: Any, emulator: TelegramEmulator, clock: ManualClock, scores: dict[int, int]
) -> list[Closed]:
    """Each customer writes; whoever is offered the lead accepts it, answers and closes it
    as won; the customers in `scores` answer the survey with that score."""
    closed = []
    for customer, (name, text) in CUSTOMERS.items():
        emulator.add_update(emulator.make_text_update(customer, text, first_name=name))

        await emulator.wait_for(lambda t=text: _offered(emulator, t) is not None, timeout=10)
        manager = _offered(emulator, text)
        assert manager is not None
        (lead_id,) = {
            int(data.split(":")[2])
            for data in buttons_in(emulator, manager, text)
            if ":acc:" in data
        }
        await press(emulator, manager, f"lead:acc:{lead_id}:")
        await said(emulator, manager, f"Лид #{lead_id} ваш")
        await press(emulator, manager, f"lead:rep:{lead_id}:")
        await said(emulator, manager, f"Напишите ответ клиенту по лиду #{lead_id}")
        emulator.add_update(emulator.make_text_update(manager, f"{name}, считаем, ответим"))
        await said(emulator, customer, f"{name}, считаем, ответим")
        await press(emulator, manager, f"lead:won:{lead_id}:-")
        await said(emulator, manager, f"Лид #{lead_id} закрыт: выигран")
        closed.append(Closed(lead_id, manager, customer))
        clock.advance(timedelta(hours=1))
    await tick(service, emulator)
    for customer, score in scores.items():
        buttons = buttons_in(emulator, customer, "Оцените нас")
        survey = [data for data in buttons if data.startswith("srv:")]
        await press(emulator, customer, survey[score - 1])
    await outbox_idle(service, emulator)
    return closed


def _offered(emulator: TelegramEmulator, text: str) -> int | None:
    """The manager offered the lead that `text` opened, once he has its card."""
    for manager in MANAGERS:
        if any(":acc:" in data for data in _buttons(emulator, manager, text)):
            return manager
    return None


def _buttons(emulator: TelegramEmulator, chat: int, contains: str) -> list[str]:
    try:
        return buttons_in(emulator, chat, contains)
    except IndexError:
        return []


async def samples(service: Any) -> list[QualitySample]:
    return await rows(service, select(QualitySample).order_by(QualitySample.id))
