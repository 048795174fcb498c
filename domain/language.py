"""Which of our two languages a person reads: the one rule for every channel and page."""

from __future__ import annotations


def language_of(code: str | None) -> str:
    """Russian unless the client (or browser, or stored contact) says English."""
    return "en" if code and code.lower().startswith("en") else "ru"
