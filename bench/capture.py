"""Capture throughput and latency: Telegram updates POSTed to the webhook endpoint over
several connections, into SQLite and PostgreSQL, beside the plain-driver ceiling
(`bench/ceiling_server.py`: stdlib sqlite3 / raw asyncpg).

    python -m bench.capture [--updates 4000] [--connections 32] [--stores sqlite,postgresql]
        [--role all|web] [--sqlite-calls thread|direct|both] [--kinds N]

With `--role all` it also prints the SQL statements and commits the service spent per new
lead, amortised: everything the process ran (webhook, inbox processing, sending, its
background loops) from the settled warm-up to the moment the measured updates are all
processed and their messages sent, counted by the bench hook `bench/sql_count.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bench import sql_count
from bench.ceiling_server import sqlite_commit_rate
from bench.common import PG_URL, LoadResult, free_port, post_load, start_process, wait_healthy
from tests.emulator.telegram import TelegramEmulator

TOKEN = "123456:BENCH"
WAL_FILES = ("-wal", "-shm")
TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE")


def updates(count: int, users: int) -> list[dict]:
    emulator = TelegramEmulator(token=TOKEN)
    bodies = []
    for index in range(count):
        update = emulator.make_text_update(10_000 + index % users, f"Сколько стоит окно №{index}?")
        bodies.append(update)
    return bodies


async def reset_postgres(url: str) -> str:
    raw = make_url(url).set(drivername="postgresql")
    dsn = raw.render_as_string(hide_password=False)
    try:
        connection = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        admin = await asyncpg.connect(raw.set(database="postgres").render_as_string(False))
        await admin.execute(f'CREATE DATABASE "{raw.database}"')
        await admin.close()
        connection = await asyncpg.connect(dsn)
    await connection.execute("DROP SCHEMA public CASCADE")
    await connection.execute("CREATE SCHEMA public")
    await connection.close()
    return dsn


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Capture:
    load: LoadResult
    # SQL between the settled inbox after the warm-up and the settled inbox after the load.
    sql: dict[str, Any] | None = None
    leads: int = 0
    processed: int = 0

    def sql_line(self) -> str:
        if not self.sql:
            return "no SQL counts"
        statements, commits = self.sql["statements"], self.sql["commits"]
        # SQLite's transactions open with our own BEGIN IMMEDIATE, a counted statement;
        # asyncpg opens its own out of SQLAlchemy's sight. This part compares across stores.
        control = sum(self.sql["by_kind"].get(kind, 0) for kind in TRANSACTION_CONTROL)
        unit, number = ("new lead", self.leads) if self.leads else ("update", self.processed)
        line = (
            f"{statements / number:.1f} statements ({(statements - control) / number:.1f} "
            f"without BEGIN/SAVEPOINT/RELEASE) / {commits / number:.2f} commits per {unit}"
        )
        if self.leads:
            line += (
                f" ({self.leads} leads from {self.processed} updates: "
                f"{statements / self.processed:.1f} / {commits / self.processed:.2f} per update)"
            )
        return line


async def unsettled(engine: AsyncEngine) -> tuple[int, int, int]:
    """(updates not yet processed, messages not yet sent, leads) as the database has them."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM inbound_updates"
                    "        WHERE status IN ('pending', 'processing')),"
                    " (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')),"
                    " (SELECT count(*) FROM leads)"
                )
            )
        ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def settle(engine: AsyncEngine, timeout: float = 300.0) -> tuple[int, int]:  # noqa: ASYNC109
    """Wait until every stored update is processed and every queued message sent; return
    (leads, updates processed)."""
    deadline = time.monotonic() + timeout
    while True:
        inbox, outbox, leads = await unsettled(engine)
        if not inbox and not outbox:
            async with engine.connect() as connection:
                done = await connection.scalar(
                    text("SELECT count(*) FROM inbound_updates WHERE status = 'done'")
                )
            return leads, int(done or 0)
        if time.monotonic() > deadline:
            raise RuntimeError(f"not settled after {timeout} s: {inbox} updates, {outbox} sends")
        await asyncio.sleep(0.2)


async def run_capture(
    store: str, count: int, connections: int, workdir: Path, role: str = "all"
) -> Capture:
    port = free_port()
    async with TelegramEmulator(token=TOKEN) as emulator:
        if store == "sqlite":
            database = f"sqlite+aiosqlite:///{workdir / 'capture.db'}"
        else:
            await reset_postgres(PG_URL)
            database = PG_URL
        config = workdir / "bench.yaml"
        config.write_text("company: {timezone: UTC, working_hours: {mon-sun: '00:00-00:00'}}\n")
        counts = workdir / f"sql-{store}.json"
        process = start_process(
            # The bench hook counts the service's SQL; the service is otherwise as run.
            ["-m", "bench.sql_count", "run", "--role", role],
            {
                "DATABASE_URL": database,
                "LEADKEEPER_CONFIG": str(config),
                "HTTP_PORT": str(port),
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE": emulator.base_url,
                "TELEGRAM_MODE": "webhook",
                "LOG_LEVEL": "WARNING",
                "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
                "TELEGRAM_WEBHOOK_SECRET": "bench-secret",
                sql_count.ENV: str(counts),
            },
            workdir / f"service-{store}.log",
        )
        engine = create_async_engine(database, poolclass=NullPool)
        try:
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            secret = {"X-Telegram-Bot-Api-Secret-Token": "bench-secret"}
            await post_load([url], updates(200, 50), connections, secret)  # warm-up
            if role == "all":
                leads_before, done_before = await settle(engine)
            else:
                leads_before, done_before = 0, 0
            before = await sql_count.take(process, counts)
            load = await post_load([url], updates(count, count // 4)[200:], connections, secret)
            result = Capture(load)
            if role == "all":
                leads, done = await settle(engine)
                result.leads, result.processed = leads - leads_before, done - done_before
            else:
                result.processed = load.requests
            result.sql = sql_count.delta(before, await sql_count.take(process, counts))
            return result
        finally:
            await engine.dispose()
            process.terminate()
            process.wait(30)


async def run_ceiling(
    store: str, count: int, connections: int, workdir: Path, sqlite_call: str = "thread"
) -> LoadResult:
    port = free_port()
    if store == "sqlite":
        database = workdir / f"ceiling-{sqlite_call}.db"
        # A fresh file each run: INSERT OR IGNORE into a filled one writes (and syncs) nothing.
        for leftover in (database, *(database.with_name(database.name + s) for s in WAL_FILES)):
            leftover.unlink(missing_ok=True)
        args = ["--sqlite", str(database), "--sqlite-call", sqlite_call]
    else:
        args = ["--postgres", await reset_postgres(PG_URL)]
    process = start_process(
        ["-m", "bench.ceiling_server", "--port", str(port), *args],
        {},
        workdir / f"ceiling-{store}.log",
    )
    try:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        url = f"http://127.0.0.1:{port}/telegram/webhook"
        await post_load([url], updates(200, 50), connections)
        return await post_load(
            [url],
            [dict(u, update_id=u["update_id"] + 10**6) for u in updates(count, count // 4)[200:]],
            connections,
        )
    finally:
        stop(process)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=4000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument(
        "--role", default="all", help="web: the service only takes webhooks (no processing)"
    )
    parser.add_argument(
        "--sqlite-calls",
        default="thread",
        help="the SQLite ceiling's sqlite3 call: thread, direct or both (the ratio takes the best)",
    )
    parser.add_argument("--kinds", type=int, default=0, help="print the N commonest statements")
    args = parser.parse_args()
    calls = ["thread", "direct"] if args.sqlite_calls == "both" else [args.sqlite_calls]
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        for store in args.stores.split(","):
            capture = await run_capture(store, args.updates, args.connections, workdir, args.role)
            print(f"{store:10} capture {capture.load.line()}", flush=True)
            print(f"{store:10} SQL     {capture.sql_line()}", flush=True)
            for kind, number in list((capture.sql or {}).get("by_kind", {}).items())[: args.kinds]:
                print(f"{'':10}   {number:7} {kind}")
            rates = []
            for call in calls if store == "sqlite" else ["pool"]:
                ceiling = await run_ceiling(store, args.updates, args.connections, workdir, call)
                print(f"{store:10} ceiling {ceiling.line()}  ({call})", flush=True)
                rates.append(ceiling.rate)
            if store == "sqlite":
                disk = sqlite_commit_rate(workdir / "disk.db")
                print(f"{store:10} disk    {disk:8.0f} commits/s (sqlite3 in a loop, no HTTP)")
            print(f"{store:10} ratio   {capture.load.rate / max(rates):.2f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
