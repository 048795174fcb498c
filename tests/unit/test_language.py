"""What a Russian user reads has no English in it and no internal codes; what an English
user reads has no Russian. Checked over every text of the catalogue (bot, e-mails,
dashboard): only proper names, the platforms' own words, commands with what is typed
after them, file names, settings (ENV_NAMES, dotted.config.keys, <code>literal</code>)
and web addresses may be in Latin letters in Russian. The check itself is
tests/support/language.py's, which the full day through the bot runs on what it sent."""

from __future__ import annotations

import pytest

from tests.support.language import has_russian, stray_latin
from texts.catalogue import DEFAULTS
from texts.dashboard import DASHBOARD_TEXTS


def _russian() -> list[tuple[str, str]]:
    return sorted(
        {
            **DEFAULTS["ru"],
            **{f"dashboard.{k}": v for k, v in DASHBOARD_TEXTS["ru"].items()},
        }.items()
    )


def _english() -> list[tuple[str, str]]:
    return sorted(
        {
            **DEFAULTS["en"],
            **{f"dashboard.{k}": v for k, v in DASHBOARD_TEXTS["en"].items()},
        }.items()
    )


@pytest.mark.parametrize(("key", "russian"), _russian(), ids=[key for key, _ in _russian()])
def test_russian_texts_have_no_english_words_nor_codes(key: str, russian: str) -> None:
    assert not stray_latin(russian), (key, stray_latin(russian), russian)


def test_english_texts_have_no_russian() -> None:
    russian_in_english = {key: text for key, text in _english() if has_russian(text)}
    assert not russian_in_english


@pytest.mark.parametrize(
    "text",
    [
        "Этап: new",  # a stage's code
        "Причина: no_budget",  # a loss reason's code
        "(manager, senior)",  # a role and a level
        "lead_created · customer",  # an event type
        "Статус: in_progress",
    ],
)
def test_the_check_finds_codes_and_english(text: str) -> None:
    assert stray_latin(text)


def test_the_check_lets_names_commands_and_settings_through() -> None:
    assert not stray_latin(
        "Напишите /lead 42 full или /report week; проверьте TELEGRAM_BOT_TOKEN в .env, "
        "team.heads в leadkeeper.yaml, <code>stages</code>, Telegram и @BotFather."
    )
