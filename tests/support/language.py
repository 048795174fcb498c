"""The language check, one for the catalogue and for what the bot really sent: what a
Russian user reads has no English in it and no internal codes; what an English user reads
has no Russian. Only proper names, the platforms' own words, commands with what is typed
after them, file names, settings (ENV_NAMES, dotted.config.keys, <code>literal</code>)
and web addresses may be in Latin letters in Russian."""

from __future__ import annotations

import re
from collections.abc import Iterable

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
_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def stray_latin(russian: str, names: Iterable[str] = ()) -> list[str]:
    """The Latin words left in a Russian text once the allowed ones are taken out;
    `names` are proper names of this deployment (the company's, say) also allowed."""
    text = russian
    for pattern in LITERAL:
        text = re.sub(pattern, " ", text)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    text = re.sub(PROPER, " ", text)
    return re.findall(r"[A-Za-z]{2,}", text)


def russian_in(english: str, names: Iterable[str] = ()) -> list[str]:
    """The Cyrillic words in an English text (placeholders and `names` aside)."""
    text = re.sub(r"\{[\w.]+\}", " ", english)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return re.findall(r"\w*[а-яё]\w*", text, flags=re.IGNORECASE)


def has_russian(text: str) -> bool:
    return bool(_CYRILLIC.search(re.sub(r"\{[\w.]+\}", "", text)))


def language_problems(language: str, text: str, names: Iterable[str] = ()) -> list[str]:
    """What is wrong with `text` for a reader of `language`: stray words or codes."""
    return stray_latin(text, names) if language == "ru" else russian_in(text, names)


def _counted_words(language: str) -> dict[str, set[str]]:
    """For each word a plural entry puts right after its count («сделка», «сделки»), the
    forms (one, few, many) it is right for."""
    from texts.loader import FORMS, load  # the catalogue only where counts are checked

    catalogue = load(language)
    words: dict[str, set[str]] = {}
    for key in catalogue.plurals:
        for form in FORMS:
            text = catalogue.bot.get(f"{key}_{form}", "")
            found = re.search(r"\{count\}\s+([^\s{},.:;()]+)", text)
            if found:
                words.setdefault(found.group(1), set()).add(form)
    return words


def plural_mistakes(language: str, text: str) -> list[str]:
    """Counts in `text` followed by a counted word of the catalogue in the wrong form for
    that number («21 сделок», «2 deal»)."""
    from texts.catalogue import plural_form

    words = _counted_words(language)
    mistakes = []
    for number, word in re.findall(r"(?<![\d,.])(\d+)\s+([^\s{},.:;()<]+)", text):
        forms = words.get(word)
        if forms and plural_form(language, int(number)) not in forms:
            mistakes.append(f"{number} {word}")
    return mistakes
