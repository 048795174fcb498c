"""Next steps, pure parts: when a preset falls in the team's time zone, a typed time read
as managers write it (and refused with a reason), plural forms, the config section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from config.business import ConfigError, parse_config
from domain.next_steps import Preset, StepKind, preset_time
from domain.step_time import WhenError, WhenProblem, parse_when
from texts import DEFAULTS, Texts
from texts.catalogue import plural_form

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
# Monday 5 January 2026, 13:00 in Moscow.
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def local(text: str, zone: ZoneInfo = MOSCOW, now: datetime = NOW) -> str:
    return f"{parse_when(text, now, zone).at.astimezone(zone):%Y-%m-%d %H:%M}"


def test_presets_in_the_teams_time_zone() -> None:
    assert preset_time(Preset.IN_TWO_HOURS, NOW, MOSCOW) == NOW + timedelta(hours=2)
    assert preset_time(Preset.IN_THREE_DAYS, NOW, MOSCOW) == NOW + timedelta(days=3)
    assert preset_time(Preset.TOMORROW_MORNING, NOW, MOSCOW) == datetime(
        2026, 1, 6, 7, 0, tzinfo=UTC
    )
    # 21:30 UTC is 00:30 on Tuesday in Moscow: «завтра» is Wednesday there.
    late = datetime(2026, 1, 5, 21, 30, tzinfo=UTC)
    assert preset_time(Preset.TOMORROW_MORNING, late, MOSCOW) == datetime(
        2026, 1, 7, 7, 0, tzinfo=UTC
    )
    # Across a change to summer time 10:00 stays 10:00 on the wall.
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert preset_time(Preset.TOMORROW_MORNING, saturday, BERLIN) == datetime(
        2026, 3, 29, 8, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15.12 14:30", "2026-12-15 14:30"),
        ("15.12.2026 14:30", "2026-12-15 14:30"),
        ("15/12/26 9:05", "2026-12-15 09:05"),
        ("2026-03-01 12:00", "2026-03-01 12:00"),
        ("завтра 16:00", "2026-01-06 16:00"),
        ("Завтра, в 16:00", "2026-01-06 16:00"),
        ("завтра", "2026-01-06 10:00"),
        ("завтра утром", "2026-01-06 10:00"),
        ("послезавтра вечером", "2026-01-07 18:00"),
        ("в пятницу в 11", "2026-01-09 11:00"),
        ("пн 10:00", "2026-01-12 10:00"),
        ("15 декабря", "2026-12-15 10:00"),
        ("15 декабря в 14:30", "2026-12-15 14:30"),
        ("14:30", "2026-01-05 14:30"),
        ("09:00", "2026-01-06 09:00"),
        ("14.30", "2026-01-05 14:30"),
        ("10.05", "2026-05-10 10:00"),
        ("завтра 10.05", "2026-01-06 10:05"),
        ("в 14ч", "2026-01-05 14:00"),
        ("через 3 часа", "2026-01-05 16:00"),
        ("через час", "2026-01-05 14:00"),
        ("через полчаса", "2026-01-05 13:30"),
        ("через неделю", "2026-01-12 13:00"),
        ("через 2 дня в 15:00", "2026-01-07 15:00"),
        ("+2ч", "2026-01-05 15:00"),
        ("30m", "2026-01-05 13:30"),
        ("tomorrow 4pm", "2026-01-06 16:00"),
        ("in 2 hours", "2026-01-05 15:00"),
        ("friday 11:00", "2026-01-09 11:00"),
        ("01.01", "2027-01-01 10:00"),  # passed this year: the next one
    ],
)
def test_typed_times(text: str, expected: str) -> None:
    assert local(text) == expected


def test_the_words_after_the_time_are_the_note() -> None:
    typed = parse_when("завтра 16:00 — обсудить доставку, и скидку", NOW, MOSCOW)
    assert typed.note == "обсудить доставку, и скидку"
    assert parse_when("завтра 10:00 в офисе", NOW, MOSCOW).note == "в офисе"
    assert parse_when("15.12 14:30", NOW, MOSCOW).note is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("когда-нибудь", WhenProblem.UNREADABLE),
        ("", WhenProblem.UNREADABLE),
        ("позвоню завтра", WhenProblem.UNREADABLE),
        ("31.02", WhenProblem.UNREADABLE),
        ("25:00", WhenProblem.UNREADABLE),
        ("через", WhenProblem.UNREADABLE),
        ("сегодня 09:00", WhenProblem.PAST),
        ("05.01.2026 12:00", WhenProblem.PAST),
        ("15.12.2030", WhenProblem.TOO_FAR),
        ("через 400 дней", WhenProblem.TOO_FAR),
    ],
)
def test_what_cannot_be_used_says_why(text: str, problem: WhenProblem) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW, MOSCOW)
    assert caught.value.problem is problem


@pytest.mark.parametrize(
    ("count", "form"),
    [
        (1, "one"),
        (2, "few"),
        (4, "few"),
        (5, "many"),
        (11, "many"),
        (12, "many"),
        (14, "many"),
        (21, "one"),
        (22, "few"),
        (25, "many"),
        (111, "many"),
        (0, "many"),
    ],
)
def test_russian_plural_forms(count: int, form: str) -> None:
    assert plural_form("ru", count) == form


def test_plural_texts_in_both_languages() -> None:
    texts = Texts()
    assert texts.plural("today_steps_overdue", "ru", 1) == "⚠️ Просрочен 1 шаг:"
    assert texts.plural("today_steps_overdue", "ru", 3) == "⚠️ Просрочено 3 шага:"
    assert texts.plural("today_steps_overdue", "ru", 5) == "⚠️ Просрочено 5 шагов:"
    assert texts.plural("today_steps_missing", "ru", 21) == "🕳 Без следующего шага — 21 лид:"
    assert texts.plural("today_steps_due", "en", 1) == "📌 1 step today:"
    assert texts.plural("today_steps_due", "en", 2) == "📌 2 steps today:"
    for key in DEFAULTS["ru"]:
        if key.endswith("_one"):
            stem = key.removesuffix("_one")
            assert {f"{stem}_few", f"{stem}_many"} <= DEFAULTS["ru"].keys(), stem


def test_the_config_section() -> None:
    default = parse_config({}).next_steps
    assert (default.remind_after, default.head_after) == (timedelta(minutes=30), timedelta(hours=2))
    assert default.default_kind is StepKind.CALL
    chosen = parse_config(
        {"next_steps": {"remind_after": "15m", "head_after": "1h", "default_kind": "meeting"}}
    ).next_steps
    assert chosen.remind_after == timedelta(minutes=15) and chosen.default_kind is StepKind.MEETING
    with pytest.raises(ConfigError) as caught:
        parse_config({"next_steps": {"remind_after": "soon", "default_kind": "fax"}})
    message = str(caught.value)
    assert "next_steps.remind_after: expected a duration such as 45s, 30m, 2h or 3d" in message
    assert "next_steps.default_kind: expected one of call, message, meeting, offer" in message


def test_step_messages_read_in_both_languages() -> None:
    from types import SimpleNamespace

    from usecases import step_cards

    texts = Texts()
    step = SimpleNamespace(
        id=7, kind="offer", note="price <list>", due_at=datetime(2026, 1, 9, 8, 0, tzinfo=UTC)
    )
    ru, rows = step_cards.confirmation(
        texts, "ru", lead_id=5, customer="Анна", step=step, now=NOW, zone=MOSCOW
    )
    assert ru.startswith("📌 Следующий шаг по лиду #5 (Анна): отправка КП, пт, 09.01 в 11:00.")
    assert "Заметка: price &lt;list&gt;" in ru
    en, _ = step_cards.confirmation(
        texts, "en", lead_id=5, customer="Anna", step=step, now=NOW, zone=MOSCOW
    )
    assert en.startswith("📌 Next step on lead #5 (Anna): send an offer, Fri 09.01 at 11:00.")
    labels = [button["text"] for row in rows for button in row]
    assert "✔️ 📄 Отправить КП" in labels and "📞 Звонок" in labels
    due = step_cards.due_reminder(
        texts, "en", lead_id=5, customer="Anna", step=step, now=NOW, zone=MOSCOW
    )
    assert due["text"].startswith("⏰ Time for it: send an offer — lead #5 (Anna)")
    assert due["buttons"][0][0] == {"text": "✅ Done", "callback_data": "lead:nsd:5:7"}
