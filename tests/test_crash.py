"""The service as a subprocess, killed in the middle of its work and restarted, with the
default settings (no shortened leases): nothing is lost, what the dead process held is
taken back in seconds, and a crash doubles at most the sends that were in flight.

Every send is delivered by the emulator but answered late, so that sends are in flight
(and outbox rows claimed) at the moment of the kill; the kill comes once that is true
and the burst is still being stored, whatever the machine's speed."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from tests.emulator.telegram import TelegramEmulator
from tests.support.scale import (
    TOKEN,
    Db,
    ServiceProcess,
    free_port,
    service_env,
    services,
    start_service,
    wait_until,
    write_config,
)

BURST = 500
USERS = 50
FIRST_CUSTOMER = 7_000
HEAD = 8_001
MANAGERS = [8_100, 8_101]
# The emulator holds each answer this long (the message is delivered at once).
HELD_ANSWER = 3.0
TAKEOVER = 15.0

IN_FLIGHT = "SELECT count(*) FROM outbox WHERE status = 'sending' AND attempted_at IS NOT NULL"


def polling_env(database_url: str, emulator: TelegramEmulator, config: Path) -> dict[str, str]:
    env = service_env(database_url, emulator.base_url, config, webhook_port=0)
    env["TELEGRAM_MODE"] = "polling"
    del env["TELEGRAM_WEBHOOK_URL"]
    return env


def doubles(emulator: TelegramEmulator) -> int:
    sent = Counter(
        (str(call.chat_id), call.params.get("text")) for call in emulator.sent_messages()
    )
    return sum(count - 1 for count in sent.values())


async def joined(db: Db, proc: ServiceProcess) -> None:
    """Importing aiogram alone takes seconds on a busy machine: a takeover is timed from
    when the new process is up and has joined the claim holders."""

    async def registered() -> bool:
        pid = proc.process.pid
        return bool(await db.scalar(f"SELECT count(*) FROM workers WHERE pid = {pid}"))

    await wait_until(registered, 90, f"{proc.name} up", every=0.1, context=proc.tail)


async def all_acknowledged(db: Db, emulator: TelegramEmulator, messages: int) -> bool:
    stored = (await db.inbound_messages())[0]
    acked = {int(call.chat_id) for call in emulator.sent_messages()}
    customers = set(range(FIRST_CUSTOMER, FIRST_CUSTOMER + USERS))
    return stored >= messages and customers <= acked and await db.settled()


async def test_sigkill_mid_burst_loses_nothing_and_takes_back_claims_at_once(
    database_url: str, tmp_path: Path
) -> None:
    # Customers only (no managers): what goes out is acknowledgements, each chat its own.
    config = write_config(tmp_path / "leadkeeper.yaml", heads=[HEAD])
    db = Db(database_url)
    async with TelegramEmulator(token=TOKEN) as emulator:

        def give(updates: range) -> None:
            for index in updates:
                emulator.add_update(
                    emulator.make_text_update(FIRST_CUSTOMER + index % USERS, f"сообщение {index}")
                )

        # The last fifth comes after the kill, so that the kill is mid-burst however fast
        # the first process got through the rest (inbox chunks store hundreds a second).
        before_kill = BURST * 4 // 5
        give(range(before_kill))
        emulator.set_chaos(1.0, kinds=("timeout",), timeout_seconds=HELD_ANSWER)
        env = polling_env(database_url, emulator, config)
        first = await start_service("first", "all", env, tmp_path, port=free_port())
        async with services(first) as running:

            async def mid_burst_with_sends_in_flight() -> bool:
                stored = (await db.inbound_messages())[0]
                return stored >= BURST // 4 and int(await db.scalar(IN_FLIGHT) or 0) > 0

            await wait_until(
                mid_burst_with_sends_in_flight, 90, "sends in flight mid-burst", context=first.tail
            )
            first.kill()
            await first.process.wait()

            in_flight = int(await db.scalar(IN_FLIGHT) or 0)
            held = [
                int(row_id)
                for (row_id,) in await db.rows("SELECT id FROM outbox WHERE status = 'sending'")
            ]
            killed_at = (await db.inbound_messages())[0]
            assert in_flight > 0 and held, "the kill came when nothing was in flight"
            inbox_at_kill = await db.inbox_counts()
            give(range(before_kill, BURST))

            emulator.set_chaos(0)
            restarted = time.monotonic()
            second = await start_service("second", "all", env, tmp_path, port=free_port())
            running.append(second)

            await joined(db, second)
            up = time.monotonic()

            async def held_rows_sent() -> bool:
                ids = ",".join(str(row_id) for row_id in held)
                statuses = await db.rows(f"SELECT status FROM outbox WHERE id IN ({ids})")
                return {status for (status,) in statuses} == {"sent"}

            await wait_until(
                held_rows_sent,
                TAKEOVER,
                "the dead process's claims sent after the restart",
                every=0.1,
                context=second.tail,
            )
            takeover, startup = time.monotonic() - up, up - restarted
            await wait_until(
                lambda: all_acknowledged(db, emulator, BURST),
                120,
                "the burst handled",
                context=second.tail,
            )

        assert await db.inbound_messages() == (BURST, BURST)
        assert await db.scalar("SELECT count(*) FROM leads") == USERS
        assert await db.inbox_counts() == {"done": BURST}
        # Only what was in flight may have gone out twice, and it is marked so.
        assert doubles(emulator) <= in_flight
        assert await db.scalar("SELECT count(*) FROM outbox WHERE maybe_sent") == in_flight
        print(
            f"\nstored at the kill {killed_at}, inbox {inbox_at_kill}; "
            f"in flight at the kill {in_flight}, claimed {len(held)}, doubles "
            f"{doubles(emulator)}; new process up in {startup:.1f}s, the dead one's claims sent "
            f"{takeover:.1f}s later"
        )
        await db.close()


async def test_sigterm_hands_back_its_claims_and_a_successor_sends_them_at_once(
    database_url: str, tmp_path: Path
) -> None:
    # Customers only (no managers): what goes out is acknowledgements, each chat its own.
    config = write_config(tmp_path / "leadkeeper.yaml", heads=[HEAD])
    db = Db(database_url)
    async with TelegramEmulator(token=TOKEN) as emulator:
        for index in range(USERS):
            emulator.add_update(emulator.make_text_update(FIRST_CUSTOMER + index, "вопрос"))
        emulator.set_chaos(1.0, kinds=("timeout",), timeout_seconds=HELD_ANSWER)
        env = polling_env(database_url, emulator, config)
        # One send at a time: the rest of a claimed batch waits, as behind a rate limit.
        env["TELEGRAM_SEND_RATE"] = "0.5"
        first = await start_service("first", "all", env, tmp_path, port=free_port())
        async with services(first) as running:

            async def claimed_and_waiting() -> bool:
                sending = int(
                    await db.scalar("SELECT count(*) FROM outbox WHERE status = 'sending'") or 0
                )
                return sending > 2 and int(await db.scalar(IN_FLIGHT) or 0) > 0

            await wait_until(claimed_and_waiting, 90, "a batch claimed", context=first.tail)
            assert await first.terminate() == 0, first.tail()
            outbox = await db.outbox_counts()
            assert "sending" not in outbox, f"claims were left behind: {outbox}"
            assert await db.scalar("SELECT count(*) FROM workers") == 0
            handed_back = int(outbox.get("pending", 0))
            assert handed_back > 0, "nothing was left to hand back"

            emulator.set_chaos(0)
            env["TELEGRAM_SEND_RATE"] = "2000"
            second = await start_service("second", "all", env, tmp_path, port=free_port())
            running.append(second)
            await joined(db, second)
            await wait_until(
                lambda: all_acknowledged(db, emulator, USERS),
                TAKEOVER,
                "the handed-back rows sent by the successor",
                every=0.1,
                context=second.tail,
            )

        assert "stopping: finishing the work in hand" in first.output()
        # A graceful stop sends nothing twice: what it handed back had not been started.
        assert doubles(emulator) == 0
        assert await db.scalar("SELECT count(*) FROM outbox WHERE maybe_sent") == 0
        await db.close()
