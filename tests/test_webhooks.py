"""Outgoing webhooks through the outbox: a receiver that is down while events happen gets
every event exactly once when it is back, each signed with HMAC-SHA256; failures show in
/metrics; a receiver that refuses for good is kept as failed, the others go on."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select

from config.business import parse_config
from domain import webhooks
from domain.clock import ManualClock
from storage.models import OutboxMessage
from tests.support.capture import inbound
from tests.support.service import make_settings, running_service, wait_until
from tests.support.team import HEAD, MONDAY_10, SENIOR, TEAM_CONFIG
from usecases import assignment, reassign, work
from usecases.capture import capture
from usecases.complaints import open_from_customer
from usecases.context import AppContext

SECRET = "s3cret-s3cret-s3cret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def receiver(port: int, answer: int = 200) -> AsyncIterator[list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        got.append({"body": body, "headers": dict(request.headers)})
        return web.Response(status=answer)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield got
    finally:
        await runner.cleanup()


async def _hook_rows(ctx: AppContext) -> list[OutboxMessage]:
    async with ctx.db.session_factory() as session:
        statement = select(OutboxMessage).where(OutboxMessage.channel == "webhook")
        return list(await session.scalars(statement.order_by(OutboxMessage.id)))


async def _metric(base: str, status: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as response:
        text = await response.text()
    line = f'leadkeeper_webhook_deliveries{{status="{status}"}} '
    return float(next(row for row in text.splitlines() if row.startswith(line)).split()[-1])


async def _story(ctx: AppContext) -> None:
    """Eight events: three leads created, two assigned, one won, one lost, a complaint."""
    ctx.distribute_after_capture = True
    maria = await capture(ctx, inbound(user=1, name="Мария", text="Нужен тендер на окна"))
    assert await assignment.accept(ctx, maria.lead_id, SENIOR) is assignment.Verdict.DONE
    assert await work.close(ctx, maria.lead_id, SENIOR, "won") is assignment.Verdict.DONE
    petr = await capture(ctx, inbound(user=2, name="Пётр", text="Цена?"))
    assert await reassign.head_assign(ctx, petr.lead_id, HEAD, None) is assignment.Verdict.DONE
    assert await work.close(ctx, petr.lead_id, HEAD, "lost", "price") is assignment.Verdict.DONE
    await capture(ctx, inbound(user=3, name="Анна", text="Алло"))
    assert await open_from_customer(ctx, "telegram", "3", "Мне нагрубили") is not None


async def test_a_receiver_down_then_up_gets_every_event_once_signed(
    database_url: str, clock: ManualClock
) -> None:
    clock.set(MONDAY_10)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/hook"
    config = parse_config({**TEAM_CONFIG, "webhooks": [{"url": url, "secret": SECRET}]})
    async with running_service(make_settings(database_url, None), config, clock=clock) as service:
        ctx, base = service.ctx, f"http://127.0.0.1:{service.port}"
        await _story(ctx)

        async def refused_and_waiting(attempts: int) -> bool:
            # Nothing due: every row tried `attempts` times, refused, and set for later.
            rows = await _hook_rows(ctx)
            return len(rows) == 8 and all(
                row.status == "pending"
                and row.attempts >= attempts
                and row.last_error
                and row.next_attempt_at > clock.now()
                for row in rows
            )

        # Down for a minute: every event tried, refused, kept for later; none lost.
        for attempt in range(1, 4):
            await wait_until(lambda attempt=attempt: refused_and_waiting(attempt))
            clock.advance(timedelta(seconds=20))
            ctx.wake("outbox")
        await wait_until(lambda: refused_and_waiting(4))
        assert await _metric(base, "retrying") == 8 and await _metric(base, "sent") == 0

        async with receiver(port) as got:
            clock.advance(timedelta(minutes=10))  # past the longest backoff
            ctx.wake("outbox")

            async def all_sent() -> bool:
                ctx.wake("outbox")
                return {row.status for row in await _hook_rows(ctx)} == {"sent"}

            await wait_until(all_sent)
            clock.advance(timedelta(minutes=10))
            ctx.wake("outbox")
            await wait_until(lambda: _metric_is(base, "sent", 8))

        bodies = [json.loads(item["body"]) for item in got]
        assert len(got) == 8 and len({body["id"] for body in bodies}) == 8
        assert sorted(body["event"] for body in bodies) == sorted(
            ["lead.created"] * 3
            + ["lead.assigned"] * 2
            + ["lead.won", "lead.lost"]
            + ["complaint.opened"]
        )
        for item, body in zip(got, bodies, strict=True):
            signature = item["headers"][webhooks.SIGNATURE_HEADER]
            assert webhooks.signature_valid(SECRET, item["body"], signature)
            assert not webhooks.signature_valid("another-secret-value", item["body"], signature)
            assert item["headers"][webhooks.EVENT_HEADER] == body["event"]
        won = next(body for body in bodies if body["event"] == "lead.won")["data"]["lead"]
        assert won["status"] == "won" and won["manager"]["name"] == "Sergey"
        assert won["contact"]["name"] == "Мария"
        assert "Мария".encode() in next(i["body"] for i in got if b"lead.won" in i["body"])
        lost = next(body for body in bodies if body["event"] == "lead.lost")["data"]["lead"]
        assert lost["loss_reason"] == "price" and lost["manager"]["name"] == "Head"
        complaint = next(b for b in bodies if b["event"] == "complaint.opened")["data"]
        assert complaint["complaint"]["text"] == "Мне нагрубили"


async def _metric_is(base: str, status: str, value: float) -> bool:
    return await _metric(base, status) == value


async def test_a_receiver_that_refuses_for_good_is_kept_as_failed(
    sqlite_url: str, clock: ManualClock
) -> None:
    clock.set(MONDAY_10)
    refusing, taking = _free_port(), _free_port()
    hooks = [
        {"url": f"http://127.0.0.1:{refusing}/hook", "secret": SECRET},
        {"url": f"http://127.0.0.1:{taking}/hook", "secret": SECRET, "events": ["lead.created"]},
    ]
    config = parse_config({**TEAM_CONFIG, "webhooks": hooks})
    async with (
        receiver(refusing, answer=410) as refused,
        receiver(taking) as taken,
        running_service(make_settings(sqlite_url, None), config, clock=clock) as service,
    ):
        base = f"http://127.0.0.1:{service.port}"
        await capture(service.ctx, inbound(user=1, name="Мария", text="Нужна цена"))
        await wait_until(lambda: _metric_is(base, "failed", 1))
        await wait_until(lambda: _metric_is(base, "sent", 1))
        rows = await _hook_rows(service.ctx)
        failed = next(row for row in rows if row.status == "failed")
        assert "410" in (failed.last_error or "")
        assert len(refused) == 1 and len(taken) == 1
