"""Special terms through the real bot, the emulator and a clock the test moves: within the
rule (3 %) a discount is approved at once; above it (15 %) the head gets «Одобрить» /
«Отказать» with the lead's context; a manager pressing the head's button, a made-up
request and a repeated press change nothing; a declined request is told to the manager
and not applied; the lead card shows what was granted; /report and the digest list the
terms per manager. A bad value is answered politely and the question stays open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from config.business import Config, parse_config
from domain.clock import ManualClock
from storage.models import LeadEvent
from storage.terms_models import TermRequest
from tests.emulator.telegram import TelegramEmulator
from tests.support.next_steps import (
    ALWAYS,
    ANNA,
    BORIS,
    HEAD,
    JULIA,
    MONDAY_10,
    SERGEY,
    accepted_lead,
    buttons_in,
    count,
    outbox_idle,
    press,
    rows,
    said,
    write,
)
from tests.support.service import TOKEN, make_settings, running_service
from usecases.report_digest import send_digests

NBSP = "\u00a0"
STALE = "Это действие уже неактуально."


def terms_config() -> Config:
    """Sergey (senior) gets every lead; Julia (junior) holds none of them."""
    return parse_config(
        {
            "company": {"timezone": "Europe/Moscow", "working_hours": ALWAYS},
            "sla": {"first_response": "5d", "first_response_reminder": "4d"},
            "team": {
                "heads": [{"telegram_id": HEAD, "name": "Ольга"}],
                "managers": [
                    {
                        "telegram_id": SERGEY,
                        "name": "Сергей",
                        "level": "senior",
                        "working_hours": ALWAYS,
                    },
                    {
                        "telegram_id": JULIA,
                        "name": "Юлия",
                        "level": "junior",
                        "working_hours": ALWAYS,
                    },
                ],
            },
            "lead_classes": [{"name": "standard", "min_level": "senior"}],
            "next_steps": {"enabled": False},
            "special_terms": {
                "discount": {"auto_up_to": 5, "max": 30, "by_level": {"senior": 10}},
                "instalments": {"auto_up_to": 3, "max": 12},
                "deferred_payment": {"auto_up_to": 14, "max": 60},
            },
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def ask_for(emulator: TelegramEmulator, lead: int, kind: str, question: str) -> str:
    """Sergey presses «Особые условия», then the kind; the question he is asked."""
    assert await press(emulator, SERGEY, f"lead:trm:{lead}:") == "Готово"
    await said(emulator, SERGEY, f"Особые условия по лиду #{lead}")
    kinds = buttons_in(emulator, SERGEY, f"Особые условия по лиду #{lead}")
    assert f"lead:trm:{lead}:{kind}" in kinds
    before = count(emulator, SERGEY, question)
    assert await press(emulator, SERGEY, f"lead:trm:{lead}:{kind}") == "Готово"
    return await said(emulator, SERGEY, question, times=before + 1)


async def requests(service: Any) -> list[TermRequest]:
    return await rows(service, select(TermRequest).order_by(TermRequest.id))


async def test_within_the_rule_at_once_above_it_the_head_decides_and_reports_list_both(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, terms_config(), clock=clock) as service:
        lead = await accepted_lead(emulator, ANNA, "Сколько стоят окна?", "Анна")
        assert f"lead:trm:{lead}:" in buttons_in(emulator, SERGEY, f"Лид #{lead} ваш")
        question = await ask_for(emulator, lead, "discount", "Какую скидку дать")
        kinds = buttons_in(emulator, SERGEY, f"Особые условия по лиду #{lead}")
        assert kinds == [f"lead:trm:{lead}:{k}" for k in ("discount", "instalments", "deferred")]
        # A senior's own limit (by_level) is what he is told.
        assert (
            f"Сразу одобряется до 10{NBSP}%" in question
            and f"самое большее — 30{NBSP}%" in question
        )

        # 3 %: within the rule, approved at once; the head hears nothing.
        granted = await write(emulator, SERGEY, "3", "одобрено сразу")
        assert granted == (
            f"✅ Лид #{lead}: скидка 3{NBSP}% — одобрено сразу, это в пределах правила "
            f"(до 10{NBSP}%)."
        )
        assert count(emulator, HEAD, "Запрос особых условий") == 0

        # 15 %: above the senior's 10 %, so the head gets the request with the context.
        await ask_for(emulator, lead, "discount", "Какую скидку дать")
        sent = await write(emulator, SERGEY, "15 %", "Запрос отправлен руководителю")
        assert f"скидка 15{NBSP}% — больше, чем одобряется сразу (до 10{NBSP}%)" in sent
        request_text = await said(emulator, HEAD, f"Запрос особых условий по лиду #{lead}")
        for part in (
            f"Запрошено: скидка 15{NBSP}%",
            "Просит: Сергей (старший уровень)",
            "Клиент: Анна",
            "Этап: новый",
            "Сумма сделки: не указана",
            f"доступно до 10{NBSP}%; самое большее — 30{NBSP}%",
        ):
            assert part in request_text, part
        first, second = await requests(service)
        assert (first.status, first.value, second.status) == ("approved", 3, "pending")
        assert buttons_in(emulator, HEAD, "Запрос особых условий") == [
            f"trm:ok:{second.id}",
            f"trm:no:{second.id}",
        ]

        # Forged presses: the manager presses the head's button; a made-up request; a
        # press that is no button of ours at all.
        assert await press(emulator, SERGEY, f"trm:ok:{second.id}") == "Это решает руководитель."
        assert await press(emulator, JULIA, f"trm:no:{second.id}") == "Это решает руководитель."
        assert await press(emulator, HEAD, f"trm:ok:{second.id + 99}") == STALE
        await press(emulator, HEAD, f"trm:zz:{second.id}")
        assert (await requests(service))[1].status == "pending"

        # The head approves; the manager is told; a second press changes nothing.
        assert await press(emulator, HEAD, f"trm:ok:{second.id}") == "Одобрено"
        told = await said(emulator, SERGEY, "одобрено руководителем")
        assert told == f"✅ Лид #{lead}: скидка 15{NBSP}% — одобрено руководителем (Ольга)."
        await said(emulator, HEAD, f"✅ Одобрено: лид #{lead}, скидка 15{NBSP}% (Сергей)")
        assert await press(emulator, HEAD, f"trm:ok:{second.id}") == "Этот запрос уже решён."
        assert await press(emulator, HEAD, f"trm:no:{second.id}") == "Этот запрос уже решён."
        await outbox_idle(service, emulator)
        assert count(emulator, SERGEY, "одобрено руководителем") == 1
        assert count(emulator, SERGEY, "отказ руководителя") == 0
        second_row = (await requests(service))[1]
        assert second_row.status == "approved" and second_row.decided_at is not None

        # Instalments over 6 months on another lead: the head declines, nothing applied.
        other = await accepted_lead(emulator, BORIS, "Нужен балкон в рассрочку", "Борис")
        question = await ask_for(emulator, other, "instalments", "На сколько месяцев")
        assert (
            "Сразу одобряется до 3 месяцев" in question and "самое большее — 12 месяцев" in question
        )
        await write(emulator, SERGEY, "6 мес", "Запрос отправлен руководителю")
        request_text = await said(emulator, HEAD, f"Запрос особых условий по лиду #{other}")
        assert "Запрошено: рассрочка на 6 месяцев" in request_text
        third = (await requests(service))[2]
        assert await press(emulator, SERGEY, f"trm:no:{third.id}") == "Это решает руководитель."
        assert await press(emulator, HEAD, f"trm:no:{third.id}") == "Отказано"
        declined = await said(emulator, SERGEY, "отказ руководителя")
        assert declined == (
            f"❌ Лид #{other}: рассрочка на 6 месяцев — отказ руководителя (Ольга). "
            "Условия сделки остаются прежними."
        )
        assert await press(emulator, HEAD, f"trm:ok:{third.id}") == "Этот запрос уже решён."
        await outbox_idle(service, emulator)
        assert count(emulator, SERGEY, "одобрено руководителем") == 1
        assert (await requests(service))[2].status == "declined"

        # Recorded on the leads: the history, and the card shows only what was granted.
        events = await rows(service, select(LeadEvent).where(LeadEvent.type.like("terms_%")))
        assert [(e.lead_id, e.type, e.data["value"], e.data.get("by")) for e in events] == [
            (lead, "terms_granted", 3, "rule"),
            (lead, "terms_requested", 15, None),
            (lead, "terms_granted", 15, "head"),
            (other, "terms_requested", 6, None),
            (other, "terms_declined", 6, "head"),
        ]
        view = await write(emulator, SERGEY, f"/lead {lead}", f"#{lead}")
        assert f"💸 Особые условия: скидка 3{NBSP}%, скидка 15{NBSP}%" in view
        view = await write(emulator, SERGEY, f"/lead {other}", f"#{other}")
        assert "Особые условия:" not in view

        # The report of granted terms per manager: /report, his own, and the digest.
        line = f"Сергей: скидка 3{NBSP}%, скидка 15{NBSP}%; 1 отказ"
        report = await write(emulator, HEAD, "/report", "Отчёт команды")
        assert "💸 Особые условия по менеджерам:" in report.splitlines()
        assert line in report.splitlines()
        own = await write(emulator, SERGEY, "/report", "💸 Особые условия")
        assert line in own.splitlines()
        clock.set(datetime(2026, 1, 6, 6, 0, 30, tzinfo=UTC))  # 09:00:30 in Moscow
        await send_digests(service.ctx)
        digest = await said(emulator, HEAD, "Сводка за вчера")
        assert line in digest.splitlines()


async def test_bad_values_limits_a_waiting_request_and_someone_elses_lead(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, terms_config(), clock=clock) as service:
        lead = await accepted_lead(emulator, ANNA, "Нужны двери", "Анна")
        # Julia holds none of it: neither the kinds nor the question are hers.
        assert await press(emulator, JULIA, f"lead:trm:{lead}:") == "Этот лид не ваш."
        assert await press(emulator, JULIA, f"lead:trm:{lead}:discount") == "Этот лид не ваш."
        assert await press(emulator, SERGEY, f"lead:trm:{lead}:nonsense") == STALE

        await ask_for(emulator, lead, "discount", "Какую скидку дать")
        for wrong, answer in (
            ("примерно много", "Не получилось прочитать число"),
            ("-5", "Нужно число больше нуля"),
            ("7,555", "не больше двух"),
            ("40", f"Так много не даётся: самое большее — 30{NBSP}%"),
        ):
            await write(emulator, SERGEY, wrong, answer)
        assert await requests(service) == []
        # Still asking: a fractional percent above the senior's limit goes to the head.
        await write(emulator, SERGEY, "12,5", "Запрос отправлен руководителю")
        await said(emulator, HEAD, f"Запрошено: скидка 12,5{NBSP}%")

        # Another discount while that one waits: told so, nothing new for the head.
        await ask_for(emulator, lead, "discount", "Какую скидку дать")
        waiting = await write(emulator, SERGEY, "20", "уже ждёт решения")
        assert f"запрос: скидка 12,5{NBSP}%" in waiting
        assert count(emulator, HEAD, "Запрос особых условий") == 1

        # Days take their plural: 21 день, and the limit «до 14 дней».
        question = await ask_for(emulator, lead, "deferred", "На сколько дней")
        assert "Сразу одобряется до 14 дней" in question
        await write(emulator, SERGEY, "2,5", "целое число")
        await write(emulator, SERGEY, "21", "Запрос отправлен руководителю")
        await said(emulator, HEAD, "Запрошено: отсрочка платежа на 21 день")

        # /cancel ends the question: a number typed after it is no term.
        await ask_for(emulator, lead, "instalments", "На сколько месяцев")
        await write(emulator, SERGEY, "/cancel", "Отменено")
        await write(emulator, SERGEY, "2", "/leads")  # the staff help text
        assert [r.kind for r in await requests(service)] == ["discount", "deferred"]
