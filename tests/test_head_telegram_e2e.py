"""The head runs the team from Telegram, through the real bot and the emulator: /today and
/leads list exactly the team's open items (a manager's still only his own), /leads pages
and filters by buttons, «Передать» reassigns a lead someone holds and /handover moves a
manager's leads, the customers are told, the events say who did it; /team names ids,
roles and levels in Russian and who never started the bot; each staff chat has its
role's command menu."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from config.business import parse_config
from domain.clock import ManualClock
from storage.models import Complaint, Lead, LeadEvent, Manager
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service, wait_until
from usecases import head_views

HEAD, SERGEY, JULIA, IVAN = 900, 101, 102, 104
ANNA, BORIS, VERA, GRISHA = 5001, 5002, 5003, 5004
MONDAY_10 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
ALWAYS = {"mon-sun": "00:00-00:00"}


def config(*extra: dict[str, Any]) -> Any:
    return parse_config(
        {
            "company": {"timezone": "UTC", "working_hours": ALWAYS},
            "sla": {
                "first_response": "30m",
                "first_response_reminder": "20m",
                "accept_timeout": "2h",
            },
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
                    *extra,
                ],
            },
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def texts_to(emulator: TelegramEmulator, chat: int) -> list[str]:
    return [str(call.params.get("text", "")) for call in emulator.shown(chat)]


async def said(emulator: TelegramEmulator, chat: int, contains: str, count: int = 1) -> str:
    def found() -> bool:
        return sum(contains in text for text in texts_to(emulator, chat)) >= count

    try:
        await emulator.wait_for(found, timeout=10)
    except AssertionError:
        raise AssertionError(
            f"{chat} never got {contains!r}: {texts_to(emulator, chat)[-4:]}"
        ) from None
    return [text for text in texts_to(emulator, chat) if contains in text][-1]


def buttons_in(emulator: TelegramEmulator, chat: int, contains: str) -> list[str]:
    call = [c for c in emulator.shown(chat) if contains in str(c.params.get("text", ""))][-1]
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def lead_ids(text: str) -> set[int]:
    return {int(found) for found in re.findall(r"#(\d+) ·", text)}


def section(text: str, header: str) -> set[int]:
    """The lead ids listed under the /today section starting with `header`."""
    parts = [part for part in text.split("\n\n") if part.startswith(header)]
    return lead_ids(parts[0]) if parts else set()


async def rows(service: Any, statement: Any) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(statement))


async def ask(emulator: TelegramEmulator, chat: int, command: str, reply: str) -> str:
    before = sum(reply in text for text in texts_to(emulator, chat))
    emulator.add_update(emulator.make_text_update(chat, command))
    return await said(emulator, chat, reply, count=before + 1)


async def test_head_sees_and_steers_the_team(
    database_url: str, emulator: TelegramEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(head_views, "PAGE_SIZE", 2)
    clock = ManualClock(MONDAY_10)
    # The clock stands still: the pace between messages to one chat must not wait on it.
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, config(), clock=clock) as service:
        ids = {m.telegram_id: m.id for m in await rows(service, select(Manager))}
        # Anna's lead: offered to Sergey, who accepts it. Boris's: on offer to Julia.
        emulator.add_update(
            emulator.make_text_update(ANNA, "Сколько стоит окно?", first_name="Анна")
        )
        await said(emulator, SERGEY, "Сколько стоит окно?")
        (anna_lead,) = {
            int(b.split(":")[2]) for b in buttons_in(emulator, SERGEY, "окно") if "acc" in b
        }
        emulator.add_update(emulator.make_callback_update(SERGEY, f"lead:acc:{anna_lead}:"))
        await said(emulator, SERGEY, f"Лид #{anna_lead} ваш")
        emulator.add_update(emulator.make_text_update(BORIS, "Нужны двери", first_name="Борис"))
        await said(emulator, JULIA, "Нужны двери")
        (boris_lead,) = {
            int(b.split(":")[2]) for b in buttons_in(emulator, JULIA, "двери") if "acc" in b
        }
        # Both pause: Vera's lead waits in the queue. Grisha complains.
        for manager in (SERGEY, JULIA):
            await ask(emulator, manager, "/pause", "Пауза включена")
        emulator.add_update(emulator.make_text_update(VERA, "Есть ли скидки?", first_name="Вера"))
        await said(emulator, HEAD, "ждёт в очереди")
        (vera_lead,) = [
            lead.id
            for lead in await rows(service, select(Lead))
            if lead.id not in (anna_lead, boris_lead)
        ]
        emulator.add_update(emulator.make_text_update(GRISHA, "/complaint", first_name="Гриша"))
        await said(emulator, GRISHA, "Опишите")
        emulator.add_update(
            emulator.make_text_update(GRISHA, "Менеджер нагрубил", first_name="Гриша")
        )
        await said(emulator, GRISHA, "принята")
        (complaint,) = await rows(service, select(Complaint))

        clock.advance(timedelta(minutes=31))  # every lead now past its first-response SLA
        today = await ask(emulator, HEAD, "/today", "Что ждёт вас сейчас")
        assert section(today, "🌙 В очереди") == {vera_lead}
        assert section(today, "⏰ Нет первого ответа") == {anna_lead, boris_lead, vera_lead}
        assert section(today, "Без менеджера") == set()
        assert section(today, "🚨 Никто не взял") == set()
        assert section(today, "🐢 Застряли") == set()
        assert f"#{complaint.id} · Гриша: Менеджер нагрубил" in today
        assert "не нажал /start" not in today

        # A manager's own views still show only his lead.
        own = await ask(emulator, SERGEY, "/leads", "Ваши открытые лиды")
        assert lead_ids(own) == {anna_lead}
        own_today = await ask(emulator, SERGEY, "/today", "На сегодня")
        assert lead_ids(own_today) == {anna_lead}

        # The team's leads, two a page, turned and filtered by buttons (edited in place).
        first = await ask(emulator, HEAD, "/leads", "Открытые лиды команды")
        assert "все — 3, страница 1 из 2" in first
        assert lead_ids(first) == {anna_lead, boris_lead}
        assert "ведёт Сергей" in first and "предложен: Юлия" in first
        page_buttons = buttons_in(emulator, HEAD, "Открытые лиды команды")
        assert "lst:all:1:0" in page_buttons
        assert f"lst:m:0:{ids[JULIA]}" in page_buttons

        async def edited(press: str) -> str:
            before = len(emulator.calls_to("editMessageText"))
            emulator.add_update(emulator.make_callback_update(HEAD, press))
            await emulator.wait_for(
                lambda: len(emulator.calls_to("editMessageText")) > before, timeout=10
            )
            return str(emulator.calls_to("editMessageText")[-1].params["text"])

        assert lead_ids(await edited("lst:all:1:0")) == {vera_lead}
        assert lead_ids(await edited("lst:none:0:0")) == {boris_lead, vera_lead}
        assert lead_ids(await edited(f"lst:m:0:{ids[JULIA]}")) == {boris_lead}
        assert lead_ids(await edited("lst:late:0:0")) == {anna_lead, boris_lead}

        # «Передать» on the head's card of a lead Sergey holds: Julia gets it.
        await ask(emulator, HEAD, f"/lead {anna_lead}", f"Лид #{anna_lead}")
        card_buttons = buttons_in(emulator, HEAD, "Клиент: Анна")
        assert f"lead:pass:{anna_lead}:" in card_buttons
        assert f"lead:take:{anna_lead}:" in card_buttons
        emulator.add_update(emulator.make_callback_update(HEAD, f"lead:pass:{anna_lead}:"))
        await said(emulator, HEAD, f"Кому передать лид #{anna_lead}?")
        choice = f"lead:asg:{anna_lead}:{ids[JULIA]}"
        assert choice in buttons_in(emulator, HEAD, "Кому передать")
        emulator.add_update(emulator.make_callback_update(HEAD, choice))
        told = await said(emulator, SERGEY, f"Лид #{anna_lead} (Анна) передан другому менеджеру")
        assert "Юлия" in told and "Ольга" in told
        await said(emulator, ANNA, "Ваше обращение передано менеджеру: Юлия")
        await said(emulator, JULIA, "Сколько стоит окно?")

        # Sergey is back; Julia's leads (one held, one on offer) go to him by /handover.
        await ask(emulator, SERGEY, "/resume", "С возвращением")
        report = await ask(emulator, HEAD, f"/handover {JULIA}", "Лиды сотрудника Юлия переданы")
        assert f"#{anna_lead} → Сергей" in report and f"#{boris_lead} → Сергей" in report
        await said(emulator, ANNA, "Ваше обращение передано менеджеру: Сергей")
        await said(emulator, BORIS, "Ваше обращение передано менеджеру: Сергей")
        await said(emulator, JULIA, "переданы коллегам")

        async def moved() -> bool:
            leads = {lead.id: lead for lead in await rows(service, select(Lead))}
            return all(leads[i].manager_id == ids[SERGEY] for i in (anna_lead, boris_lead))

        await wait_until(moved, timeout=10)
        events = await rows(
            service, select(LeadEvent).where(LeadEvent.type == "reassigned").order_by(LeadEvent.id)
        )
        moves = [(e.lead_id, e.data["from"], e.data["to"], e.data["by"]) for e in events]
        assert moves == [
            (anna_lead, ids[SERGEY], ids[JULIA], "head"),
            (anna_lead, ids[JULIA], ids[SERGEY], "handover"),
            (boris_lead, ids[JULIA], ids[SERGEY], "handover"),
        ]
        assert all(e.actor == f"manager:{ids[HEAD]}" for e in events)


async def test_team_unreachable_staff_invites_and_menus(
    database_url: str, emulator: TelegramEmulator
) -> None:
    emulator.never_started(IVAN)
    ivan = {"telegram_id": IVAN, "name": "Иван", "level": "senior", "working_hours": ALWAYS}
    # The clock stands still: the pace between messages to one chat must not wait on it.
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, config(ivan), clock=ManualClock(MONDAY_10)) as service:
        # The menus are set once the Bot API has answered, in the background.
        await emulator.wait_for(
            lambda: emulator.commands_for_chat(HEAD) and emulator.commands_for_chat(SERGEY),
            timeout=15,
        )
        head_menu = [c["command"] for c in emulator.commands_for_chat(HEAD)]
        manager_menu = [c["command"] for c in emulator.commands_for_chat(SERGEY)]
        for command in ("today", "leads", "handover", "team", "invite", "deactivate", "report"):
            assert command in head_menu
        assert "leads" in manager_menu and "today" in manager_menu and "pause" in manager_menu
        assert not {"team", "handover", "invite", "deactivate"} & set(manager_menu)
        assert emulator.commands_for_chat(IVAN) == []
        descriptions = [c["description"] for c in emulator.commands_for_chat(HEAD)]
        assert "Передать лиды сотрудника" in descriptions

        # The third lead is offered to Ivan (the others had one each): it cannot reach
        # him, the head is told, and that is kept.
        for customer in (ANNA, BORIS, VERA):
            emulator.add_update(emulator.make_text_update(customer, "Нужны окна"))
        await said(emulator, HEAD, "Иван ещё не нажал /start")

        team = await ask(emulator, HEAD, "/team", "Команда")
        assert "Ольга · id 900 · руководитель · " in team
        assert "Сергей · id 101 · менеджер, старший уровень · " in team
        assert "Юлия · id 102 · менеджер, начальный уровень · " in team
        assert "Иван · id 104 · менеджер, старший уровень · " in team
        assert "📵 ещё не нажал /start в боте" in team
        assert "senior" not in team and "manager" not in team and "on_shift" not in team
        today = await ask(emulator, HEAD, "/today", "Что ждёт вас сейчас")
        assert "Иван (id 104) — ещё не нажал /start в боте" in today

        # He presses /start: no longer unreachable, and his menu is set.
        emulator.press_start(IVAN)
        emulator.add_update(emulator.make_text_update(IVAN, "/start"))
        await emulator.wait_for(lambda: emulator.commands_for_chat(IVAN) != [], timeout=10)
        (row,) = await rows(service, select(Manager).where(Manager.telegram_id == IVAN))
        assert row.unreachable_since is None
        team = await ask(emulator, HEAD, "/team", "Команда")
        assert "📵" not in team

        # An invitee joins: the head is told, with the id /team and /deactivate use.
        link = await ask(emulator, HEAD, "/invite middle", "Ссылка-приглашение")
        token = link.rsplit("start=", 1)[1].strip()
        emulator.add_update(emulator.make_text_update(777, f"/start {token}", first_name="Пётр"))
        joined = await said(emulator, HEAD, "принял приглашение")
        assert "Пётр" in joined and "средний уровень" in joined and "777" in joined
        await emulator.wait_for(lambda: emulator.commands_for_chat(777) != [], timeout=10)
