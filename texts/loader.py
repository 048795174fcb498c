"""The message catalogues: texts/locales/<language>/LC_MESSAGES/leadkeeper.po, read compiled.

The .mo is built with the package (setup.py) and, so that a fresh clone runs and tests
without a compile command, here too whenever it is missing or older than its .po. A
read-only install that lacks it compiles in memory instead.

An entry's msgctxt is its key; the dashboard's words (plain text, their own keys) carry the
`dashboard.` prefix. A counted text is one plural entry; for the callers that name a form
(YAML overrides, `Texts.get("deals_few")`) it also reads as `<key>_one`, `_few`, `_many`.
"""

from __future__ import annotations

import gettext
import io
import os
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

DOMAIN = "leadkeeper"
LOCALES = Path(__file__).resolve().with_name("locales")
DASHBOARD = "dashboard."
# The form names the keys carry, each with a count that takes it in Russian (English gives
# 2 and 5 the same form, so its `_few` text is its `_many` one).
FORMS = {"one": 1, "few": 2, "many": 5}


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(language: str) -> bytes:
    """The .mo of `language`'s .po (fuzzy entries left out, as msgfmt does)."""
    with po_path(language).open("rb") as fileobj:
        catalog = read_po(fileobj, locale=language, domain=DOMAIN, abort_invalid=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def _compiled(language: str) -> bytes:
    po, mo = po_path(language), po_path(language).with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        return mo.read_bytes()
    data = compile_po(language)
    # Parallel test workers may compile at once: each writes its own file, then swaps it in.
    scratch = mo.with_name(f".{mo.name}.{os.getpid()}")
    try:
        scratch.write_bytes(data)
        os.replace(scratch, mo)
    except OSError:
        scratch.unlink(missing_ok=True)
    return data


@dataclass(frozen=True)
class Catalogue:
    language: str
    translations: gettext.GNUTranslations
    bot: dict[str, str]
    dashboard: dict[str, str]
    plurals: frozenset[str]

    def form(self, count: int | float | Decimal) -> str:
        """The form `count` takes by the .po's Plural-Forms rule: one, few or many."""
        index = self.translations.plural(whole(count))
        # The last name with that index: English's plural reads as `_many`, as before.
        return [name for name, n in FORMS.items() if self.translations.plural(n) == index][-1]


def whole(count: int | float | Decimal) -> int:
    """The count gettext's rule is asked about. The rules know whole numbers only; a fraction
    takes the form that 2 takes in both languages (1,5 часа, 0,5 менеджера; 1.5 hours)."""
    return abs(int(count)) if count == int(count) else 2


@cache
def load(language: str) -> Catalogue:
    data = _compiled(language)
    translations = gettext.GNUTranslations(io.BytesIO(data))
    bot: dict[str, str] = {}
    dashboard: dict[str, str] = {}
    plurals = set()
    for message in read_mo(io.BytesIO(data)):
        if not message.id or message.context is None:
            continue
        table, key = bot, message.context
        if key.startswith(DASHBOARD):
            table, key = dashboard, key.removeprefix(DASHBOARD)
        if isinstance(message.string, (tuple, list)):
            plurals.add(key)
            for name, n in FORMS.items():
                table[f"{key}_{name}"] = message.string[translations.plural(n)]
        else:
            table[key] = message.string
    return Catalogue(language, translations, bot, dashboard, frozenset(plurals))
