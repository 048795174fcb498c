"""Stage playbooks and gates through the real bot, the emulator and a clock the test moves:
the card shows the stage's script and the next stage's checklist; a move to "qualified"
without the checklist is refused with the missing items named in Russian (no keys, no
field ids); answered with a choice button, typed answers and a shared phone, it goes
through; a head's override is recorded with who and what was skipped; refused attempts
are counted per manager in /report and the digest; the JSON API answers 422 with a
`missing` list, takes the answers on /checklist and lets a head override."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import jsonschema
import pytest
from sqlalchemy import select

from config.business import Config, parse_config
from domain.clock import ManualClock
from storage.gate_models import ChecklistAnswer
from storage.models import Contact, Lead, LeadEvent, Manager
from tests.emulator.telegram import TelegramEmulator
from tests.support.dashboard import PASSWORD, csrf_of, session, sign_in
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
from tests.support.service import API_TOKEN, TOKEN, make_settings, running_service
from usecases.report_digest import send_digests

STAGES = {
    "contacted": {"script": "Представьтесь и спросите, что и куда нужно везти."},
    "qualified": {
        "script": "Назовите сроки и предложите расчёт.",
        "checklist": [
            {
                "key": "volume",
                "question": "Какой объём груза?",
                "choices": ["до 1 т", "1–5 т", "больше 5 т"],
            },
            {"key": "route", "question": "Откуда и куда везём?"},
            {"key": "date", "question": "Когда нужна перевозка?"},
        ],
        "required": ["phone"],
    },
    "proposal": {"required": ["amount"]},
}
REFUSED = "пока нельзя перевести на этап «квалифицирован»"
STALE, NOT_YOURS = "Это действие уже неактуально.", "Этот лид не ваш."


def gate_config() -> Config:
    return parse_config(
        {
            "company": {"timezone": "Europe/Moscow", "working_hours": ALWAYS},
            "sla": {"first_response": "5d", "first_response_reminder": "4d"},
            "reports": {"digest_time": "09:00"},
            "team": {
                "heads": [{"telegram_id": HEAD, "name": "Ольга", "timezone": "Europe/Moscow"}],
                "managers": [
                    {"telegram_id": SERGEY, "name": "Сергей", "level": "senior"},
                    {"telegram_id": JULIA, "name": "Юлия", "level": "junior"},
                ],
            },
            "lead_classes": [{"name": "standard", "min_level": "senior"}],
            "next_steps": {"enabled": False},
            "stages": STAGES,
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def status_of(service: Any, lead_id: int) -> str:
    (lead,) = await rows(service, select(Lead).where(Lead.id == lead_id))
    return lead.status


async def events(service: Any, lead_id: int, kind: str) -> list[LeadEvent]:
    return await rows(
        service,
        select(LeadEvent)
        .where(LeadEvent.lead_id == lead_id, LeadEvent.type == kind)
        .order_by(LeadEvent.id),
    )


async def contacted(emulator: TelegramEmulator, customer: int, text: str, name: str) -> int:
    lead = await accepted_lead(emulator, customer, text, name)
    assert await press(emulator, SERGEY, f"lead:stg:{lead}:contacted") == "Готово"
    await said(emulator, SERGEY, f"Лид #{lead}: этап «связались»")
    return lead


async def test_a_move_without_the_checklist_is_refused_and_with_it_allowed(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, gate_config(), clock=clock) as service:
        lead = await contacted(emulator, ANNA, "Нужно перевезти станок", "Анна")

        # The card after the move: the stage's script, the next stage's checklist.
        card = await said(emulator, SERGEY, f"Лид #{lead}: этап «связались»")
        assert "📜 Скрипт этапа «связались»:\nПредставьтесь" in card
        assert "📋 Перед этапом «квалифицирован»:" in card
        assert "⬜ Какой объём груза?" in card and "⬜ телефон клиента" in card
        questions = buttons_in(emulator, SERGEY, f"Лид #{lead}: этап «связались»")
        assert f"lead:gq:{lead}:volume" in questions and f"lead:gq:{lead}:date" in questions

        # Without the checklist: refused, each missing item named, the lead stays.
        toast = await press(emulator, SERGEY, f"lead:stg:{lead}:qualified")
        assert toast == "Этап закрыт: осталось 4 пункта"
        refusal = await said(emulator, SERGEY, REFUSED)
        assert refusal.splitlines()[1:5] == [
            "• Какой объём груза?",
            "• Откуда и куда везём?",
            "• Когда нужна перевозка?",
            "• телефон клиента",
        ]
        for internal in ("volume", "route", "phone", "qualified", "gate"):
            assert internal not in refusal
        assert "попросите руководителя" in refusal
        assert not [b for b in buttons_in(emulator, SERGEY, REFUSED) if ":go:" in b]
        assert await status_of(service, lead) == "contacted"
        # Jumping over "qualified" does not skip its questions.
        assert await press(emulator, SERGEY, f"lead:stg:{lead}:proposal") == (
            "Этап закрыт: осталось 5 пунктов"
        )
        await said(emulator, SERGEY, "• сумма сделки")

        # Forged and stale presses change nothing.
        assert await press(emulator, JULIA, f"lead:gq:{lead}:volume") == NOT_YOURS
        assert await press(emulator, SERGEY, f"lead:gq:{lead}:nosuch") == STALE
        assert await press(emulator, SERGEY, f"lead:ga:{lead}:volume.9") == STALE
        assert await rows(service, select(ChecklistAnswer)) == []

        # A choice button, then typed answers (an empty one is asked again).
        assert await press(emulator, SERGEY, f"lead:gq:{lead}:volume") == "Готово"
        await said(emulator, SERGEY, "❓ Какой объём груза?")
        assert f"lead:ga:{lead}:volume.1" in buttons_in(emulator, SERGEY, "❓ Какой объём")
        await press(emulator, SERGEY, f"lead:ga:{lead}:volume.1")
        saved = await said(emulator, SERGEY, f"✅ Лид #{lead}: «Какой объём груза?» — 1–5 т.")
        assert saved
        await press(emulator, SERGEY, f"lead:gq:{lead}:route")
        await said(emulator, SERGEY, "❓ Откуда и куда везём?")
        await write(emulator, SERGEY, "  Москва —   Казань ", "«Откуда и куда везём?» — Москва")
        await press(emulator, SERGEY, f"lead:gq:{lead}:date")
        await said(emulator, SERGEY, "❓ Когда нужна перевозка?")
        await write(emulator, SERGEY, "15 января", "«Когда нужна перевозка?» — 15 января")
        answers = {a.question_key: a.answer for a in await rows(service, select(ChecklistAnswer))}
        assert answers == {"volume": "1–5 т", "route": "Москва — Казань", "date": "15 января"}

        # The phone is still missing: refused again, with that one item.
        toast = await press(emulator, SERGEY, f"lead:stg:{lead}:qualified")
        assert toast == "Этап закрыт: остался 1 пункт"
        refusal = await said(emulator, SERGEY, REFUSED, times=2)
        assert refusal.splitlines()[1:][:2] == ["• телефон клиента", ""]

        # The customer shares his number; the gate is met and the move goes through.
        emulator.add_update(emulator.make_contact_update(ANNA, "+79161234567", first_name="Анна"))
        await said(emulator, ANNA, "номер")

        async def phone_kept() -> bool:
            (contact,) = await rows(service, select(Contact))
            return bool(contact.phone)

        await emulator.wait_for(phone_kept, timeout=10)
        assert await press(emulator, SERGEY, f"lead:stg:{lead}:qualified") == "Готово"
        moved = await said(emulator, SERGEY, f"Лид #{lead}: этап «квалифицирован»")
        assert "📜 Скрипт этапа «квалифицирован»" in moved
        assert await status_of(service, lead) == "qualified"
        refused = await events(service, lead, "gate_refused")
        assert [e.data["missing"] for e in refused] == [
            ["volume", "route", "date", "phone"],
            ["volume", "route", "date", "phone", "amount"],
            ["phone"],
        ]
        assert await events(service, lead, "gate_overridden") == []

        # /script is in the staff's command menu, described in words.
        menus = [
            str(call.params.get("commands", "")) for call in emulator.calls_to("setMyCommands")
        ]
        assert any("Скрипт и чек-лист этапа" in menu for menu in menus), menus
        # /script N shows the lead's stage script; /script every stage's.
        await write(emulator, SERGEY, f"/script {lead}", f"Лид #{lead}, этап «квалифицирован»")
        every = await write(emulator, SERGEY, "/script", "📜 Скрипты этапов")
        assert "«связались»" in every and "«квалифицирован»" in every


async def test_head_override_is_recorded_and_skips_are_counted_in_reports(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, gate_config(), clock=clock) as service:
        lead = await contacted(emulator, ANNA, "Нужна газель", "Анна")
        other = await contacted(emulator, BORIS, "Нужна фура", "Борис")
        await press(emulator, SERGEY, f"lead:stg:{lead}:qualified")
        await press(emulator, SERGEY, f"lead:stg:{other}:qualified")
        # A manager's forged override is one more refused attempt, nothing else.
        assert await press(emulator, SERGEY, f"lead:go:{other}:qualified") == (
            "Этап закрыт: осталось 4 пункта"
        )
        assert await status_of(service, other) == "contacted"

        # The head is refused too, but offered the override; his own try is not counted.
        await press(emulator, HEAD, f"lead:stg:{lead}:qualified")
        offer = await said(emulator, HEAD, REFUSED)
        assert "переведите лид без них" in offer
        assert f"lead:go:{lead}:qualified" in buttons_in(emulator, HEAD, REFUSED)
        assert await press(emulator, HEAD, f"lead:go:{lead}:qualified") == "Готово"
        told = await said(emulator, HEAD, f"Лид #{lead} переведён на этап «квалифицирован» без")
        assert "• Какой объём груза?" in told and "• телефон клиента" in told
        assert await status_of(service, lead) == "qualified"
        (head,) = await rows(service, select(Manager).where(Manager.telegram_id == HEAD))
        (override,) = await events(service, lead, "gate_overridden")
        assert override.actor == f"manager:{head.id}" and override.manager_id == head.id
        assert override.data["to"] == "qualified" and override.data["from"] == "contacted"
        assert override.data["skipped"] == [
            "Какой объём груза?",
            "Откуда и куда везём?",
            "Когда нужна перевозка?",
            "телефон клиента",
        ]
        # The lead's history shows the override.
        await write(emulator, HEAD, f"/lead {lead}", "без пунктов: Какой объём груза?")

        # Three refused attempts by Sergey; none by the head.
        report = await write(emulator, HEAD, "/report today", "Отчёт команды")
        assert "🚧 Попытки перескочить этап без чек-листа: Сергей 3" in report.splitlines()
        own = await write(emulator, SERGEY, "/report today", "🚧")
        assert "🚧 Ваши попытки перескочить этап без чек-листа: 3" in own.splitlines()
        assert count(emulator, JULIA, "🚧") == 0

        clock.set(datetime(2026, 1, 6, 6, 0, 30, tzinfo=UTC))  # 09:00 in Moscow
        await send_digests(service.ctx)
        await outbox_idle(service, emulator)
        digest = await said(emulator, HEAD, "05.01.2026")
        assert "🚧 Попытки перескочить этап без чек-листа: Сергей 3" in digest.splitlines()


async def test_api_refuses_with_422_and_missing_takes_answers_and_head_override(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, gate_config(), clock=clock) as service:
        lead = await contacted(emulator, ANNA, "Перевезти мебель", "Анна")
        other = await contacted(emulator, BORIS, "Перевезти пианино", "Борис")
        staff = {m.telegram_id: m.id for m in await rows(service, select(Manager))}
        base = f"http://127.0.0.1:{service.port}"
        auth = {"Authorization": f"Bearer {API_TOKEN}"}
        async with aiohttp.ClientSession(headers=auth) as http:
            async with http.get(f"{base}/api/openapi.json") as response:
                doc = await response.json()

            async def post(path: str, who: int, body: Any) -> tuple[int, Any]:
                headers = {"X-Leadkeeper-Manager": str(staff[who])}
                async with http.post(f"{base}{path}", json=body, headers=headers) as response:
                    data = await response.json()
                template = path.replace(f"/{lead}/", "/{lead_id}/").replace(
                    f"/{other}/", "/{lead_id}/"
                )
                answers = doc["paths"][template]["post"]["responses"]
                schema = answers[str(response.status)]["content"]["application/json"]["schema"]
                jsonschema.Draft202012Validator(
                    {**schema, "components": doc["components"]}
                ).validate(data)
                return response.status, data

            status, body = await post(f"/api/leads/{lead}/stage", SERGEY, {"stage": "qualified"})
            assert status == 422 and body["may_override"] is False
            assert body["missing"] == [
                {"kind": "question", "key": "volume", "text": "Какой объём груза?"},
                {"kind": "question", "key": "route", "text": "Откуда и куда везём?"},
                {"kind": "question", "key": "date", "text": "Когда нужна перевозка?"},
                {"kind": "field", "key": "phone", "text": "телефон клиента"},
            ]
            # A manager's override is no override.
            status, body = await post(
                f"/api/leads/{lead}/stage", SERGEY, {"stage": "qualified", "override": True}
            )
            assert status == 422 and "only a head" in body["error"]

            # Bad answers are a 400 with the reason; good ones are kept.
            for bad, reason in (
                ({"answers": {"nosuch": "x"}}, "no such question; known keys: date, route"),
                ({"answers": {"volume": "   "}}, "answers.volume: expected text"),
                ({"answers": []}, "answers: expected an object"),
            ):
                status, body = await post(f"/api/leads/{lead}/checklist", SERGEY, bad)
                assert status == 400 and reason in body["error"]
            status, body = await post(
                f"/api/leads/{lead}/checklist",
                SERGEY,
                {"answers": {"volume": "3 т", "route": "Тверь — Москва", "date": "завтра"}},
            )
            assert status == 200
            assert [item["key"] for item in body["checklist"]] == ["date", "route", "volume"]
            status, body = await post(
                f"/api/leads/{lead}/checklist", JULIA, {"answers": {"date": "x"}}
            )
            assert status == 403
            status, body = await post(f"/api/leads/{lead}/stage", SERGEY, {"stage": "qualified"})
            assert status == 422 and [m["key"] for m in body["missing"]] == ["phone"]

            # The head overrides through the API: allowed and recorded.
            status, body = await post(f"/api/leads/{other}/stage", HEAD, {"stage": "qualified"})
            assert status == 422 and body["may_override"] is True
            status, body = await post(
                f"/api/leads/{other}/stage", HEAD, {"stage": "qualified", "override": True}
            )
            assert status == 200 and body["status"] == "qualified"
            assert any(e["type"] == "gate_overridden" for e in body["events"])
            status, body = await post(
                f"/api/leads/{other}/stage", HEAD, {"stage": "won", "override": True}
            )
            assert status == 400

            # The answers count: with the phone, the manager's move goes through.
            emulator.add_update(
                emulator.make_contact_update(ANNA, "+79161234567", first_name="Анна")
            )
            await said(emulator, ANNA, "номер")

            async def phone_kept() -> bool:
                (lead_row,) = await rows(service, select(Lead).where(Lead.id == lead))
                contacts = await rows(
                    service, select(Contact).where(Contact.id == lead_row.contact_id)
                )
                return bool(contacts[0].phone)

            await emulator.wait_for(phone_kept, timeout=10)
            status, body = await post(f"/api/leads/{lead}/stage", SERGEY, {"stage": "qualified"})
            assert status == 200 and body["status"] == "qualified"
        assert len(await events(service, lead, "gate_refused")) == 3
        assert await events(service, other, "gate_refused") == []


async def test_the_board_refuses_with_what_is_missing_and_the_administrator_overrides(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(
        database_url,
        emulator.base_url,
        telegram_chat_interval=0,
        dashboard_password=PASSWORD,
        dashboard_secret="k" * 32,
    )
    async with running_service(settings, gate_config(), clock=clock) as service:
        lead = await contacted(emulator, ANNA, "Перевезти холодильник", "Анна")
        base = f"http://127.0.0.1:{service.port}"
        async with session() as http:
            await sign_in(http, base)
            async with http.get(f"{base}/dashboard/board") as response:
                csrf = csrf_of(await response.text())
            form = {"csrf": csrf, "lead_id": str(lead), "stage": "proposal"}
            async with http.post(f"{base}/dashboard/board/move", data=form) as response:
                page = await response.text()
            assert response.status == 422 and 'id="board-problem"' in page
            assert (
                f"Лид #{lead} пока нельзя перевести на этап «предложение». Не хватает: "
                "Какой объём груза?; Откуда и куда везём?; Когда нужна перевозка?; "
                "телефон клиента; сумма сделки." in page
            )
            assert 'id="board-override"' in page and "Перевести без них" in page
            assert await status_of(service, lead) == "contacted"
            async with http.post(
                f"{base}/dashboard/board/move",
                data={**form, "override": "1"},
                allow_redirects=False,
            ) as response:
                assert response.status == 303
        assert await status_of(service, lead) == "proposal"
        (override,) = await events(service, lead, "gate_overridden")
        assert override.actor == "dashboard" and override.data["skipped"][-1] == "сумма сделки"
        # The administrator is no manager trying to skip: nothing is counted.
        assert await events(service, lead, "gate_refused") == []
