"""Plain-text helpers: HTML-only mail made readable, the HTML texts sent to channels that show
plain text (VK, WhatsApp, e-mail). Standard library only; never raises on bad markup."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

_BLOCK = {
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section",
    "table", "tr", "ul",
}  # fmt: skip
_SKIP = {"head", "script", "style", "title", "template", "noscript"}
_SPACES = re.compile(r"[ \t\f\v\r\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._href: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "td" or tag == "th":
            self.parts.append(" ")
        elif tag == "a":
            self._href = dict(attrs).get("href")
            self._link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "a" and self._href:
            shown = "".join(self._link_text).strip()
            href = self._href
            self._href = None
            # A link whose words hide its address keeps the address; a mailto does not.
            if href.startswith(("http://", "https://")) and href not in shown:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        self.parts.append(data)
        if self._href is not None:
            self._link_text.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextParser()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is the last resort for odd input
        return tidy(re.sub(r"<[^>]*>", " ", html.unescape(markup)))
    return tidy("".join(parser.parts))


def tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def payload_text(payload: dict[str, Any]) -> str:
    """What a plain-text channel shows for an outbox payload: the text (HTML made plain
    when the payload says so), then links of URL buttons, photos and documents."""
    text = str(payload.get("text") or "")
    if payload.get("parse_mode") == "HTML":
        text = html_to_text(text.replace("\n", "<br>"))
    extra: list[str] = []
    for row in payload.get("buttons") or []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("url"):
                extra.append(f"{button.get('text', '')}: {button['url']}".strip(": "))
    for key in ("photo", "document"):
        value = payload.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            extra.append(value)
    return "\n".join(part for part in [text, *extra] if part)


_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


def guess_language(text: str) -> str | None:
    """For channels that do not say: Cyrillic reads as Russian, Latin-only as English."""
    if _CYRILLIC.search(text):
        return "ru"
    if _LATIN.search(text):
        return "en"
    return None
