"""One conformance suite for every channel in channels/registry.py, each over its real
emulator and the running service, on SQLite and PostgreSQL:

- an inbound message is captured once however often the platform delivers it;
- a forged sender (wrong secret, signature or token) is refused with nothing stored;
- fuzzed bodies with the right credentials never get a 5xx, a malformed one is refused
  or kept as failed, and a real message after them is still captured;
- an outbound text reaches the customer on the platform, split at the channel's length
  limit; refused credentials are reported as such (the watchdog counts them);
- a send the platform answers with its rate limit is retried after the wait it advised
  (or the channel's own, where it names none) and delivered exactly once;
- the watchdog's probe finds the channel healthy, notices broken credentials and a
  removed webhook (set again), and finds it healthy once they are restored.

A channel added to the registry without a kit in tests/support/conformance*.py fails
test_every_registered_channel_has_a_kit."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from channels.registry import CHANNEL_NAMES
from domain.clock import ManualClock
from domain.text_split import split_text
from storage.models import InboundUpdate, Message, OutboxMessage
from tests.support.conformance import Kit, MaxKit, TelegramKit, VkKit, WhatsAppKit
from tests.support.conformance_more import AvitoKit, BusinessKit, EmailKit, FormKit
from tests.support.mail import SmtpServer, dovecot_running
from tests.support.scale import free_port
from tests.support.service import running_service, wait_until
from tests.support.watchdog import LOOK_EVERY, health, minute_passes, watchdog_config
from usecases.ports import SendStatus

KITS: dict[str, Callable[[], Kit]] = {
    "telegram": TelegramKit,
    "telegram_business": BusinessKit,
    "vk": VkKit,
    "whatsapp": WhatsAppKit,
    "email": lambda: EmailKit(SmtpServer),
    "form": lambda: FormKit(SmtpServer),
    "max": MaxKit,
    "avito": AvitoKit,
}
QUESTION = "Здравствуйте! Сколько стоит доставка дивана в Тверь?"
# ASCII, so that it reads the same in a payload stored with JSON's \u escapes.
FORGED = "forged-sender-7f3a"


def test_every_registered_channel_has_a_kit() -> None:
    assert set(KITS) == set(CHANNEL_NAMES)


@pytest.fixture(params=sorted(KITS))
async def kit(request: pytest.FixtureRequest) -> AsyncIterator[Kit]:
    if request.param == "email" and not dovecot_running():
        pytest.skip("the e-mail kit needs the test Dovecot (scripts/dovecot-test.sh start)")
    async with KITS[request.param]() as started:
        yield started


async def _count(service: Any, model: Any, *where: Any) -> int:
    async with service.ctx.db.session_factory() as session:
        statement = select(func.count()).select_from(model).where(*where)
        return int(await session.scalar(statement) or 0)


async def _inbound(service: Any, kit: Kit) -> int:
    return await _count(service, Message, Message.channel == kit.name, Message.direction == "in")


async def _captured(service: Any, kit: Kit, count: int) -> None:
    async def enough() -> bool:
        return await _inbound(service, kit) >= count

    await wait_until(enough)


async def _saying(service: Any, kit: Kit, fragment: str) -> int:
    """The customer's messages on the channel that say `fragment`."""
    where = (Message.channel == kit.name, Message.direction == "in")
    return await _count(service, Message, *where, Message.text.contains(fragment))


async def _captured_once(service: Any, kit: Kit, fragment: str) -> None:
    async def there() -> bool:
        return await _saying(service, kit, fragment) >= 1

    await wait_until(there)
    await wait_until(lambda: _settled(service))
    if isinstance(kit, EmailKit):
        await kit.polled_twice(service)
    assert await _saying(service, kit, fragment) == 1


def _started(kit: Kit, database_url: str, clock: ManualClock) -> Any:
    port = free_port()
    kit.base = f"http://127.0.0.1:{port}"
    return running_service(
        kit.settings(database_url, port),
        watchdog_config(),
        clock=clock,
        watchdog_interval=LOOK_EVERY,
    )


def _fuzz(seed: int) -> list[bytes]:
    chance = random.Random(seed)
    bodies = [b"", b"{", b"null", b"[]", b'{"update_id": "x"}', b"\xff\xfe\x00", b"{}" * 50]
    bodies += [bytes(chance.randrange(256) for _ in range(chance.randrange(1, 300)))]
    bodies += [b'{"a": ' * 40 + b"1" + b"}" * 40]
    return bodies


async def test_inbound_contract(database_url: str, kit: Kit, clock: ManualClock) -> None:
    async with _started(kit, database_url, clock) as service, aiohttp.ClientSession() as http:
        await kit.ready(service)
        raw = kit.inbound(1, QUESTION)
        for _ in range(3):  # the platform retries a slow answer
            assert await kit.deliver(http, raw) < 300
        await _captured_once(service, kit, "Тверь")

        if kit.checks_sender:
            status = await kit.deliver(http, kit.forged(kit.inbound(2, FORGED)))
            assert status in (401, 403), status
            # Counted by its own text, not as "no new row": other payloads may arrive
            # meanwhile (Avito echoes the auto-reply to the webhook when the outbox sends it).
            assert await _count(service, InboundUpdate, InboundUpdate.payload.contains(FORGED)) == 0
            for body in _fuzz(len(kit.name)):
                fuzzed = type(raw)(raw.path, body, raw.headers)
                assert await kit.deliver(http, fuzzed) < 500

        status = await kit.deliver(http, kit.malformed())
        assert status < 500
        if status < 300 and kit.checks_sender:
            # Taken in, it is handled to the end: skipped on purpose (done), or kept
            # with its error for a retry and then as failed; never stuck or lost.
            await wait_until(lambda: _settled(service))

        # Whatever came before, a real message still becomes a lead's message, once.
        last = kit.inbound(3, "И ещё вопрос про сборку")
        assert await kit.deliver(http, last) < 300
        assert await kit.deliver(http, last) < 300
        await _captured_once(service, kit, "про сборку")


async def _settled(service: Any) -> bool:
    """No inbound payload is waiting without a reason: each is done, or carries its
    error (pending a retry, or failed)."""
    busy = InboundUpdate.status.in_(("pending", "processing"))
    return await _count(service, InboundUpdate, busy, InboundUpdate.error.is_(None)) == 0


def _sender(service: Any, kit: Kit) -> Any:
    return next(p.sender for p in service._plugins if p.name == kit.name)


async def test_outbound_contract(database_url: str, kit: Kit, clock: ManualClock) -> None:
    async with _started(kit, database_url, clock) as service, aiohttp.ClientSession() as http:
        await kit.ready(service)
        assert await kit.deliver(http, kit.inbound(1, QUESTION)) < 300
        await _captured(service, kit, 1)
        sender = _sender(service, kit)

        result = await sender.send(kit.customer(), {"text": "Доставка в Тверь — 1500 ₽."})
        assert result.status is SendStatus.SENT, result
        await wait_until(_async(lambda: any("1500 ₽" in text for text in kit.received())))

        limit = service.ctx.text_limits.get(kit.name)
        long = " ".join(f"слово{n}" for n in range(((limit or 3000) * 2) // 7 + 5))
        parts = split_text(long, limit) if limit else [long]
        if limit:
            assert len(parts) >= 2 and all(len(part) <= limit for part in parts)
        before = len(kit.received())
        for part in parts:
            assert (await sender.send(kit.customer(), {"text": part})).status is SendStatus.SENT
        await wait_until(_async(lambda: len(kit.received()) >= before + len(parts)))
        # Every word arrives, in parts no longer than the limit (an acknowledgement
        # the service sent meanwhile may sit among them).
        delivered = " ".join(kit.received()[before:])
        assert set(long.split()) <= set(delivered.split())

        if kit.has_probe and not kit.break_before_start:
            kit.break_credentials()
            refused = await sender.send(kit.customer(), {"text": "не дойдёт"})
            kit.restore_credentials()
            assert refused.status is not SendStatus.SENT and refused.refused, refused


RATE_LIMITED = "Перезвоним вам через пять минут."


async def _outbox_idle(service: Any, kit: Kit) -> bool:
    """Nothing on the channel is due or on its way (the acknowledgement went out). Rows
    for staff on Telegram may wait: a kit without the bot has nobody to send them."""
    where = (
        OutboxMessage.channel == kit.name,
        OutboxMessage.status.in_(("pending", "sending")),
        OutboxMessage.next_attempt_at <= service.ctx.clock.now(),
    )
    return await _count(service, OutboxMessage, *where) == 0


async def _queue(service: Any, kit: Kit, text: str) -> int:
    async with service.ctx.db.uow() as uow:
        row_id = await uow.outbox.add(
            channel=kit.name,
            chat_id=kit.customer(),
            purpose="notice",
            payload={"text": text},
            now=service.ctx.clock.now(),
        )
        await uow.commit()
    assert row_id is not None
    service.ctx.wake("outbox")
    return row_id


async def _row_once(service: Any, row_id: int, done: Callable[[OutboxMessage], bool]) -> Any:
    async def reached() -> bool:
        async with service.ctx.db.session_factory() as session:
            row = await session.get(OutboxMessage, row_id)
            return row is not None and done(row)

    await wait_until(reached)
    async with service.ctx.db.session_factory() as session:
        return await session.get(OutboxMessage, row_id)


async def test_rate_limited_send_is_retried_once(
    database_url: str, kit: Kit, clock: ManualClock
) -> None:
    if kit.no_rate_limit:
        pytest.skip(kit.no_rate_limit)
    async with _started(kit, database_url, clock) as service, aiohttp.ClientSession() as http:
        await kit.ready(service)
        assert await kit.deliver(http, kit.inbound(1, QUESTION)) < 300
        await _captured(service, kit, 1)
        await wait_until(lambda: _outbox_idle(service, kit))

        kit.rate_limit_next()
        began = time.monotonic()
        row_id = await _queue(service, kit, RATE_LIMITED)
        row = await _row_once(service, row_id, lambda r: r.attempts == 1 and bool(r.last_error))
        # A pause, not a failure: due again after the advised wait, by the service's clock.
        assert row.status == "pending", (row.status, row.last_error)
        assert row.next_attempt_at - clock.now() == timedelta(seconds=kit.retry_delay)
        assert RATE_LIMITED not in kit.received()

        clock.advance(timedelta(seconds=kit.retry_delay))
        service.ctx.wake("outbox")
        row = await _row_once(service, row_id, lambda r: r.status in ("sent", "failed"))
        assert (row.status, row.attempts) == ("sent", 2), (row.status, row.last_error)
        # The wait is kept in real time too, not only on the service's clock.
        assert time.monotonic() - began >= kit.retry_delay
        assert kit.received().count(RATE_LIMITED) == 1


async def test_watchdog_probe(database_url: str, kit: Kit, clock: ManualClock) -> None:
    if not kit.has_probe:
        pytest.skip(f"{kit.name} has no platform credentials of its own to probe")
    if kit.break_before_start:
        kit.break_credentials()
    async with _started(kit, database_url, clock) as service:
        await kit.ready(service)
        ctx = service.ctx
        if kit.break_before_start:
            row = await minute_passes(ctx, clock, kit.name)
            assert row.problem in ("login", "token"), (row.problem, row.detail)
            return
        row = await minute_passes(ctx, clock, kit.name)
        assert row.problem is None, (row.problem, row.detail)
        kit.break_credentials()
        row = await minute_passes(ctx, clock, kit.name)
        assert row.problem == "token", (row.problem, row.detail)
        kit.restore_credentials()
        row = await minute_passes(ctx, clock, kit.name)
        assert row.problem is None, (row.problem, row.detail)
        if kit.has_webhook:
            kit.remove_webhook()
            row = await minute_passes(ctx, clock, kit.name)
            assert row.problem is None and row.repaired, (row.problem, row.detail)
            assert kit.webhook_present()
        assert (await health(ctx, kit.name)) is not None


def _async(check: Callable[[], bool]) -> Callable[[], Any]:
    async def predicate() -> bool:
        return check()

    return predicate
