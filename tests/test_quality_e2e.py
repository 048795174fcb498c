"""Quality sampling through the real bot and the emulator, with a clock the test moves:
the weekly sample of closed conversations reaches the head once (N per manager, picked
by the injected random source), not before its time, not again on the next ticks nor
after a restart; the head grades with the card's buttons and comments in a typed
message; a manager's forged press, a repeated press and a made-up sample change
nothing; the grades stand in /report beside the customers' survey scores."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.clock import ManualClock
from domain.quality import Conversation, pick_sample
from followups.digest import run_digest
from storage.quality_models import QualityRound
from tests.emulator.telegram import TelegramEmulator
from tests.support.next_steps import buttons_in, count, outbox_idle, press, rows, said, write
from tests.support.quality import (
    HEAD,
    JULIA,
    MANAGERS,
    SAMPLE_DUE,
    SERGEY,
    TUESDAY_NOON,
    close_a_week,
    quality_config,
    samples,
    tick,
)
from tests.support.service import TOKEN, make_settings, running_service

HEADING = "Выборка недели для оценки"
CARD = "Разговор на оценку"
SEED = 20260112


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def test_the_weekly_sample_reaches_the_head_once_with_n_per_manager(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(TUESDAY_NOON)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, quality_config(), clock=clock) as service:
        service.ctx.rng = random.Random(SEED)
        closed = await close_a_week(service, emulator, clock, scores={})
        by_manager = {m: [c.lead_id for c in closed if c.manager == m] for m in MANAGERS}
        assert sorted(len(leads) for leads in by_manager.values()) == [2, 3]

        clock.set(SAMPLE_DUE - timedelta(minutes=1))
        await tick(service, emulator)
        assert count(emulator, HEAD, HEADING) == 0 and await samples(service) == []

        clock.set(SAMPLE_DUE)
        await tick(service, emulator)
        heading = await said(emulator, HEAD, HEADING)
        assert "4 разговора" in heading
        assert "• Сергей: 2 разговора" in heading and "• Юлия: 2 разговора" in heading
        assert "/dashboard/quality" in heading
        await said(emulator, HEAD, CARD, times=4)

        # Two of each manager's, the ones the seeded random source picks.
        stored = await samples(service)
        ids = {manager: await _manager_id(service, manager) for manager in MANAGERS}
        pool = [Conversation(c.lead_id, ids[c.manager]) for c in closed]
        expected = pick_sample(pool, 2, random.Random(SEED))
        assert [(s.lead_id, s.manager_id) for s in stored] == [
            (c.lead_id, c.manager_id) for c in expected
        ]
        # A card: whose conversation, its outcome, its messages, a link, buttons 1–5.
        first = stored[0]
        card = await said(emulator, HEAD, f"{CARD} — лид #{first.lead_id}")
        assert "итог: выигран · закрыт" in card and "сообщения, последние:" in card
        assert "считаем, ответим" in card and "Клиент:" in card
        assert f"/dashboard/quality#sample-{first.id}" in card
        assert buttons_in(emulator, HEAD, f"лид #{first.lead_id} (") == [
            f"qa:{first.id}:{grade}" for grade in range(1, 6)
        ]
        for manager in MANAGERS:
            assert count(emulator, manager, CARD) == 0

        # Later ticks send nothing more; next week's sample is planned.
        for _ in range(3):
            clock.advance(timedelta(hours=2))
            await tick(service, emulator)
        assert count(emulator, HEAD, HEADING) == 1 and count(emulator, HEAD, CARD) == 4

    # A restart the same week: the week's sample is not sent again.
    async with running_service(settings, quality_config(), clock=clock) as service:
        await tick(service, emulator)
        clock.advance(timedelta(days=1))
        await tick(service, emulator)
        assert count(emulator, HEAD, HEADING) == 1 and count(emulator, HEAD, CARD) == 4
        assert len(await samples(service)) == 4
        weeks = await rows(service, select(QualityRound).order_by(QualityRound.id))
        assert [(w.week, w.status, w.sampled) for w in weeks] == [
            ("2026-W03", "sent", 4),
            ("2026-W04", "pending", 0),
        ]
        # The next week closed nothing: its sample is due, and says nothing.
        clock.set(SAMPLE_DUE + timedelta(days=7))
        await tick(service, emulator)
        assert count(emulator, HEAD, HEADING) == 1


async def test_grading_forged_and_repeated_presses_and_the_report(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(TUESDAY_NOON)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, quality_config(per_manager=1), clock=clock) as service:
        service.ctx.rng = random.Random(SEED)
        closed = await close_a_week(service, emulator, clock, scores={5001: 5, 5002: 3})
        clock.set(SAMPLE_DUE)
        await tick(service, emulator)
        await said(emulator, HEAD, CARD, times=2)
        first, second = await samples(service)
        holder = {c.lead_id: c.manager for c in closed}

        # The manager whose conversation it is may not grade it; nor may anyone else.
        toast = await press(emulator, holder[first.lead_id], f"qa:{first.id}:5")
        assert toast == "Оценивать разговоры может только руководитель."
        assert await press(emulator, HEAD, f"qa:{first.id + 100}:5") == (
            "Это действие уже неактуально."
        )
        assert await press(emulator, HEAD, f"qa:{first.id}:9") == "Это действие уже неактуально."
        assert {s.grade for s in await samples(service)} == {None}

        # The head grades, then types a comment.
        assert await press(emulator, HEAD, f"qa:{first.id}:4") == "Оценка 4 сохранена"
        asked = await said(emulator, HEAD, "Оценка 4 из 5 сохранена")
        assert f"лид #{first.lead_id}" in asked
        assert buttons_in(emulator, HEAD, "Оценка 4 из 5") == [f"qa:{first.id}:0"]
        await write(emulator, HEAD, "Выявил потребность, но не назвал срок", "Комментарий к оценке")
        # Pressed again (or a lower grade): the first grade stands.
        again = await press(emulator, HEAD, f"qa:{first.id}:1")
        assert again == "Этот разговор уже оценён: 4 из 5."
        # The second: a grade and no comment; the next words are no comment.
        assert await press(emulator, HEAD, f"qa:{second.id}:2") == "Оценка 2 сохранена"
        await said(emulator, HEAD, "Оценка 2 из 5 сохранена")
        assert await press(emulator, HEAD, f"qa:{second.id}:0") == "Без комментария"
        await write(emulator, HEAD, "привет", "Команды")
        await outbox_idle(service, emulator)
        graded = await samples(service)
        assert [(s.grade, s.comment) for s in graded] == [
            (4, "Выявил потребность, но не назвал срок"),
            (2, None),
        ]
        head_id = await _manager_id(service, HEAD)
        assert {s.graded_by for s in graded} == {f"manager:{head_id}"}

        # /report: each manager's grade beside his customers' score.
        report = await write(emulator, HEAD, "/report month", "Контроль качества")
        names = {SERGEY: "Сергей", JULIA: "Юлия"}
        surveyed = {c.customer: c.manager for c in closed}
        for sample, grade in ((first, "4,0"), (second, "2,0")):
            manager = holder[sample.lead_id]
            scores = [s for customer, s in ((5001, 5), (5002, 3)) if surveyed[customer] == manager]
            score = f"{sum(scores) / len(scores):.1f}".replace(".", ",") if scores else "—"
            answers = {0: "0 ответов", 1: "1 ответ", 2: "2 ответа"}[len(scores)]
            line = f"{names[manager]}: руководитель {grade} (1 оценка)"
            line += f" · клиенты {score} ({answers})"
            assert line in report, report
        # A manager's own report shows his own grade only.
        own = await write(emulator, holder[first.lead_id], "/report month", "Контроль качества")
        assert f"{names[holder[first.lead_id]]}: руководитель 4,0" in own
        assert f"{names[holder[second.lead_id]]}: руководитель" not in own

        # The next morning's digest (yesterday's figures) carries the same lines.
        clock.set(SAMPLE_DUE + timedelta(days=1))  # Tuesday 10:00 Moscow, past 09:00
        await run_digest(service.ctx)
        digest = await said(emulator, HEAD, "Сводка за вчера</b>, 12.01.2026")
        assert "Контроль качества (руководитель · клиенты):" in digest
        graded_lines = [line for line in report.split("\n") if ": руководитель " in line]
        assert len(graded_lines) == 2
        for line in graded_lines:
            # The same grades; the surveys were answered the week before, not that day.
            name, grade = line.split(":")[0], line.split()[2]
            assert f"{name}: руководитель {grade} (1 оценка) · клиенты — (0 ответов)" in digest


async def _manager_id(service, telegram_id: int) -> int:  # type: ignore[no-untyped-def]
    async with service.ctx.db.uow() as uow:
        member = await uow.managers.by_telegram_id(telegram_id)
    assert member is not None
    return member.id
