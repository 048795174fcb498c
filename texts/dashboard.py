"""The web dashboard's words: plain text (the templates escape it), Russian then English.

They live in the same gettext catalogues as the bots' texts (texts/locales/*/LC_MESSAGES/
leadkeeper.po), under the msgctxt `dashboard.<key>`: some keys (`closed`, `stale`) name
other words on the dashboard than in the bots.
"""

from __future__ import annotations

from typing import Any

from texts.loader import load

DASHBOARD_TEXTS: dict[str, dict[str, str]] = {
    language: load(language).dashboard for language in ("ru", "en")
}


def dashboard_text(language: str, key: str, **params: Any) -> str:
    """A dashboard word in `language` (Russian when missing); plain text, not HTML."""
    texts = DASHBOARD_TEXTS.get(language, DASHBOARD_TEXTS["ru"])
    template = texts.get(key) or DASHBOARD_TEXTS["ru"][key]
    return template.format(**params) if params else template


def delivery_state(language: str, status: str | None, reason: str | None = None) -> str:
    """An outgoing message's delivery state in words: "✗ не доставлено: клиент
    заблокировал бота"; a status this catalogue does not know is shown as it is."""
    texts = DASHBOARD_TEXTS.get(language, DASHBOARD_TEXTS["ru"])
    state = texts.get(f"delivery_{status}", status or "—")
    why = texts.get(f"delivery_reason_{reason}") if reason else None
    return f"{state}: {why}" if why and status in ("failed", "retrying") else state
