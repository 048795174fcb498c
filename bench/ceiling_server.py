"""The ceiling for capture: the same aiohttp server committing one row per request
through the raw driver (aiosqlite or asyncpg), with the same durability settings."""

from __future__ import annotations

import argparse
import asyncio
import json

from aiohttp import web


async def sqlite_app(path: str) -> web.Application:
    import aiosqlite

    connection = await aiosqlite.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
        await connection.execute(f"PRAGMA {pragma}")
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS raw (update_id INTEGER PRIMARY KEY, body TEXT NOT NULL)"
    )

    lock = asyncio.Lock()

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        update = json.loads(body)
        # One connection, one transaction at a time (as the service queues its writers).
        async with lock:
            await connection.execute("BEGIN IMMEDIATE")
            await connection.execute(
                "INSERT OR IGNORE INTO raw (update_id, body) VALUES (?, ?)",
                (update["update_id"], body.decode()),
            )
            await connection.execute("COMMIT")
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/telegram/webhook", handle)
    app.router.add_get("/healthz", lambda _request: _ok())
    return app


async def postgres_app(dsn: str) -> web.Application:
    import asyncpg

    pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
    await pool.execute("DROP TABLE IF EXISTS raw_ceiling")
    await pool.execute("CREATE TABLE raw_ceiling (update_id BIGINT PRIMARY KEY, body TEXT)")

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        update = json.loads(body)
        await pool.execute(
            "INSERT INTO raw_ceiling (update_id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            update["update_id"],
            body.decode(),
        )
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/telegram/webhook", handle)
    app.router.add_get("/healthz", lambda _request: _ok())
    return app


async def _ok() -> web.Response:
    return web.json_response({"status": "ok"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite")
    parser.add_argument("--postgres")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = sqlite_app(args.sqlite) if args.sqlite else postgres_app(args.postgres)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
