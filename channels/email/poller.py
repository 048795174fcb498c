"""IMAP polling: every new mail in one folder becomes a capture, exactly once.

The poller remembers the folder's UIDVALIDITY and the last UID it handled (in the
database, after each mail), so a restart continues where it stopped: mail that arrived
while the service was down is taken once it is back, and nothing is taken twice. When
UIDVALIDITY changes (the folder was recreated), the UIDs mean nothing any more: mail of
the last IMAP_BACKFILL_DAYS is taken again, and the Message-ID keeps each one single.
Mail is read with BODY.PEEK, so the mailbox's \\Seen flags stay as people left them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import aioimaplib

from channels.email.intake import keep_failed_mail, take_mail
from channels.email.normalise import CHANNEL, Skip
from usecases.channel_health import note_poll
from usecases.contacts import mail_taken, mailbox_position
from usecases.context import AppContext
from usecases.outage import is_outage

log = logging.getLogger(__name__)

_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_LITERAL = re.compile(rb"\{(\d+)\}$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_BACKOFF = 300.0


class ImapError(Exception):
    """The server refused a command; the text is the server's, never a password."""


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    security: Literal["ssl", "none"]
    user: str
    password: str
    folder: str = "INBOX"
    poll_interval: float = 30.0
    backfill_days: int = 3
    # A larger mail is read up to this size: its text and headers survive, the tail not.
    max_bytes: int = 10 * 1024 * 1024
    timeout: float = 60.0
    # Mail from these (our replies, copied into the folder) is not an enquiry.
    own_addresses: frozenset[str] = frozenset()

    @property
    def mailbox(self) -> str:
        """The key of this folder's position in the database."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


def _imap_date(moment: datetime) -> str:
    return f"{moment.day:02d}-{_MONTHS[moment.month - 1]}-{moment.year}"


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapPoller:
    def __init__(self, ctx: AppContext, config: ImapConfig) -> None:
        self._ctx = ctx
        self._config = config
        self._client: aioimaplib.IMAP4 | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        backoff = 1.0
        log.info("e-mail: polling %s every %.0fs", self._config.folder, self._config.poll_interval)
        while not stopping.is_set():
            wait = self._config.poll_interval
            try:
                await self.poll_once(stopping)
                backoff = 1.0
                await note_poll(self._ctx, CHANNEL, None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "e-mail: polling %s failed (%s); retry in %.0fs",
                    self._config.host,
                    self._describe(exc),
                    backoff,
                )
                await note_poll(self._ctx, CHANNEL, f"IMAP {self._describe(exc)}")
                await self.close()
                wait = backoff
                backoff = min(backoff * 2, MAX_BACKOFF)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), wait)
        await self.close()

    def _describe(self, exc: BaseException) -> str:
        """The error for the log; a library may quote the command (LOGIN with the password)."""
        text = f"{type(exc).__name__}: {exc}"[:300]
        return text.replace(self._config.password, "***") if self._config.password else text

    async def poll_once(self, stopping: asyncio.Event | None = None) -> int:
        """Take every mail not taken yet; returns how many were handled."""
        client = await self._connect()
        response = await client.select(_quote(self._config.folder))
        if response.result != "OK":
            raise ImapError(f"SELECT {self._config.folder}: {_text(response.lines)}")
        uidvalidity = _uidvalidity(response.lines)
        position = await mailbox_position(self._ctx, self._config.mailbox)
        if position is None or position.uidvalidity != uidvalidity:
            if position is not None:
                log.warning(
                    "e-mail: %s was recreated (UIDVALIDITY %s → %s); taking the last %s days",
                    self._config.folder,
                    position.uidvalidity,
                    uidvalidity,
                    self._config.backfill_days,
                )
            uids = await self._backfill(client, uidvalidity)
        else:
            found = await self._search(client, f"UID {position.last_uid + 1}:*")
            # `n:*` always matches the newest mail, even when its UID is below n.
            uids = [uid for uid in found if uid > position.last_uid]
        handled = 0
        for uid in sorted(uids):
            if stopping is not None and stopping.is_set():
                break
            raw = await self._fetch(client, uid)
            await self._take(raw, uidvalidity, uid)
            handled += 1
        return handled

    async def _backfill(self, client: aioimaplib.IMAP4, uidvalidity: int) -> list[int]:
        if self._config.backfill_days > 0:
            since = self._ctx.clock.now().astimezone(UTC) - timedelta(
                days=self._config.backfill_days
            )
            return await self._search(client, f"SINCE {_imap_date(since)}")
        # No backfill: start after the newest mail there is now.
        newest = max(await self._search(client, "ALL"), default=0)
        await mail_taken(self._ctx, self._config.mailbox, uidvalidity, newest)
        return []

    async def _take(self, raw: bytes | None, uidvalidity: int, uid: int) -> None:
        mailbox = self._config.mailbox
        if raw is None:  # expunged between SEARCH and FETCH
            await mail_taken(self._ctx, mailbox, uidvalidity, uid)
            return
        try:
            result = await take_mail(self._ctx, raw, self._config.own_addresses)
        except Skip as reason:
            log.info("e-mail: UID %s skipped: %s", uid, reason)
        except Exception as exc:
            if is_outage(exc):
                raise  # not taken: the next round tries this UID again
            log.exception("e-mail: UID %s could not be captured; kept in the inbox", uid)
            await keep_failed_mail(self._ctx, raw, exc)
        else:
            log.info("e-mail: UID %s → lead %s (%s)", uid, result.lead_id, result.outcome.value)
        await mail_taken(self._ctx, mailbox, uidvalidity, uid)

    async def _connect(self) -> aioimaplib.IMAP4:
        if self._client is not None:
            return self._client
        config = self._config
        if config.security == "ssl":
            client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
                host=config.host,
                port=config.port,
                timeout=config.timeout,
                ssl_context=ssl.create_default_context(),
            )
        else:
            client = aioimaplib.IMAP4(host=config.host, port=config.port, timeout=config.timeout)
        try:
            await client.wait_hello_from_server()
            response = await client.login(config.user, config.password)
        except BaseException:
            _drop(client)
            raise
        if response.result != "OK":
            _drop(client)
            raise ImapError(f"login as {config.user} refused: {_text(response.lines)}")
        self._client = client
        return client

    async def _search(self, client: aioimaplib.IMAP4, criteria: str) -> list[int]:
        response = await client.uid_search(criteria, charset=None)
        if response.result != "OK":
            raise ImapError(f"SEARCH {criteria}: {_text(response.lines)}")
        uids: list[int] = []
        for line in response.lines:
            if isinstance(line, bytes | bytearray):
                uids.extend(int(token) for token in bytes(line).split() if token.isdigit())
        return uids

    async def _fetch(self, client: aioimaplib.IMAP4, uid: int) -> bytes | None:
        part = f"(BODY.PEEK[]<0.{self._config.max_bytes}>)"
        response = await client.uid("fetch", str(uid), part)
        if response.result != "OK":
            raise ImapError(f"FETCH {uid}: {_text(response.lines)}")
        lines = response.lines
        for index, line in enumerate(lines[:-1]):
            if isinstance(line, bytes) and _LITERAL.search(line.rstrip()):
                literal = lines[index + 1]
                if isinstance(literal, bytes | bytearray):
                    return bytes(literal)
        return None

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.logout(), 5)
        _drop(client)


def _drop(client: aioimaplib.IMAP4) -> None:
    connecting = getattr(client, "_client_task", None)
    if connecting is not None and not connecting.done():
        connecting.cancel()
    transport = getattr(client.protocol, "transport", None)
    if transport is not None:
        transport.close()


def _uidvalidity(lines: list[bytes]) -> int:
    for line in lines:
        match = _UIDVALIDITY.search(bytes(line))
        if match:
            return int(match.group(1))
    raise ImapError("the server gave no UIDVALIDITY")


def _text(lines: list[bytes]) -> str:
    return " ".join(bytes(line).decode("utf-8", "replace") for line in lines)[:200]
