"""Next steps through the real bot and the emulator, with a clock the test moves: an
accepted lead without a step reminds its manager after remind_after and pings the head
once after head_after; a preset step reminds at its time (the team's «завтра 10:00»),
«Сделано» asks for the next, an overdue one pings the head once, closing the lead ends
every pending row; a typed time is read (and a bad one answered politely); a customer's
reply asks for a step; /today lists them; forged and repeated presses change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from domain.clock import ManualClock
from followups.timed_work import run_timed_work
from storage.step_models import NextStep, NextStepTimer
from tests.emulator.telegram import TelegramEmulator
from tests.support.next_steps import (
    ANNA,
    BORIS,
    HEAD,
    JULIA,
    MONDAY_10,
    SERGEY,
    VERA,
    accepted_lead,
    buttons_in,
    count,
    outbox_idle,
    press,
    rows,
    said,
    step_config,
    write,
)
from tests.support.service import TOKEN, make_settings, running_service


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def tick(service, emulator: TelegramEmulator) -> None:  # type: ignore[no-untyped-def]
    """The scheduler's timed work, now, and what it queued delivered."""
    await run_timed_work(service.ctx)
    await outbox_idle(service, emulator)


async def test_no_next_step_reminds_the_manager_then_pings_the_head_once(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, step_config(), clock=clock) as service:
        lead = await accepted_lead(emulator, ANNA, "Сколько стоит окно?", "Анна")
        # The card carries the presets: one tap sets the step.
        card = buttons_in(emulator, SERGEY, f"Лид #{lead} ваш")
        assert f"lead:ns:{lead}:2h" in card and f"lead:ns:{lead}:t10" in card
        assert f"lead:ns:{lead}:3d" in card and f"lead:ns:{lead}:x" in card

        clock.advance(timedelta(minutes=29))
        await tick(service, emulator)
        assert count(emulator, SERGEY, "нет следующего шага") == 0
        clock.advance(timedelta(minutes=2))
        await tick(service, emulator)
        reminder = await said(emulator, SERGEY, f"У лида #{lead} (Анна) нет следующего шага")
        assert "уже 31 мин" in reminder
        assert f"lead:ns:{lead}:t10" in buttons_in(emulator, SERGEY, "нет следующего шага")
        assert count(emulator, HEAD, "нет следующего шага") == 0

        clock.advance(timedelta(minutes=90))  # 2 h 1 min after the acceptance
        await tick(service, emulator)
        ping = await said(emulator, HEAD, f"У лида #{lead} нет следующего шага")
        assert "Ведёт: Сергей" in ping and "Анна" in ping
        for _ in range(3):
            clock.advance(timedelta(hours=1))
            await tick(service, emulator)
        assert count(emulator, HEAD, "нет следующего шага") == 1
        assert count(emulator, SERGEY, "нет следующего шага") == 1
        timers = await rows(service, select(NextStepTimer).where(NextStepTimer.lead_id == lead))
        assert sorted(timer.status for timer in timers) == ["sent", "sent"]


async def test_a_preset_step_reminds_at_its_time_done_asks_for_the_next_close_ends_it(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, step_config(), clock=clock) as service:
        lead = await accepted_lead(emulator, ANNA, "Нужны окна на дачу", "Анна")

        # Forged presses: Julia on Sergey's lead, a preset that does not exist.
        assert await press(emulator, JULIA, f"lead:ns:{lead}:2h") == "Этот лид не ваш."
        assert (
            await press(emulator, SERGEY, f"lead:ns:{lead}:zz") == "Это действие уже неактуально."
        )
        assert await rows(service, select(NextStep)) == []

        # «Завтра 10:00» is 10:00 Moscow time on the next day: 07:00 UTC.
        toast = await press(emulator, SERGEY, f"lead:ns:{lead}:t10")
        assert toast == "Шаг назначен: завтра в 10:00"
        confirmation = await said(emulator, SERGEY, f"Следующий шаг по лиду #{lead} (Анна)")
        assert "звонок, завтра в 10:00" in confirmation
        (step,) = await rows(service, select(NextStep))
        assert step.due_at == datetime(2026, 1, 6, 7, 0, tzinfo=UTC)

        # The kind changes in place; a press naming another step changes nothing.
        before = len(emulator.calls_to("editMessageText"))
        assert await press(emulator, SERGEY, f"lead:nsk:{lead}:{step.id}.meeting") == "Готово"
        await emulator.wait_for(lambda: len(emulator.calls_to("editMessageText")) > before)
        assert "встреча, завтра в 10:00" in emulator.calls_to("editMessageText")[-1].params["text"]
        stale = await press(emulator, SERGEY, f"lead:nsk:{lead}:{step.id + 7}.offer")
        assert stale == "Это действие уже неактуально."

        # A step is set: the lead's manager is not chased for one.
        clock.advance(timedelta(hours=3))
        await tick(service, emulator)
        assert count(emulator, SERGEY, "нет следующего шага") == 0
        clock.set(datetime(2026, 1, 6, 6, 59, tzinfo=UTC))
        await tick(service, emulator)
        assert count(emulator, SERGEY, "Пора:") == 0
        clock.set(datetime(2026, 1, 6, 7, 0, tzinfo=UTC))
        await tick(service, emulator)
        due = await said(emulator, SERGEY, "⏰ Пора: встреча")
        assert f"лид #{lead} (Анна), назначено на сегодня в 10:00" in due
        done_button = f"lead:nsd:{lead}:{step.id}"
        assert done_button in buttons_in(emulator, SERGEY, "Пора:")

        # Done: asked for the next one, with the presets; pressed again, nothing more.
        assert await press(emulator, JULIA, done_button) == "Этот лид не ваш."
        assert await press(emulator, SERGEY, done_button) == "Отмечено: сделано"
        await said(emulator, SERGEY, f"Шаг по лиду #{lead} выполнен. Какой следующий?")
        assert f"lead:ns:{lead}:2h" in buttons_in(emulator, SERGEY, "Какой следующий?")
        assert await press(emulator, SERGEY, done_button) == "Это действие уже неактуально."
        await outbox_idle(service, emulator)
        assert count(emulator, SERGEY, "выполнен. Какой следующий?") == 1
        clock.advance(timedelta(minutes=31))  # no step since «Сделано»: chased again
        await tick(service, emulator)
        await said(emulator, SERGEY, f"У лида #{lead} (Анна) нет следующего шага уже 31 мин")

        # Not done within the grace: the head is pinged once (after the manager's reminder).
        await press(emulator, SERGEY, f"lead:ns:{lead}:2h")
        clock.advance(timedelta(hours=2))
        await tick(service, emulator)
        await said(emulator, SERGEY, "⏰ Пора: звонок", times=1)
        clock.advance(timedelta(hours=1, minutes=1))
        await tick(service, emulator)
        ping = await said(emulator, HEAD, f"Просрочен шаг по лиду #{lead}: звонок")
        assert "прошло 61 мин" in ping and "Ведёт: Сергей" in ping
        clock.advance(timedelta(hours=5))
        await tick(service, emulator)
        assert count(emulator, HEAD, "Просрочен шаг по лиду") == 1

        # Closed: the open step and every pending row end; nothing fires any more.
        await press(emulator, SERGEY, f"lead:ns:{lead}:3d")
        await said(emulator, SERGEY, "звонок, пт, 09.01 в 18:32")
        await press(emulator, SERGEY, f"lead:won:{lead}:")
        await said(emulator, SERGEY, "Сумма сделки")
        await press(emulator, SERGEY, f"lead:won:{lead}:-")
        await said(emulator, SERGEY, f"Лид #{lead} закрыт: выигран")
        timers = await rows(service, select(NextStepTimer).where(NextStepTimer.lead_id == lead))
        assert not [timer for timer in timers if timer.status == "pending"]
        assert {s.status for s in await rows(service, select(NextStep))} == {
            "done",
            "replaced",
            "cancelled",
        }
        told = (count(emulator, SERGEY, "Пора:"), count(emulator, HEAD, "Просрочен шаг"))
        clock.advance(timedelta(days=5))
        await tick(service, emulator)
        assert (count(emulator, SERGEY, "Пора:"), count(emulator, HEAD, "Просрочен шаг")) == told
        assert count(emulator, SERGEY, "нет следующего шага") == 1


async def test_a_typed_time_a_bad_one_a_customer_reply_and_today(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, step_config(), clock=clock) as service:
        anna = await accepted_lead(emulator, ANNA, "Нужны окна", "Анна")
        boris = await accepted_lead(emulator, BORIS, "Нужны двери", "Борис")
        vera = await accepted_lead(emulator, VERA, "Нужен балкон", "Вера")

        await press(emulator, SERGEY, f"lead:ns:{anna}:x")
        await said(emulator, SERGEY, f"Когда следующий шаг по лиду #{anna}?")
        await write(emulator, SERGEY, "когда-нибудь потом", "Не получилось понять дату и время")
        await write(emulator, SERGEY, "сегодня 09:00", "Это время уже прошло")
        set_text = await write(
            emulator, SERGEY, "15.12 14:30 обсудить доставку", f"Следующий шаг по лиду #{anna}"
        )
        assert "звонок, вт, 15.12 в 14:30." in set_text
        assert "Заметка: обсудить доставку" in set_text
        (typed,) = await rows(service, select(NextStep).where(NextStep.lead_id == anna))
        assert typed.due_at == datetime(2026, 12, 15, 11, 30, tzinfo=UTC)  # 14:30 Moscow
        assert typed.note == "обсудить доставку"
        # The dialog is over: the next words are not a time.
        await write(emulator, SERGEY, "привет", "Команды: /leads")

        # Boris answers while his lead has no step: Sergey is asked, once.
        emulator.add_update(emulator.make_text_update(BORIS, "А когда позвоните?"))
        ask = await said(emulator, SERGEY, f"Клиент ответил по лиду #{boris} (Борис)")
        assert "следующий шаг не назначен" in ask
        emulator.add_update(emulator.make_text_update(BORIS, "Жду звонка"))
        await said(emulator, SERGEY, "Жду звонка")
        await outbox_idle(service, emulator)
        assert count(emulator, SERGEY, f"Клиент ответил по лиду #{boris}") == 1

        # /today: Vera's step falls today, Boris has none, Anna's is in December.
        await press(emulator, SERGEY, f"lead:ns:{vera}:2h")
        today = await write(emulator, SERGEY, "/today", "На сегодня 1 шаг")
        assert f"сегодня в 15:00 · звонок · #{vera} · Вера" in today
        assert f"Без следующего шага — 1 лид:\n#{boris} · Борис" in today
        assert f"#{anna} · Анна" not in today
        clock.advance(timedelta(hours=3, minutes=1))
        await tick(service, emulator)
        today = await write(emulator, SERGEY, "/today", "Просрочен 1 шаг")
        assert f"#{vera} · Вера" in today
        head_today = await write(emulator, HEAD, "/today", "Что ждёт вас сейчас")
        assert "⏰ Просрочен 1 шаг команды:" in head_today
        assert f"#{vera} · Вера · звонок, сегодня в 15:00 · ведёт Сергей" in head_today
