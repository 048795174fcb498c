"""Two worker processes on PostgreSQL; one is SIGKILLed while it holds inbound and
outbound claims: the other takes them over within seconds (its heartbeat finds the dead
holder), with the default settings, and nothing is lost."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.emulator.telegram import TelegramEmulator
from tests.support.env import PG_SKIP, PG_URL
from tests.support.scale import (
    TOKEN,
    Db,
    free_port,
    post_updates,
    service_env,
    services,
    start_service,
    wait_until,
    write_config,
)

pytestmark = pytest.mark.skipif(PG_URL is None, reason=PG_SKIP)

UPDATES = 1_000
CUSTOMERS = 100
FIRST_CUSTOMER = 960_000_000
HEAD = 961_000_001
MANAGERS = [961_000_100 + index for index in range(4)]
TAKEOVER = 15.0


async def test_a_killed_workers_claims_are_taken_over_within_seconds(
    pg_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "leadkeeper.yaml", heads=[HEAD], managers=MANAGERS)
    port = free_port()
    db = Db(pg_url)
    async with TelegramEmulator(token=TOKEN) as emulator:
        # Sends are delivered at once but answered late: outbox rows stay claimed.
        emulator.set_chaos(1.0, kinds=("timeout",), timeout_seconds=3.0)
        env = service_env(pg_url, emulator.base_url, config, webhook_port=port)
        web = await start_service("web", "web", env, tmp_path, port=port)
        await web.wait_ready()
        doomed = await start_service("doomed", "worker", env, tmp_path)
        survivor = await start_service("survivor", "worker", env, tmp_path)
        everything = [web, doomed, survivor]

        def logs() -> str:
            return "\n".join(proc.tail(2500) for proc in everything)

        async with services(*everything):
            await doomed.wait_ready()
            await survivor.wait_ready()
            holder = await db.scalar(f"SELECT id FROM workers WHERE pid = {doomed.process.pid}")
            assert holder, "the worker did not register as a claim holder"
            updates = [
                emulator.make_text_update(FIRST_CUSTOMER + index % CUSTOMERS, f"вопрос {index}")
                for index in range(UPDATES)
            ]
            burst = asyncio.ensure_future(post_updates([web.url], updates, concurrency=8))

            async def holds_both() -> bool:
                inbound = await db.scalar(
                    "SELECT count(*) FROM inbound_updates "
                    "WHERE status = 'processing' AND claimed_by = :holder",
                    holder=holder,
                )
                outbound = await db.scalar(
                    "SELECT count(*) FROM outbox WHERE status = 'sending' AND claimed_by = :holder",
                    holder=holder,
                )
                return bool(inbound) and bool(outbound)

            await wait_until(holds_both, 60, "the worker holding claims", every=0.05, context=logs)
            doomed.kill()
            await doomed.process.wait()
            killed = time.monotonic()
            held_in = [
                int(row_id)
                for (row_id,) in await db.rows(
                    "SELECT id FROM inbound_updates WHERE status = 'processing' "
                    "AND claimed_by = :holder",
                    holder=holder,
                )
            ]
            held_out = [
                int(row_id)
                for (row_id,) in await db.rows(
                    "SELECT id FROM outbox WHERE status = 'sending' AND claimed_by = :holder",
                    holder=holder,
                )
            ]
            assert held_in and held_out, "the kill came when the worker held nothing"
            emulator.set_chaos(0)

            async def taken_back() -> bool:
                still_held = await db.scalar(
                    "SELECT count(*) FROM inbound_updates WHERE id = ANY(:ids) "
                    "AND claimed_by = :holder AND status = 'processing'",
                    ids=held_in,
                    holder=holder,
                ) + await db.scalar(
                    "SELECT count(*) FROM outbox WHERE id = ANY(:ids) "
                    "AND claimed_by = :holder AND status = 'sending'",
                    ids=held_out,
                    holder=holder,
                )
                return still_held == 0

            # The takeover is the dead holder losing its rows; finishing them is the
            # survivor's throughput, which a loaded machine slows, so it gets its own bound.
            await wait_until(
                taken_back, TAKEOVER, "the survivor took the claims back", every=0.1, context=logs
            )
            takeover = time.monotonic() - killed

            async def finished() -> bool:
                inbound = await db.rows(
                    "SELECT status FROM inbound_updates WHERE id = ANY(:ids)", ids=held_in
                )
                outbound = await db.rows(
                    "SELECT status FROM outbox WHERE id = ANY(:ids)", ids=held_out
                )
                return {s for (s,) in inbound} == {"done"} and {s for (s,) in outbound} == {"sent"}

            await wait_until(finished, 120, "the taken-back rows handled", every=0.1, context=logs)
            await asyncio.wait_for(burst, 120)

            async def settled() -> bool:
                return await db.settled() and (await db.inbound_messages())[0] >= UPDATES

            await wait_until(settled, 120, "everything handled", context=logs)
            assert survivor.process.returncode is None

        assert await db.inbound_messages() == (UPDATES, UPDATES)
        assert await db.scalar("SELECT count(*) FROM leads") == CUSTOMERS
        assert await db.inbox_counts() == {"done": UPDATES}
        assert await db.outbox_counts() == {"sent": await db.scalar("SELECT count(*) FROM outbox")}
        customers = range(FIRST_CUSTOMER, FIRST_CUSTOMER + CUSTOMERS)
        acked = {int(call.chat_id) for call in emulator.sent_messages()}
        assert set(customers) <= acked
        rescuers = [proc for proc in (web, survivor) if "is gone; its claims" in proc.output()]
        assert rescuers, "nobody said that it took the claims back"
        print(
            f"\nheld {len(held_in)} inbound and {len(held_out)} outbound rows; "
            f"taken over {takeover:.1f}s after the kill"
        )
        await db.close()
