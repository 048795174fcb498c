"""Money through the real bot, the emulator and the movable clock: «Выигран» asks the
deal's amount; a typed amount is stored and recorded, «Без суммы» stores none (and is not
averaged), a reply that is no amount gets a polite word and the question stays; and the
revenue in /report, the dashboard report and the heads' digest agree for the same day."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from config.business import parse_config
from domain.clock import ManualClock
from storage.models import Lead, LeadEvent
from tests.emulator.telegram import TelegramEmulator
from tests.support.dashboard import AUTH, PASSWORD, session, sign_in
from tests.support.service import TOKEN, make_settings, running_service
from usecases.report_digest import send_digests

HEAD, IVAN = 900, 101
FIRST, SECOND, THIRD = 5001, 5002, 5003
MONDAY_10 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
ALWAYS = {"mon-sun": "00:00-00:00"}
NBSP = "\u00a0"
CONFIG = {
    "company": {"timezone": "UTC", "working_hours": ALWAYS, "currency": "RUB"},
    "reports": {"digest_time": "09:00"},
    "team": {
        "heads": [{"telegram_id": HEAD, "name": "Olga", "timezone": "UTC"}],
        "managers": [{"telegram_id": IVAN, "name": "Ivan", "working_hours": ALWAYS}],
    },
}


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def texts_to(emulator: TelegramEmulator, chat: int) -> list[str]:
    return [str(call.params.get("text", "")) for call in emulator.shown(chat)]


async def said(emulator: TelegramEmulator, chat: int, contains: str, count: int = 1) -> str:
    def found() -> bool:
        return sum(contains in text for text in texts_to(emulator, chat)) >= count

    await emulator.wait_for(found, timeout=15)
    return [text for text in texts_to(emulator, chat) if contains in text][-1]


def buttons_of(call: Any) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup") or {}
    return [
        (button.get("text", ""), button.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for button in row
    ]


async def accepted_lead(emulator: TelegramEmulator, customer: int, text: str) -> int:
    emulator.add_update(emulator.make_text_update(customer, text, first_name="Клиент"))
    await said(emulator, IVAN, text)
    card = [c for c in emulator.sent_messages(IVAN) if text in str(c.params.get("text", ""))][-1]
    accept = next(data for _, data in buttons_of(card) if data.startswith("lead:acc:"))
    lead_id = int(accept.split(":")[2])
    emulator.add_update(emulator.make_callback_update(IVAN, accept))
    await said(emulator, IVAN, f"Лид #{lead_id} ваш")
    return lead_id


async def press_won(emulator: TelegramEmulator, lead_id: int, asked: int) -> list[tuple[str, str]]:
    """Press the card's «Выигран»; the question's buttons."""
    emulator.add_update(emulator.make_callback_update(IVAN, f"lead:won:{lead_id}:"))
    await said(emulator, IVAN, f"Сумма сделки по лиду #{lead_id}", count=asked)
    prompt = [c for c in emulator.sent_messages(IVAN) if "Сумма сделки" in c.params["text"]][-1]
    return buttons_of(prompt)


async def rows(service: Any, model: Any, *where: Any) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(select(model).where(*where).order_by(model.id)))


async def test_won_asks_the_amount_and_revenue_agrees_in_report_dashboard_and_digest(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(
        database_url, emulator.base_url, dashboard_password=PASSWORD, dashboard_secret="k" * 32
    )
    async with running_service(settings, parse_config(CONFIG), clock=clock) as service:
        # A customer from an ad (deep link), two who just write.
        emulator.add_update(emulator.make_text_update(FIRST, "/start ad_autumn"))
        await said(emulator, FIRST, "Здравствуйте")
        priced = await accepted_lead(emulator, FIRST, "Нужны окна в офис")
        typed = await accepted_lead(emulator, SECOND, "Сколько стоит балкон?")
        skipped = await accepted_lead(emulator, THIRD, "Нужна москитная сетка")

        # Words that are no amount: a polite word, the question stays, nothing closes.
        choices = await press_won(emulator, priced, asked=1)
        assert choices == [("Без суммы", f"lead:won:{priced}:-")]
        for wrong, answer in (
            ("примерно много", "Не получилось прочитать сумму"),
            ("-5000", "не может быть отрицательной"),
            ("0", "больше нуля"),
            ("5 000 000 000 000", "Слишком большая сумма"),
            ("150000,555", "не больше 2 знаков"),
            ("500 $", "ведутся в ₽"),
        ):
            emulator.add_update(emulator.make_text_update(IVAN, wrong))
            reply = await said(emulator, IVAN, answer)
            assert "нажмите «Без суммы»" in reply
        [lead] = await rows(service, Lead, Lead.id == priced)
        assert lead.is_open and lead.amount_minor is None

        emulator.add_update(emulator.make_text_update(IVAN, "1,5 млн"))
        closed = await said(emulator, IVAN, f"Лид #{priced} закрыт")
        assert closed == f"Лид #{priced} закрыт: выигран, сумма сделки 1{NBSP}500{NBSP}000{NBSP}₽."

        await press_won(emulator, typed, asked=1)
        emulator.add_update(emulator.make_text_update(IVAN, "150 000,50"))
        await said(emulator, IVAN, f"Лид #{typed} закрыт")

        # «Без суммы»: won, no amount.
        await press_won(emulator, skipped, asked=1)
        emulator.add_update(emulator.make_callback_update(IVAN, f"lead:won:{skipped}:-"))
        assert await said(emulator, IVAN, f"Лид #{skipped} закрыт") == (
            f"Лид #{skipped} закрыт: выигран."
        )

        leads = {lead.id: lead for lead in await rows(service, Lead)}
        assert (leads[priced].amount_minor, leads[priced].currency) == (150_000_000, "RUB")
        assert (leads[typed].amount_minor, leads[typed].currency) == (15_000_050, "RUB")
        assert leads[skipped].status == "won" and leads[skipped].amount_minor is None
        assert leads[priced].source == "ad_autumn"
        [close] = await rows(
            service, LeadEvent, LeadEvent.lead_id == typed, LeadEvent.type == "closed"
        )
        assert (close.data["amount"], close.data["currency"]) == (150000.5, "RUB")

        # The same day in the three: /report for its date, the dashboard, the digest.
        emulator.add_update(emulator.make_text_update(HEAD, "/report 2026-01-05"))
        report = await said(emulator, HEAD, "Отчёт команды")
        clock.set(datetime(2026, 1, 6, 9, 0, 30, tzinfo=UTC))
        await send_digests(service.ctx)
        digest = await said(emulator, HEAD, "Сводка за вчера</b>, 05.01.2026")

        base = f"http://127.0.0.1:{service.port}"
        async with session() as http:
            await sign_in(http, base)
            query = "from=2026-01-05&to=2026-01-05"
            async with http.get(f"{base}/dashboard/reports?{query}") as response:
                page = await response.text()
            async with http.get(f"{base}/api/reports?{query}", headers=AUTH) as response:
                data = await response.json()

    revenue = f"1{NBSP}650{NBSP}000,50{NBSP}₽"
    average = f"825{NBSP}000,25{NBSP}₽"
    line = f"💰 Выручка: {revenue} (2 сделки, ещё 1 без суммы), средний чек {average}"
    million, balcony = f"1{NBSP}500{NBSP}000{NBSP}₽", f"150{NBSP}000,50{NBSP}₽"
    sources = f"Выручка по источникам: ad_autumn {million}, Telegram-бот {balcony}"
    managers = f"Выручка по менеджерам: Ivan {revenue}"
    for text in (report, digest):
        assert line in text.splitlines()
        assert sources in text.splitlines() and managers in text.splitlines()
    figure = re.search(r'id="n-revenue">([^<]*)<', page)
    assert figure is not None and figure.group(1) == revenue
    assert f'id="n-average">{average}<' in page
    assert 'id="n-deals">2<' in page and 'id="n-unpriced">1<' in page
    assert f'<td>ad_autumn</td><td class="num">{million}</td>' in page
    assert f'<td class="num revenue">{revenue}</td>' in page
    money = data["team"]["revenue"]
    assert money == {
        "currency": "RUB",
        "total": 1650000.5,
        "deals": 2,
        "without_amount": 1,
        "average": 825000.25,
        "by_source": {"ad_autumn": 1500000, "telegram": 150000.5},
    }
    assert data["currency"] == "RUB"
    [ivan] = data["managers"]
    assert ivan["name"] == "Ivan" and ivan["revenue"]["total"] == 1650000.5


async def test_cancel_and_no_amount_end_the_question(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, parse_config(CONFIG), clock=clock) as service:
        lead_id = await accepted_lead(emulator, FIRST, "Нужны окна")
        await press_won(emulator, lead_id, asked=1)
        emulator.add_update(emulator.make_text_update(IVAN, "/cancel"))
        await said(emulator, IVAN, "Отменено")
        # After /cancel a number is no amount any more: it is not taken as one.
        emulator.add_update(emulator.make_text_update(IVAN, "150000"))
        await said(emulator, IVAN, "/leads")  # the staff help text
        [lead] = await rows(service, Lead)
        assert lead.is_open and lead.amount_minor is None

        # Asked again and answered by «Без суммы»: a number typed after it is no amount.
        await press_won(emulator, lead_id, asked=2)
        emulator.add_update(emulator.make_callback_update(IVAN, f"lead:won:{lead_id}:-"))
        await said(emulator, IVAN, f"Лид #{lead_id} закрыт")
        emulator.add_update(emulator.make_text_update(IVAN, "150000"))
        await said(emulator, IVAN, "/leads", count=2)
        [lead] = await rows(service, Lead)
        assert lead.status == "won" and lead.amount_minor is None
