"""Raw RFC 5322 bytes → what a lead needs: sender, subject, text, attachments, thread ids.

Real mail is often broken: undeclared or unknown charsets, raw 8-bit headers, missing
boundaries, no header block at all. The parser never raises: it keeps what it can read
and lists what it could not in `defects`. No I/O here.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import Header, decode_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from channels.email.plain import html_to_text, tidy
from domain.contacts import normalise_email
from domain.inbound import Attachment

# The longest text kept from one mail; a marketing page turned into text can be huge.
MAX_TEXT = 20_000
_CHARSET_ALIASES = {
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-roman": "mac_roman",
    "ks_c_5601-1987": "cp949",
    "windows-874": "cp874",
    "x-sjis": "shift_jis",
    "utf8": "utf-8",
    "x-cp1251": "cp1251",
    "win-1251": "cp1251",
}
_NOT_A_CHARSET = {"unknown-8bit", "x-unknown", "none", "unknown", "x-user-defined", "default"}
_RU_WORD_LETTER = re.compile(r"(?<![A-Za-z])[а-яё](?![A-Za-z])")
_SPACE_RUN = re.compile(r"\s+")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_REPLY_HEADER = re.compile(
    r"^\s*(?:"
    r"on\b.{0,300}\bwrote:"
    r"|.{0,300}\b(?:пишет|писал|написал|написала|написал\(а\))\s*:"
    r"|-{2,}\s*(?:original message|исходное сообщение|forwarded message|"
    r"пересылаемое сообщение|reply message)\s*-{2,}"
    r"|_{20,}"
    r")\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*(?:from|от|de|von)\s*:\s*\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*(?:sent|date|to|subject|отправлено|дата|кому|тема)\s*:", re.IGNORECASE
)


@dataclass
class ParsedMail:
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_address: str | None = None
    from_name: str | None = None
    raw_from: str = ""
    reply_to: str | None = None
    subject: str = ""
    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    sent_at: datetime | None = None
    auto_generated: bool = False
    # List or bulk mail (List-Id, Precedence: bulk|list|junk): never acknowledged.
    bulk: bool = False
    defects: list[str] = field(default_factory=list)
    digest: str = ""

    @property
    def thread_ids(self) -> list[str]:
        """Every id this mail answers, nearest first."""
        seen: list[str] = []
        for value in [*self.in_reply_to, *reversed(self.references)]:
            if value not in seen:
                seen.append(value)
        return seen


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip('"').lower()
    if name in _NOT_A_CHARSET:
        return None
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Declared charset first; then UTF-8; then the likelier of windows-1251 and KOI8-R
    for Cyrillic; windows-1252 for the rest. Never raises."""
    codec = _codec(declared)
    if codec is not None:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    high = sum(1 for byte in data if byte >= 0x80)
    best = ""
    best_score = -1
    for candidate in ("cp1251", "koi8_r"):
        text = data.decode(candidate, errors="replace")
        # Russian prose is mostly lower case (the wrong one of these two codecs swaps
        # case), and its letters stand among their own kind, not glued to Latin ones as
        # the accented letters of windows-1252 text are.
        score = len(_RU_WORD_LETTER.findall(text))
        if score > best_score:
            best, best_score = text, score
    if high and best_score >= high * 0.5:
        return best
    if codec is not None:
        return data.decode(codec, errors="replace")
    return data.decode("cp1252", errors="replace")


def _unescape_surrogates(text: str) -> str:
    """The parser keeps raw 8-bit header bytes as surrogates; decode them properly."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    return decode_bytes(text.encode("utf-8", "surrogateescape"))


def header_text(value: object) -> str:
    """A header as readable text: RFC 2047 words decoded, raw 8-bit guessed, folded lines
    joined."""
    if value is None:
        return ""
    try:
        chunks = decode_header(value if isinstance(value, Header | str) else str(value))
    except Exception:
        chunks = [(str(value), None)]
    parts: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(_unescape_surrogates(chunk))
        else:
            parts.append(decode_bytes(chunk, charset))
    return _SPACE_RUN.sub(" ", "".join(parts)).strip()


def _raw_header(message: Message, name: str) -> str:
    """The header still encoded (for address parsing), with raw bytes made text."""
    value = message.get(name)
    if value is None:
        return ""
    if isinstance(value, Header):
        return header_text(value)
    return _unescape_surrogates(str(value))


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    raw = _raw_header(message, name)
    if not raw:
        return []
    try:
        pairs = getaddresses([raw])
    except Exception:
        return [("", raw.strip())]
    return [(header_text(display), address.strip()) for display, address in pairs]


def _ids(value: str) -> list[str]:
    found = _MESSAGE_ID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip()]
    return found


def _date(message: Message) -> datetime | None:
    raw = _raw_header(message, "Date")
    if not raw:
        return None
    try:
        moment = parsedate_to_datetime(raw)
    except Exception:
        return None
    if moment is None or not 1990 <= moment.year <= 2100:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _kind(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    return {"image": "photo", "audio": "audio", "video": "video"}.get(major, "document")


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is None:
        return None
    return header_text(name) if isinstance(name, Header) else header_text(str(name))


def _payload_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def is_bulk(message: Message) -> bool:
    if message.get("List-Id") is not None or message.get("List-Unsubscribe") is not None:
        return True
    precedence = header_text(message.get("Precedence")).strip().lower()
    return precedence in ("bulk", "list", "junk")


def _is_auto_generated(message: Message, address: str | None, raw_from: str) -> bool:
    auto = header_text(message.get("Auto-Submitted")).strip().lower()
    if auto and not auto.startswith("no"):
        return True
    # A bounce comes with the null reverse path (RFC 5321 4.5.5).
    if header_text(message.get("Return-Path")).strip().replace(" ", "") == "<>":
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    if message.get_content_type() == "multipart/report":
        return True
    local = (address or raw_from).split("@", 1)[0].strip().lower()
    return local in {"mailer-daemon", "postmaster", "mailer daemon"} or (
        "mailer-daemon" in raw_from.lower() or "mailer daemon" in raw_from.lower()
    )


def trim_quoted(text: str) -> str:
    """The customer's new words: a quoted earlier message under a reply header (Gmail,
    Outlook, Thunderbird, Russian clients) and a trailing `>` block are cut off."""
    lines = text.split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        joined = line + " " + lines[index + 1] if index + 1 < len(lines) else line
        if _REPLY_HEADER.match(line) or (
            line.strip().lower().startswith("on ") and _REPLY_HEADER.match(joined)
        ):
            cut = index
            break
        if _OUTLOOK_FROM.match(line) and any(
            _OUTLOOK_NEXT.match(following) for following in lines[index + 1 : index + 4]
        ):
            cut = index
            break
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or text.strip()


def _body(message: Message, parsed: ParsedMail) -> None:
    plain: list[str] = []
    markup: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        try:
            disposition = (part.get_content_disposition() or "").lower()
        except Exception:
            disposition = ""
        name = _filename(part)
        data = _payload_bytes(part)
        textual = content_type.startswith("text/") or content_type.startswith("multipart/")
        if disposition == "attachment" or not textual or (name and disposition != "inline"):
            if content_type == "message/delivery-status" or (not data and not name):
                continue
            parsed.attachments.append(
                Attachment(
                    _kind(content_type), file_name=name, mime_type=content_type, size=len(data)
                )
            )
            continue
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        decoded = decode_bytes(data, charset)
        if content_type == "text/html":
            markup.append(decoded)
        else:
            plain.append(decoded)
    chosen = [tidy(text) for text in plain if text.strip()]
    if not chosen:
        chosen = [html_to_text(text) for text in markup if text.strip()]
    text = "\n\n".join(item for item in chosen if item)
    text = trim_quoted(text) if text else ""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT].rstrip() + "…"
    parsed.text = text


def parse_mail(raw: bytes) -> ParsedMail:
    parsed = ParsedMail(digest=hashlib.sha256(raw).hexdigest())
    try:
        message = message_from_bytes(raw, policy=compat32)
    except Exception as exc:  # the email package rarely gives up; keep the bytes as text
        parsed.defects.append(f"unparseable: {type(exc).__name__}")
        parsed.text = tidy(decode_bytes(raw))[:MAX_TEXT]
        return parsed
    parsed.defects.extend(type(defect).__name__ for defect in message.defects)

    senders = _addresses(message, "From") or _addresses(message, "Sender")
    parsed.raw_from = _raw_header(message, "From") or _raw_header(message, "Sender")
    for display, address in senders:
        parsed.from_name = parsed.from_name or (display or None)
        parsed.from_address = parsed.from_address or normalise_email(address)
    for _, address in _addresses(message, "Reply-To"):
        parsed.reply_to = parsed.reply_to or normalise_email(address)
    if parsed.from_address is None:
        for header in ("Sender", "Return-Path"):
            for _, address in _addresses(message, header):
                parsed.from_address = parsed.from_address or normalise_email(address)
    if parsed.from_name and parsed.from_name == parsed.from_address:
        parsed.from_name = None

    parsed.subject = header_text(message.get("Subject"))
    message_ids = _ids(_raw_header(message, "Message-ID"))
    parsed.message_id = message_ids[0] if message_ids else None
    parsed.in_reply_to = _ids(_raw_header(message, "In-Reply-To"))
    parsed.references = _ids(_raw_header(message, "References"))
    parsed.sent_at = _date(message)
    parsed.auto_generated = _is_auto_generated(message, parsed.from_address, parsed.raw_from)
    parsed.bulk = is_bulk(message)
    try:
        _body(message, parsed)
    except Exception as exc:
        parsed.defects.append(f"body: {type(exc).__name__}")
        parsed.text = tidy(decode_bytes(raw.split(b"\n\n", 1)[-1]))[:MAX_TEXT]
    return parsed
