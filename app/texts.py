"""Every text the bots send, Russian first, English second; the YAML may override any.

Texts are HTML (Telegram parse mode): placeholders are escaped when filled, so a
customer named `<b>&Co` never breaks a message.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from typing import Any

LANGUAGES = ("ru", "en")

DEFAULTS: dict[str, dict[str, str]] = {
    "ru": {
        "welcome": (
            "Здравствуйте, {name}! Это {company}. Напишите ваш вопрос — {when}.\n"
            "Можно оставить номер телефона кнопкой ниже, и мы перезвоним."
        ),
        "ack_new_lead": (
            "Спасибо, {name}! Ваше обращение получено, {when}.\n"
            "Чтобы мы могли перезвонить, поделитесь номером кнопкой ниже."
        ),
        "ack_new_lead_with_phone": "Спасибо, {name}! Ваше обращение получено, {when}.",
        "when_in_hours": "менеджер ответит в течение {sla}",
        "when_closed": "сейчас мы не работаем; менеджер ответит, когда вернётся команда: {back}",
        "when_unknown": "менеджер скоро ответит",
        "phone_button": "📱 Отправить номер телефона",
        "phone_thanks": "Спасибо, номер {phone} сохранён.",
        "unsupported": "Извините, этот тип сообщения не поддерживается. Напишите, пожалуйста, текстом.",
        "customer_only": "Эта команда доступна только сотрудникам. Напишите ваш вопрос — мы ответим.",
        "error_retry": "Извините, не удалось обработать сообщение. Попробуйте ещё раз чуть позже.",
        "minutes": "{n} мин",
        "hours": "{n} ч",
        "days": "{n} дн",
    },
    "en": {
        "welcome": (
            "Hello, {name}! This is {company}. Write your question — {when}.\n"
            "You can share your phone number with the button below and we will call you back."
        ),
        "ack_new_lead": (
            "Thank you, {name}! We have received your enquiry, {when}.\n"
            "Share your phone number with the button below so that we can call you back."
        ),
        "ack_new_lead_with_phone": "Thank you, {name}! We have received your enquiry, {when}.",
        "when_in_hours": "a manager will answer within {sla}",
        "when_closed": "we are closed now; a manager will answer when the team is back: {back}",
        "when_unknown": "a manager will answer soon",
        "phone_button": "📱 Share phone number",
        "phone_thanks": "Thank you, your number {phone} is saved.",
        "unsupported": "Sorry, this kind of message is not supported. Please write in text.",
        "customer_only": "This command is for staff only. Write your question and we will answer.",
        "error_retry": "Sorry, we could not process your message. Please try again a bit later.",
        "minutes": "{n} min",
        "hours": "{n} h",
        "days": "{n} d",
    },
}


class Safe(str):
    """Text that is already HTML (a rendered text); it is not escaped again."""


def _escape(value: Any) -> str:
    return value if isinstance(value, Safe) else html.escape(str(value), quote=False)


def language_of(code: str | None) -> str:
    """Russian unless the user's client says English."""
    return "en" if code and code.lower().startswith("en") else "ru"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def validate_overrides(overrides: Mapping[str, Mapping[str, str]]) -> None:
    for language, texts in overrides.items():
        if language not in DEFAULTS:
            raise ValueError(f"unknown language {language!r}, expected one of ru, en")
        for key, template in texts.items():
            if key not in DEFAULTS[language]:
                raise ValueError(f"{language}.{key}: unknown text key")
            unknown = _fields(template) - _fields(DEFAULTS[language][key])
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
