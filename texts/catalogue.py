"""Every text the bots send, Russian first, English second; the YAML may override any.

Texts are HTML (Telegram parse mode): placeholders are escaped when filled, so a
customer named `<b>&Co` never breaks a message.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from domain.language import language_of as language_of
from domain.plural import plural_form
from texts.bot_en import EN
from texts.bot_ru import RU
from texts.gates import GATES_TEXTS
from texts.money import MONEY_TEXTS
from texts.quality import QUALITY_EN, QUALITY_RU
from texts.steps import STEPS_EN, STEPS_RU
from texts.terms import TERMS_EN, TERMS_RU
from texts.watchdog import WATCHDOG_EN, WATCHDOG_RU
from texts.workload import WORKLOAD_EN, WORKLOAD_RU

LANGUAGES = ("ru", "en")

DEFAULTS: dict[str, dict[str, str]] = {
    "ru": {
        **RU,
        **STEPS_RU,
        **MONEY_TEXTS["ru"],
        **WORKLOAD_RU,
        **TERMS_RU,
        **QUALITY_RU,
        **GATES_TEXTS["ru"],
        **WATCHDOG_RU,
    },
    "en": {
        **EN,
        **STEPS_EN,
        **MONEY_TEXTS["en"],
        **WORKLOAD_EN,
        **TERMS_EN,
        **QUALITY_EN,
        **GATES_TEXTS["en"],
        **WATCHDOG_EN,
    },
}


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
        for language, texts in (overrides or {}).items():
            self._catalog[language].update(texts)

    def get(self, key: str, language: str, **params: Any) -> Safe:
        """The text in `language` with every placeholder HTML-escaped."""
        template = self._catalog.get(language, self._catalog["ru"]).get(key)
        if template is None:
            template = self._catalog["ru"][key]
        return Safe(template.format(**{name: _escape(value) for name, value in params.items()}))

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
        form = plural_form(language, count)
        return self.get(f"{key}_{form}", language, count=shown or count, **params)
