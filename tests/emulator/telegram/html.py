"""Telegram's HTML parse mode: Telegram-flavoured HTML into plain text and message entities."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

_ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_HTML_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlParseError(ValueError):
    """Raised for text Telegram would refuse with "can't parse entities"."""


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start: int  # UTF-16 offset in the plain text
    language: str | None = None


def _utf16_len(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into plain text and message entities.

    Stricter than Telegram in one place on purpose: a bare "&" that is not a valid entity is
    an error (Telegram would keep it literally), because it always means the sender forgot to
    escape user input, and the next customer name may contain "<" instead.
    """
    out: list[str] = []
    length = 0  # UTF-16 length of out
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)

    def offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    while i < n:
        ch = text[i]
        if ch == "&":
            match = _HTML_ENTITY.match(text, i)
            decoded = _decode_entity(match) if match else None
            if match is None or decoded is None:
                raise HtmlParseError(
                    f"Character '&' is reserved and must be escaped with \"&amp;\" "
                    f"at byte offset {offset(i)}"
                )
            out.append(decoded)
            length += _utf16_len(decoded)
            i = match.end()
            continue
        if ch != "<":
            out.append(ch)
            length += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            end = text.find(">", i)
            if end == -1:
                raise HtmlParseError(f"Unclosed end tag at byte offset {offset(begin)}")
            name = text[i + 1 : end].strip().lower()
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {offset(begin)}")
            top = stack[-1]
            if name != top.name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {offset(begin)}, "
                    f'expected "</{top.name}>", found "</{name}>"'
                )
            stack.pop()
            entity = _close_tag(top, length, stack)
            if entity is not None:
                entities.append(entity)
            i = end + 1
            continue

        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset(begin)}")
        name = text[i:j].lower()
        if name not in _ALLOWED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {offset(begin)}')
        attrs, j = _parse_attributes(text, j, name, offset(begin))
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise HtmlParseError(
                f"Custom emoji entity must contain a valid custom emoji identifier "
                f"at byte offset {offset(begin)}"
            )
        stack.append(_OpenTag(name=name, attrs=attrs, start=length))
        i = j

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _decode_entity(match: re.Match[str]) -> str | None:
    named, dec, hexa = match.groups()
    if named:
        return _NAMED[named]
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _parse_attributes(text: str, j: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    n = len(text)
    attrs: dict[str, str] = {}
    while True:
        while j < n and text[j].isspace():
            j += 1
        if j >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        if text[j] == ">":
            return attrs, j + 1
        k = j
        while k < n and not text[k].isspace() and text[k] not in "=>":
            k += 1
        attr = text[j:k].lower()
        if not attr:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        j = k
        while j < n and text[j].isspace():
            j += 1
        value = ""
        if j < n and text[j] == "=":
            j += 1
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            if text[j] in "\"'":
                end = text.find(text[j], j + 1)
                if end == -1:
                    raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
                value = html.unescape(text[j + 1 : end])
                j = end + 1
            else:
                k = j
                while k < n and not text[k].isspace() and text[k] != ">":
                    k += 1
                value = html.unescape(text[j:k])
                j = k
        attrs[attr] = value


def _close_tag(tag: _OpenTag, end: int, stack: list[_OpenTag]) -> dict[str, Any] | None:
    if tag.name == "code" and stack and stack[-1].name == "pre":
        language = tag.attrs.get("class", "")
        if language.startswith("language-") and tag.start == stack[-1].start:
            # Telegram folds <pre><code class="language-x"> into one pre entity.
            stack[-1].language = language.removeprefix("language-")
            return None
    size = end - tag.start
    if size <= 0:
        return None
    entity: dict[str, Any] = {"offset": tag.start, "length": size}
    if tag.name == "a":
        href = tag.attrs.get("href")
        if not href:
            return None
        entity.update(type="text_link", url=href)
    elif tag.name == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=tag.attrs["emoji-id"])
    elif tag.name == "blockquote":
        expandable = "expandable" in tag.attrs
        entity["type"] = "expandable_blockquote" if expandable else "blockquote"
    else:
        entity["type"] = _TAG_ENTITY[tag.name]
        if tag.name == "pre" and tag.language:
            entity["language"] = tag.language
    return entity
