"""A full day through the real bot and the Telegram emulator, in Russian and in English
(issue 13): customers write, two managers are offered leads, one declines with a reason,
an offer expires, the lead passes on and the head is pinged, the head hands it out and
reassigns it, /handover moves a manager's leads, a lead is lost with a reason, another
won and surveyed, a customer complains; /today, /leads, /team and /report are asked.
Every text the bot sent anyone (messages, edits, toasts, button labels, command menus)
then passes the catalogue's language check (tests/support/language.py): in Russian no
English words nor internal codes, in English no Russian. Cards of a lead that moved are
edited in place, and a press on such a stale card is answered and edits it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from config.business import parse_config
from domain.clock import ManualClock
from followups.timed_work import run_timed_work
from storage.models import Manager
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.telegram.records import Call
from tests.support.day import (
    ANNA,
    BORIS,
    HEAD,
    IVAN,
    MARIA,
    NAMES,
    VERA,
    data_of,
    day_config,
    everything_sent,
)
from tests.support.language import language_problems, plural_mistakes
from tests.support.service import TOKEN, make_settings, running_service
from texts import Texts

# A Tuesday; the working hours are all day, so the hour does not matter.
START = datetime(2026, 3, 17, 7, 0, tzinfo=UTC)
TEXTS = Texts()


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


class Day:
    """Drives the bot as its people would and waits for what they are shown."""

    def __init__(self, emulator: TelegramEmulator, service: Any, language: str) -> None:
        self.emu = emulator
        self.service = service
        self.language = language
        self.names = NAMES[language]

    def t(self, key: str, **params: object) -> str:
        return str(TEXTS.get(key, self.language, **params))

    def mark(self) -> int:
        return len(self.emu.calls)

    def shown_since(self, mark: int, chat: int) -> list[Call]:
        shown = {id(c) for c in self.emu.shown(chat)}
        return [c for c in self.emu.calls[mark:] if id(c) in shown]

    async def shown(self, mark: int, chat: int, contains: str = "", button: str = "") -> Call:
        """The first thing shown to `chat` since `mark` with that text and button data."""

        def found() -> Call | None:
            for call in self.shown_since(mark, chat):
                text = str(call.params.get("text") or call.params.get("caption") or "")
                if contains in text and (not button or any(button in d for d in data_of(call))):
                    return call
            return None

        try:
            await self.emu.wait_for(found, timeout=15)
        except AssertionError:
            seen = [str(c.params.get("text", ""))[:200] for c in self.shown_since(mark, chat)]
            raise AssertionError(f"{chat} was not shown {contains!r}/{button!r}: {seen}") from None
        call = found()
        assert call is not None
        return call

    async def write(self, chat: int, text: str) -> int:
        mark = self.mark()
        self.emu.add_update(
            self.emu.make_text_update(
                chat,
                text,
                first_name=self.names.get(chat, "X"),
                language_code=self.language,
            )
        )
        return mark

    async def ask(self, chat: int, command: str, reply: str) -> str:
        mark = await self.write(chat, command)
        call = await self.shown(mark, chat, reply)
        return str(call.params.get("text") or call.params.get("caption") or "")

    async def press(self, chat: int, data: str, card: Call | None = None) -> str:
        """Press a button (on `card`, else on his latest message); the toast it got."""
        mark = self.mark()
        message_id = card.result["message_id"] if card is not None else None
        self.emu.add_update(
            self.emu.make_callback_update(
                chat, data, message_id=message_id, language_code=self.language
            )
        )

        def answered() -> list[Call]:
            return [
                c
                for c in self.emu.calls[mark:]
                if c.method.lower() == "answercallbackquery" and c.ok
            ]

        await self.emu.wait_for(answered, timeout=15)
        return str(answered()[0].params.get("text", ""))

    async def tick(self, advance: timedelta) -> None:
        """The clock moves on and the service's timed work runs, as its scheduler would."""
        self.service.clock.advance(advance)
        await run_timed_work(self.service.ctx)

    async def edited(self, chat: int, card: Call, mark: int) -> Call:
        """The edit of `card` since `mark`."""
        message_id = str(card.result["message_id"])

        def found() -> Call | None:
            for call in self.emu.calls[mark:]:
                if (
                    call.ok
                    and call.method.lower().startswith("editmessage")
                    and call.chat_id == chat
                    and str(call.params.get("message_id")) == message_id
                ):
                    return call
            return None

        await self.emu.wait_for(found, timeout=15)
        call = found()
        assert call is not None
        return call


def lead_of(call: Call, action: str) -> int:
    return int(next(d for d in data_of(call) if d.startswith(f"lead:{action}:")).split(":")[2])


async def offered(day: Day, mark: int, among: tuple[int, ...] = (IVAN, MARIA)) -> tuple[int, Call]:
    """Whom the lead went to since `mark`, and his offer card."""

    def offer() -> tuple[int, Call] | None:
        for manager in among:
            for call in day.shown_since(mark, manager):
                if any(d.startswith("lead:acc:") for d in data_of(call)):
                    return manager, call
        return None

    await day.emu.wait_for(offer, timeout=15)
    found = offer()
    assert found is not None
    return found


def other(manager: int) -> int:
    return MARIA if manager == IVAN else IVAN


@pytest.mark.parametrize("language", ["ru", "en"])
async def test_a_full_day_speaks_one_language(
    sqlite_url: str, emulator: TelegramEmulator, language: str
) -> None:
    clock = ManualClock(START)
    settings = make_settings(sqlite_url, emulator.base_url, telegram_chat_interval=0)
    config = parse_config(day_config(language))
    words = {
        "ru": {
            ANNA: "Здравствуйте, сколько стоят окна на дачу?",
            BORIS: "Нужны двери в офис",
            VERA: "Хочу заказать остекление балкона",
        },
        "en": {
            ANNA: "Hello, how much are windows for a cottage?",
            BORIS: "We need doors for the office",
            VERA: "I would like my balcony glazed",
        },
    }[language]
    async with running_service(
        settings, config, clock=clock, digest_interval=3600, watchdog_interval=3600
    ) as service:
        day = Day(emulator, service, language)
        async with service.ctx.db.session_factory() as session:
            ids = {m.telegram_id: m.id for m in await session.scalars(select(Manager))}
        # Anna writes: offered to one manager, who declines and gives his reason.
        mark = await day.write(ANNA, words[ANNA])
        first, card = await offered(day, mark)
        anna = lead_of(card, "acc")
        mark = declined = day.mark()
        toast = await day.press(first, f"lead:dec:{anna}:", card)
        assert toast == day.t("toast_declined", lead_id=anna)
        await day.edited(first, card, mark)
        await day.shown(mark, first, day.t("ask_decline_reason", lead_id=anna))
        reason = {"ru": "Сейчас на выезде", "en": "Out on a call"}[language]
        mark = await day.write(first, reason)
        await day.shown(mark, first, day.t("decline_reason_saved", lead_id=anna))

        # The other manager lets it expire: it has passed twice, the head is pinged.
        second, card = await offered(day, declined, among=(other(first),))
        mark = day.mark()
        await day.tick(timedelta(minutes=6))
        await day.edited(second, card, mark)
        ping = await day.shown(mark, HEAD, button=f"lead:asg:{anna}:")
        # The head hands it to Ivan from the ping.
        mark = day.mark()
        toast = await day.press(HEAD, f"lead:asg:{anna}:{ids[IVAN]}", ping)
        assert toast == day.t("toast_assigned", lead_id=anna)
        ivan_card = await day.shown(mark, IVAN, button=f"lead:rep:{anna}:")

        # Boris writes; whoever is offered accepts.
        mark = await day.write(BORIS, words[BORIS])
        boris_manager, card = await offered(day, mark)
        boris = lead_of(card, "acc")
        mark = day.mark()
        await day.press(boris_manager, f"lead:acc:{boris}:", card)
        boris_card = await day.edited(boris_manager, card, mark)

        # Ivan answers Anna.
        mark = day.mark()
        await day.press(IVAN, f"lead:rep:{anna}:", ivan_card)
        answer = {"ru": "Анна, добрый день! Посчитаю и перезвоню.", "en": "Hi Anna, I'll call."}
        await day.shown(mark, IVAN, day.t("ask_reply", lead_id=anna, channel="Telegram")[:20])
        mark = await day.write(IVAN, answer[language])
        await day.shown(mark, ANNA, answer[language])

        # The head's views.
        await day.ask(HEAD, "/today", "")
        await day.ask(HEAD, "/leads", "")
        await day.ask(HEAD, "/team", "")
        await day.ask(IVAN, "/today", "")
        await day.ask(MARIA, "/leads", "")

        # The head reassigns Anna's lead to Maria: Ivan's card says it moved, no buttons.
        mark = day.mark()
        head_card = await day.shown(
            await day.write(HEAD, f"/lead {anna}"), HEAD, button=f"lead:pass:{anna}:"
        )
        await day.press(HEAD, f"lead:pass:{anna}:", head_card)
        choice = await day.shown(mark, HEAD, button=f"lead:asg:{anna}:{ids[MARIA]}")
        mark = day.mark()
        await day.press(HEAD, f"lead:asg:{anna}:{ids[MARIA]}", choice)
        moved = await day.edited(IVAN, ivan_card, mark)
        assert not data_of(moved)
        maria_card = await day.shown(mark, MARIA, button=f"lead:rep:{anna}:")

        # Ivan presses a button on his old card anyway: answered, and the card edited.
        mark = day.mark()
        toast = await day.press(IVAN, f"lead:rep:{anna}:", ivan_card)
        assert toast
        stale = await day.edited(IVAN, ivan_card, mark)
        assert not data_of(stale)

        # Maria's leads go to Ivan by /handover: her card says so.
        mark = day.mark()
        await day.ask(HEAD, f"/handover {MARIA}", "")
        moved = await day.edited(MARIA, maria_card, mark)
        assert not data_of(moved)
        anna_again = await day.shown(mark, IVAN, button=f"lead:rep:{anna}:")

        # Boris's lead is lost with a reason from the buttons.
        holder = IVAN  # after the handover every lead is Ivan's
        mark = day.mark()
        await day.press(holder, f"lead:lost:{boris}:", boris_card)
        reasons = await day.shown(mark, holder, button=f"lead:rsn:{boris}:l.")
        mark = day.mark()
        await day.press(holder, f"lead:rsn:{boris}:l.0", reasons)

        # Anna's lead is won (no amount): a day later she is surveyed and scores it low.
        mark = day.mark()
        await day.press(IVAN, f"lead:won:{anna}:", anna_again)
        no_amount = await day.shown(mark, IVAN, button=f"lead:won:{anna}:-")
        await day.press(IVAN, f"lead:won:{anna}:-", no_amount)
        mark = day.mark()
        await day.tick(timedelta(days=1, minutes=1))
        survey = await day.shown(mark, ANNA, button="srv:")
        mark = day.mark()
        score = next(d for d in data_of(survey) if d.endswith(":2"))
        await day.press(ANNA, score, survey)
        await day.shown(mark, HEAD, button="cmp:")
        comment = {"ru": "Долго ждали замерщика", "en": "The measurer was late"}[language]
        await day.write(ANNA, comment)

        # Vera writes and then complains by /complaint.
        mark = await day.write(VERA, words[VERA])
        await offered(day, mark)
        mark = await day.write(VERA, "/complaint")
        await day.shown(mark, VERA, day.t("ask_complaint"))
        grievance = {"ru": "Мне никто не ответил", "en": "Nobody answered"}[language]
        mark = await day.write(VERA, grievance)
        await day.shown(mark, HEAD, button="cmp:")

        # The evening: the head's and the managers' views, the report.
        await day.tick(timedelta(hours=2))
        for chat, command in (
            (HEAD, "/today"),
            (HEAD, "/leads"),
            (HEAD, "/team"),
            (HEAD, "/report"),
            (HEAD, "/report week"),
            (HEAD, "/complaints"),
            (IVAN, "/today"),
            (IVAN, "/leads"),
            (MARIA, "/today"),
        ):
            await day.ask(chat, command, "")

    # Every text anyone was shown, in the day's language.
    allowed = [*NAMES["ru"].values(), *NAMES["en"].values(), config.company.name]
    wrong = {}
    for call, text in everything_sent(emulator, language):
        problems = language_problems(language, text, names=allowed)
        problems += plural_mistakes(language, text)
        if problems:
            wrong.setdefault(f"{call.method}→{call.chat_id}: {text[:300]}", problems)
    assert not wrong, "\n".join(f"{k}\n    {v}" for k, v in wrong.items())
