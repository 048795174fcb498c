"""The ceiling for capture: the same aiohttp server committing one row per request
through the plain driver, with the same durability settings, and nothing else.

SQLite: the standard library's `sqlite3` (WAL, `synchronous=FULL`), one INSERT and one
commit per request. PostgreSQL: raw asyncpg, a pool of 10 (as the service's), one
autocommitted INSERT per request. An async wrapper (aiosqlite) is not the ceiling: it
hops to its thread and back for each of BEGIN, INSERT and COMMIT.

    python -m bench.ceiling_server --port N (--sqlite PATH [--sqlite-call thread|direct]
                                            | --postgres DSN)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiohttp import web

INSERT_SQLITE = "INSERT OR IGNORE INTO raw (update_id, body) VALUES (?, ?)"


def _open_sqlite(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS raw (update_id INTEGER PRIMARY KEY, body TEXT NOT NULL)"
    )
    connection.commit()
    return connection


def _store(connection: sqlite3.Connection, update_id: int, body: str) -> None:
    # sqlite3 opens the transaction before the INSERT; the commit is the fsync of the WAL.
    connection.execute(INSERT_SQLITE, (update_id, body))
    connection.commit()


def sqlite_commit_rate(path: Path, commits: int = 1000) -> float:
    """Commits a second of the plain loop, no HTTP: what the disk allows at the moment."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    connection = _open_sqlite(str(path))
    started = time.perf_counter()
    for update_id in range(commits):
        _store(connection, update_id, f'{{"update_id": {update_id}}}')
    seconds = time.perf_counter() - started
    connection.close()
    return commits / seconds


def sqlite_store(path: str, call: str) -> Callable[[int, str], Awaitable[None]]:
    """The blocking insert + commit, called right in the handler or on one thread.

    `thread` (the default) is the faster: on 2026-12-03 (2 shared cores, 32 connections,
    a busy disk) it beat `direct` in 8 of 9 paired runs, by up to 1.8x, because the loop
    reads, parses and answers other requests while the thread waits for the fsync, where
    `direct` stalls the loop for it. When the fsync alone is the limit they are even."""
    connection = _open_sqlite(path)
    if call == "direct":

        async def store(update_id: int, body: str) -> None:
            _store(connection, update_id, body)

        return store

    # One thread does every write: commits stay one at a time, as SQLite's single writer
    # needs, with no lock contention.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def store_on_thread(update_id: int, body: str) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(executor, _store, connection, update_id, body)

    return store_on_thread


async def postgres_store(dsn: str) -> Callable[[int, str], Awaitable[None]]:
    import asyncpg

    pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
    await pool.execute("DROP TABLE IF EXISTS raw_ceiling")
    await pool.execute("CREATE TABLE raw_ceiling (update_id BIGINT PRIMARY KEY, body TEXT)")

    async def store(update_id: int, body: str) -> None:
        # Outside a transaction block asyncpg's execute is autocommitted: one round trip.
        await pool.execute(
            "INSERT INTO raw_ceiling (update_id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            update_id,
            body,
        )

    return store


def make_app(store: Callable[[int, str], Awaitable[None]]) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        update = json.loads(body)
        await store(update["update_id"], body.decode())
        return web.json_response({"ok": True})

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/telegram/webhook", handle)
    app.router.add_get("/healthz", healthz)
    return app


async def build(args: argparse.Namespace) -> web.Application:
    if args.sqlite:
        return make_app(sqlite_store(args.sqlite, args.sqlite_call))
    return make_app(await postgres_store(args.postgres))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    store = parser.add_mutually_exclusive_group(required=True)
    store.add_argument("--sqlite", help="path of the SQLite file")
    store.add_argument("--postgres", help="asyncpg DSN (postgresql://…)")
    parser.add_argument(
        "--sqlite-call",
        choices=["direct", "thread"],
        default="thread",
        help="run the blocking sqlite3 call in the handler or on one dedicated thread",
    )
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(build(args), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
