"""The lead page's history in sentences: every event the use cases record has one, in
Russian and English, and none shows an event's name, a stage id or an actor code."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from config.business import parse_config
from texts import DASHBOARD_TEXTS, Texts
from usecases.lead_story import TOLD, channel_name, tell

ROOT = Path(__file__).resolve().parents[2]
# Event types passed in a variable rather than written at the call (assignment._pass_on).
INDIRECT = {"declined", "offer_expired", "gate_overridden", "gate_refused", "checklist_answered"}
NAMES = {1: "Сергей", 2: "Юлия", 3: "Ольга"}


def recorded_types() -> set[str]:
    """Every event type written literally at an `events.add(` call in the code."""
    found = set()
    for path in [
        *ROOT.joinpath("usecases").rglob("*.py"),
        *ROOT.joinpath("followups").rglob("*.py"),
    ]:
        source = path.read_text(encoding="utf-8")
        for match in re.finditer(r"events\.add\(\s*[\w.]+,\s*(f?)\"([\w{}]+)\"", source):
            if not match.group(1):
                found.add(match.group(2))
    return found


def test_every_recorded_event_has_a_sentence() -> None:
    types = recorded_types()
    assert {"stage_changed", "closed", "reassigned", "comment"} <= types  # the scan works
    assert types | INDIRECT <= TOLD, sorted(types | INDIRECT - TOLD)


def ctx() -> SimpleNamespace:
    return SimpleNamespace(
        texts=Texts(), config=parse_config({"company": {"timezone": "Europe/Moscow"}})
    )


def event(type_: str, actor: str | None = None, **data: object) -> dict[str, object]:
    return {"type": type_, "actor": actor, "at": "2026-01-05T10:00:00+00:00", "data": data}


EVENTS = [
    event("lead_created", "customer", channel="vk", source=None),
    event("queued"),
    event("reassigned", "manager:3", **{"from": None, "to": 2, "by": "head"}),
    event("reassigned", "manager:3", **{"from": 2, "to": 1, "by": "head"}),
    event("accepted", "manager:1"),
    event("replied", "manager:1", message_id=5, parts=1),
    event("reply_failed", None, message_id=6, reason="blocked"),
    event("stage_changed", "manager:1", **{"from": "new", "to": "qualified"}),
    event("comment", "manager:1", text="Перезвонить"),
    event("amount_set", "dashboard", **{"from": None, "to": 150000, "currency": "RUB"}),
    event("next_step_set", "manager:1", kind="call", due_at="2026-01-06T08:00:00+00:00"),
    event("escalated", None, timer="first_response_breach"),
    event("closed", "manager:1", outcome="won", reason=None, amount=150000, currency="RUB"),
    event("closed", "manager:1", outcome="lost", reason="Дорого", comment="Нашли дешевле"),
    event("offer_failed", None, error="boom"),
    event("something_new", "robot:7"),
]


def test_the_history_in_russian() -> None:
    lines = tell(ctx(), EVENTS, NAMES, "ru")  # type: ignore[arg-type]
    said = [(line.who, line.text) for line in lines]
    assert said[0] == ("клиент", "Лид создан: клиент написал (ВКонтакте)")
    assert said[1] == ("система", "Лид ждёт в очереди: свободных менеджеров нет")
    assert said[2] == ("Ольга", "Лид передан: Юлия")
    assert said[3] == ("Ольга", "Лид передан: Юлия → Сергей")
    assert said[4] == ("Сергей", "Лид принят")
    assert said[6] == ("система", "Ответ не доставлен: клиент заблокировал бота")
    assert said[7] == ("Сергей", "Этап: «новый» → «квалифицирован»")
    assert said[8] == ("Сергей", "Комментарий: «Перезвонить»")
    assert said[9] == ("администратор", "Сумма сделки: 150\u00a0000\u00a0₽")
    assert said[10][1] == "Следующий шаг: звонок, 06.01.2026 11:00"
    assert said[11][1] == "Руководитель оповещён: нет ответа клиенту вовремя"
    assert said[12][1] == "Лид выигран, сумма: 150\u00a0000\u00a0₽"
    assert said[13][1] == "Лид проигран: Дорого, Нашли дешевле"
    assert said[14][1] == "Сбой обработки, повторим"
    assert said[15] == ("система", "Служебная отметка")
    shown = " ".join(f"{who} {text}" for who, text in said)
    for code in ("manager:", "stage_changed", "qualified", "first_response", "robot", "vk"):
        assert code not in shown, code


def test_the_history_in_english() -> None:
    names = {1: "Sergey", 2: "Julia", 3: "Olga"}
    lines = tell(ctx(), EVENTS, names, "en")  # type: ignore[arg-type]
    assert lines[7].text == "Stage: «new» → «qualified»"
    assert lines[12].text == "Lead won, amount: 150,000\u00a0₽"
    assert lines[0].who == "customer" and lines[9].who == "administrator"
    # Nothing Russian but what the manager typed (the comment, the loss reason).
    typed = {8, 13}
    english = " ".join(line.text for index, line in enumerate(lines) if index not in typed)
    assert not re.search("[а-яё]", english, re.IGNORECASE), english


def test_russian_words_have_no_stray_english() -> None:
    # The names and abbreviations Russian writes in Latin letters, and the keys on the keyboard.
    brands = r"Telegram|WhatsApp|MAX|/web|Leadkeeper|SLA|CSV|[Ee]-mail|\b(Tab|Enter)\b"
    for key, russian in DASHBOARD_TEXTS["ru"].items():
        latin = re.findall(r"[A-Za-z]+", re.sub(rf"\{{\w+\}}|{brands}", "", russian))
        assert not latin, (key, latin)


def test_an_unknown_channel_keeps_its_own_name() -> None:
    assert channel_name("ru", "avito") == "Авито"
    assert channel_name("en", "carrier_pigeon") == "carrier_pigeon"
