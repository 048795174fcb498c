"""Logging set-up: secrets never reach a log line, phones and e-mails are masked."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_PHONE = re.compile(r"(?<![\w/\-:.])\+?\d[\d\- ()]{8,}\d(?![\w:])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The look-behind lets a match start only where a run of address characters starts: without
# it every position of a long run was tried again, which took seconds for a 160 KB word.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})"
)
# Any one value put into a log line is cut to this many characters, and the line too.
MAX_FIELD = 2000
MAX_LINE = 16_000
_BOT_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if len(digits) < 10 or len(digits) > 15 or _DATE.search(match.group(0)):
        return match.group(0)
    return f"+{digits[:4]}***{digits[-2:]}"


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _BOT_TOKEN.sub("***", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(_mask_phone, text)


def _cap(text: str, limit: int = MAX_FIELD) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text)} chars]"


def _capped_args(args: object) -> object:
    if isinstance(args, tuple):
        return tuple(_cap(arg) if isinstance(arg, str) else arg for arg in args)
    if isinstance(args, dict):
        return {key: _cap(arg) if isinstance(arg, str) else arg for key, arg in args.items()}
    return args


class ScrubFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        record.args = _capped_args(record.args)
        message = _cap(record.getMessage(), MAX_LINE)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = scrub(message, self._secrets)
        record.args = None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, self._secrets)
        return True


class MalformedRequestFilter(logging.Filter):
    """aiohttp answers a request its parser cannot read (a 9 KB URL, a bad header) with a
    400 and then logs a full traceback at ERROR: anyone could fill the log with those.
    Such a record becomes one INFO line with the parser's reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and type(error).__module__ == "aiohttp.http_exceptions":
            record.levelno, record.levelname = logging.INFO, "INFO"
            reason = " ".join(str(getattr(error, "message", error)).split())
            record.msg, record.args = "malformed HTTP request refused (400): %s", (reason[:200],)
            record.exc_info = record.exc_text = None
        return True


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiogram logs every update at INFO; ours says what matters.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(item, MalformedRequestFilter) for item in server.filters):
        server.addFilter(MalformedRequestFilter())
    # The scheduler's executor logs two INFO lines for every one-second wake-up tick;
    # a job that fails is still logged (at ERROR).
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
