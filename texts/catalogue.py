"""Every text the bots send, Russian first, English second; the YAML may override any.

Texts are HTML (Telegram parse mode): placeholders are escaped when filled, so a
customer named `<b>&Co` never breaks a message.

The texts live in gettext catalogues, texts/locales/{ru,en}/LC_MESSAGES/leadkeeper.po
(texts/loader.py reads them compiled), one entry per key: msgctxt is the key and msgid
repeats it, the text is msgstr. Why the key and not the Russian text as msgid: the code
asks for texts by key and never holds the wording; Russian is a translation like English,
not a source language (with its three plural forms it would not even fit gettext's
msgid/msgid_plural pair); and a Russian edit then touches one line of ru.po instead of
the msgid of both files. A counted text is a plural entry (msgid_plural, msgstr[0..2])
whose form is chosen by the .po's Plural-Forms rule.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from domain.language import language_of as language_of
from texts.loader import load, whole

LANGUAGES = ("ru", "en")

# Every key in each language, a plural entry also as `<key>_one`, `_few`, `_many`: what the
# YAML may override and what `Texts.get` serves.
DEFAULTS: dict[str, dict[str, str]] = {language: load(language).bot for language in LANGUAGES}


def plural_form(language: str, count: int | float | Decimal) -> str:
    """The form `count` takes in `language`: one, few or many (English: one or many)."""
    return load(language if language in DEFAULTS else "ru").form(count)


class Safe(str):
    """Text that is already HTML (a rendered text); it is not escaped again."""


def _escape(value: Any) -> str:
    return value if isinstance(value, Safe) else html.escape(str(value), quote=False)


def _fields(template: str) -> set[str]:
    """Placeholder names; a positional `{}` or `{0}` is reported as an unknown name."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            names.add(name if name and not name.isdigit() else "{}")
    return names


def validate_overrides(overrides: Mapping[str, Mapping[str, str]]) -> None:
    for language, texts in overrides.items():
        if language not in DEFAULTS:
            raise ValueError(f"unknown language {language!r}, expected one of ru, en")
        for key, template in texts.items():
            if key not in DEFAULTS[language]:
                raise ValueError(f"{language}.{key}: unknown text key")
            try:
                fields = _fields(template)
            except ValueError as exc:
                raise ValueError(f"{language}.{key}: {exc}") from None
            unknown = fields - _fields(DEFAULTS[language][key])
            if unknown:
                allowed = ", ".join(sorted(_fields(DEFAULTS[language][key]))) or "none"
                raise ValueError(
                    f"{language}.{key}: unknown placeholder {{{sorted(unknown)[0]}}}; "
                    f"allowed: {allowed}"
                )


class Texts:
    def __init__(self, overrides: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._catalog = {lang: dict(texts) for lang, texts in DEFAULTS.items()}
        self._overrides = {lang: dict(texts) for lang, texts in (overrides or {}).items()}
        for language, texts in self._overrides.items():
            self._catalog[language].update(texts)

    def get(self, key: str, language: str, **params: Any) -> Safe:
        """The text in `language` with every placeholder HTML-escaped."""
        template = self._catalog.get(language, self._catalog["ru"]).get(key)
        if template is None:
            template = self._catalog["ru"][key]
        return _fill(template, params)

    def plural(
        self,
        key: str,
        language: str,
        count: int | float | Decimal,
        *,
        shown: str | None = None,
        **params: Any,
    ) -> Safe:
        """The text of `key` in the plural form `count` takes (`<key>_one`, `_few`,
        `_many`), with `{count}` filled in (as `shown` when given: «1,1» for 1.1)."""
        language = language if language in self._catalog else "ru"
        catalogue = load(language)
        form = f"{key}_{catalogue.form(count)}"
        if key not in catalogue.plurals or form in self._overrides.get(language, {}):
            return self.get(form, language, count=shown or count, **params)
        template = catalogue.translations.npgettext(key, key, key, whole(count))
        return _fill(template, {"count": shown or count, **params})


def _fill(template: str, params: Mapping[str, Any]) -> Safe:
    return Safe(template.format(**{name: _escape(value) for name, value in params.items()}))
