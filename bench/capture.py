"""Capture throughput and latency: Telegram updates POSTed to the webhook endpoint over
several connections, into SQLite and PostgreSQL, beside the raw-driver ceiling.

    python -m bench.capture [--updates 4000] [--connections 32] [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bench.common import PG_URL, LoadResult, free_port, post_load, start_process, wait_healthy
from tests.emulator.telegram import TelegramEmulator

TOKEN = "123456:BENCH"


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


async def run_capture(
    store: str, count: int, connections: int, workdir: Path, role: str = "all"
) -> LoadResult:
    port = free_port()
    async with TelegramEmulator(token=TOKEN) as emulator:
        if store == "sqlite":
            url = f"sqlite+aiosqlite:///{workdir / 'capture.db'}"
        else:
            await reset_postgres(PG_URL)
            url = PG_URL
        config = workdir / "bench.yaml"
        config.write_text("company: {timezone: UTC, working_hours: {mon-sun: '00:00-00:00'}}\n")
        process = start_process(
            ["-m", "app.cli", "run", "--role", role],
            {
                "DATABASE_URL": url,
                "LEADKEEPER_CONFIG": str(config),
                "HTTP_PORT": str(port),
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE": emulator.base_url,
                "TELEGRAM_MODE": "webhook",
                "LOG_LEVEL": "WARNING",
                "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
                "TELEGRAM_WEBHOOK_SECRET": "bench-secret",
            },
            workdir / f"service-{store}.log",
        )
        try:
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            secret = {"X-Telegram-Bot-Api-Secret-Token": "bench-secret"}
            await post_load([url], updates(200, 50), connections, secret)  # warm-up
            return await post_load([url], updates(count, count // 4)[200:], connections, secret)
        finally:
            process.terminate()
            process.wait(30)


async def run_ceiling(store: str, count: int, connections: int, workdir: Path) -> LoadResult:
    port = free_port()
    if store == "sqlite":
        args = ["--sqlite", str(workdir / "ceiling.db")]
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        for store in args.stores.split(","):
            capture = await run_capture(store, args.updates, args.connections, workdir, args.role)
            print(f"{store:10} capture {capture.line()}", flush=True)
            ceiling = await run_ceiling(store, args.updates, args.connections, workdir)
            print(f"{store:10} ceiling {ceiling.line()}", flush=True)
            print(f"{store:10} ratio   {capture.rate / ceiling.rate:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
