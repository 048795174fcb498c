"""The scaffolding of the full day through the bot (tests/test_full_day_language.py): the
example config with this test's team, in Russian or in English, and a driver that talks
to the service through the Telegram emulator and reads back every text the bot sent."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from tests.emulator.telegram import TelegramEmulator
from tests.emulator.telegram.records import Call

EXAMPLE = Path(__file__).resolve().parents[2] / "leadkeeper.example.yaml"
HEAD, IVAN, MARIA = 900, 101, 102
ANNA, BORIS, VERA = 5001, 5002, 5003
NAMES = {
    "ru": {HEAD: "Ольга", IVAN: "Иван", MARIA: "Мария", ANNA: "Анна", BORIS: "Борис", VERA: "Вера"},
    "en": {HEAD: "Olga", IVAN: "Ivan", MARIA: "Maria", ANNA: "Anna", BORIS: "Boris", VERA: "Vera"},
}
# The example's own words (scripts, checklists, follow-up texts), as an English team
# would write them in its YAML.
ENGLISH_WORDS = {
    "Представьтесь, поблагодарите за обращение и уточните, что нужно клиенту.": (
        "Introduce yourself, thank them and ask what they need."
    ),
    "Подтвердите объём и сроки, предложите расчёт и договоритесь о следующем звонке.": (
        "Confirm volume and dates, offer a quote and agree on the next call."
    ),
    "Какой объём заказа?": "How large is the order?",
    "до 10 окон": "up to 10 windows",
    "10–50 окон": "10–50 windows",
    "больше 50": "over 50",
    "Куда доставить и установить?": "Where to deliver and install?",
    "К какой дате нужно?": "By which date?",
    "Каталог": "Catalogue",
    "{customer_name}, как обещал {manager_name}, высылаем каталог и прайс {company}.": (
        "{customer_name}, as {manager_name} promised, here are {company}'s catalogue and prices."
    ),
    "{customer_name}, напоминаем о нашем предложении. Остались вопросы? Ответьте на это "
    "сообщение.": "{customer_name}, a reminder of our offer. Any questions? Reply to this message.",
    "{customer_name}, спасибо за покупку! Оцените, пожалуйста, работу {manager_name} от 1 до 5:": (
        "{customer_name}, thank you for your purchase! Please rate {manager_name} from 1 to 5:"
    ),
    "{customer_name}, прошло три месяца — всё ли в порядке? У {company} есть новые предложения "
    "для вас.": "{customer_name}, three months on: is all well? {company} has new offers for you.",
}


def _translated(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _translated(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_translated(item) for item in value]
    if isinstance(value, str):
        return ENGLISH_WORDS.get(value, value)
    return value


def day_config(language: str) -> dict[str, Any]:
    """The example config as it ships (its stages, classes, loss reasons, follow-ups, texts),
    with this test's team in `language`: a head and two managers on shift all day."""
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    config = copy.deepcopy(raw) if language == "ru" else _translated(raw)
    always = {"mon-sun": "00:00-00:00"}
    names = NAMES[language]
    # The working hours are all day: the day does not depend on the hour it starts at.
    config["company"]["working_hours"] = always
    config["calendar"]["country"] = "none"
    config["sla"]["max_passes"] = 2
    config["team"] = {
        "heads": [{"telegram_id": HEAD, "name": names[HEAD], "language": language}],
        "managers": [
            {
                "telegram_id": tid,
                "name": names[tid],
                "level": level,
                "capacity": 15,
                "language": language,
                "working_hours": always,
            }
            for tid, level in ((IVAN, "senior"), (MARIA, "junior"))
        ],
    }
    config["quality"]["enabled"] = False  # its Monday round is not part of this day
    return config


def buttons(call: Call) -> list[dict[str, Any]]:
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = markup.get("inline_keyboard", []) + markup.get("keyboard", [])
    return [button for row in rows for button in row]


def data_of(call: Call) -> list[str]:
    return [str(b.get("callback_data", "")) for b in buttons(call)]


def texts_of(call: Call) -> list[str]:
    """Every text a call shows its reader: the message or caption, a toast, the labels of
    its buttons, a command menu's descriptions."""
    found = [str(call.params[k]) for k in ("text", "caption") if call.params.get(k)]
    found += [str(b["text"]) for b in buttons(call) if b.get("text")]
    commands = call.params.get("commands")
    if isinstance(commands, list):
        found += [str(c.get("description", "")) for c in commands]
    return found


SHOWN_METHODS = {
    "sendmessage",
    "sendphoto",
    "senddocument",
    "copymessage",
    "editmessagetext",
    "editmessagecaption",
    "editmessagereplymarkup",
    "answercallbackquery",
    "setmycommands",
}


def _for_readers_of(call: Call, language: str) -> bool:
    """A command menu set for all chats is read in its language_code (none: Russian, the
    default); every other call is read by someone of the day's language."""
    if call.method.lower() != "setmycommands" or call.params.get("scope"):
        return True
    return (call.params.get("language_code") or "ru") == language


def everything_sent(emulator: TelegramEmulator, language: str) -> list[tuple[Call, str]]:
    """Every text the bot showed anyone of `language`, with the call that carried it."""
    return [
        (call, text)
        for call in emulator.calls
        if call.method.lower() in SHOWN_METHODS and call.ok and _for_readers_of(call, language)
        for text in texts_of(call)
    ]
