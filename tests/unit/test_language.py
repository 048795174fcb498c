"""What a Russian user reads has no English in it and no internal codes; what an English
user reads has no Russian. Checked over every text of the catalogue (bot, e-mails,
dashboard): only proper names, the platforms' own words, commands with what is typed
after them, file names, settings (ENV_NAMES, dotted.config.keys, <code>literal</code>)
and web addresses may be in Latin letters in Russian."""

from __future__ import annotations

import re

import pytest

from texts.catalogue import DEFAULTS
from texts.dashboard import DASHBOARD_TEXTS

# Names Russian writes in Latin letters: products, platforms and their own menu words,
# abbreviations, keys on the keyboard.
PROPER = (
    r"Meta for Developers|Meta Business Suite|Callback API|API Token|@BotFather|"
    r"Telegram|WhatsApp|MAX|Leadkeeper|SLA|CSV|[Ee]-mail|ID|id|VK|API|URL|IMAP|SMTP|HTML|"
    r"YAML|UTM|https?|\bTab\b|\bEnter\b"
)
LITERAL = [
    r"\{[\w.]+\}",  # placeholders
    r"<code>.*?</code>",  # shown as typed: a setting, a value
    r"</?\w+[^>]*>",  # markup
    r"https?://\S+|\b[\w-]+(\.[\w-]+)+\b",  # addresses, domains, file names, config.keys
    # A command and what is typed after it.
    r"/\w+((\s+|\s*\|\s*)(\[[^\]]*\]|today|week|month|full|\d[\d-]*))*",
    r"\.env\b",
    r"\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\b",  # ENV_NAMES
]


def stray_latin(russian: str) -> list[str]:
    text = russian
    for pattern in LITERAL:
        text = re.sub(pattern, " ", text)
    text = re.sub(PROPER, " ", text)
    return re.findall(r"[A-Za-z]{2,}", text)


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
    russian_in_english = {
        key: text
        for key, text in _english()
        if re.search("[а-яё]", re.sub(r"\{[\w.]+\}", "", text), re.IGNORECASE)
    }
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
