"""One mail into a capture, the same way whether the poller has just fetched it or the
inbox worker retries it: the thread it answers, normalised, the thread remembered, the
capture. A mail that fails here is kept in the inbox, named by its Message-ID."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable

from channels.email.normalise import Skip, external_id, inbound_from_mail
from channels.email.parse import parse_mail
from usecases.capture import CaptureResult, capture
from usecases.contacts import remember_thread, thread_email
from usecases.context import AppContext
from usecases.inbox import keep_failed_inbound

log = logging.getLogger(__name__)
CHANNEL = "email"


async def take_mail(ctx: AppContext, raw: bytes, own_addresses: frozenset[str]) -> CaptureResult:
    """Raises Skip for a mail that is no enquiry (our own, an auto-reply, …)."""
    parsed = parse_mail(raw)
    ids = parsed.thread_ids
    inbound = inbound_from_mail(
        parsed,
        thread_email=await thread_email(ctx, ids) if ids else None,
        own_addresses=own_addresses,
    )
    if inbound.sender.chat_id and parsed.message_id:
        await remember_thread(
            ctx,
            inbound.sender.chat_id,
            subject=parsed.subject,
            message_id=parsed.message_id,
            references=parsed.references,
        )
    return await capture(ctx, inbound)


async def keep_failed_mail(ctx: AppContext, raw: bytes, error: BaseException) -> None:
    await keep_failed_inbound(ctx, CHANNEL, mail_key(raw), mail_payload(raw), error)


def mail_key(raw: bytes) -> str:
    """The Message-ID (as the capture's own deduplication uses it), or the bytes' hash."""
    try:
        return external_id(parse_mail(raw))
    except Exception:
        return "sha256:" + hashlib.sha256(raw).hexdigest()


def mail_payload(raw: bytes) -> str:
    """The bytes exactly (a mail in cp1251 or 8-bit must survive), inside JSON text."""
    return json.dumps({"raw_base64": base64.b64encode(raw).decode("ascii")})


def mail_bytes(payload: str) -> bytes:
    """The mail of a stored payload; a legacy dead letter holds the mail as text."""
    if payload.startswith("{"):
        try:
            data = json.loads(payload)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("raw_base64"), str):
            try:
                return base64.b64decode(data["raw_base64"], validate=True)
            except binascii.Error as exc:
                raise ValueError(f"stored mail is not base64: {exc}") from None
    return payload.encode("utf-8", "surrogateescape")


def mail_processor(
    ctx: AppContext, own_addresses: frozenset[str]
) -> Callable[[str], Awaitable[None]]:
    async def process(payload: str) -> None:
        try:
            result = await take_mail(ctx, mail_bytes(payload), own_addresses)
        except Skip as reason:
            log.info("e-mail from the inbox skipped: %s", reason)
            return
        log.info("e-mail from the inbox → lead %s (%s)", result.lead_id, result.outcome.value)

    return process
