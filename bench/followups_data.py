"""The data of the follow-up claiming benchmark (bench/followups_claim.py): contacts and
open leads, a million pending steps laid out as a live system would schedule them, and
the resets between measurements."""

from __future__ import annotations

import time

import asyncpg

LEADS = 5_000


async def load_people(connection: asyncpg.Connection, leads: int) -> None:
    """Contacts, one Telegram identity each and one open lead each (ids 1..leads)."""
    await connection.execute(
        """
        INSERT INTO contacts (id, display_name, created_at, updated_at)
        SELECT g, 'Customer ' || g, now(), now() FROM generate_series(1, $1) g
        """,
        leads,
    )
    await connection.execute(
        """
        INSERT INTO channel_identities (contact_id, channel, external_id, chat_id, created_at)
        SELECT g, 'telegram', g::text, g::text, now() FROM generate_series(1, $1) g
        """,
        leads,
    )
    await connection.execute(
        """
        INSERT INTO leads (id, contact_id, status, is_open, priority, channel, pass_count,
                           created_at, stage_entered_at, extra, needs_head)
        SELECT g, g, 'contacted', true, 0, 'telegram', 0, now(), now(), '{}', false
        FROM generate_series(1, $1) g
        """,
        leads,
    )


LAYOUTS = {
    # Steps scheduled over six days with three delays (1 h, 1 day, 3 days): the due order
    # interleaves three streams that each follow the insertion order, as in real use.
    "streams": (
        "now() - interval '10 days' + g * (interval '6 days' / $1)",
        "(ARRAY[interval '1 hour', interval '1 day', interval '3 days'])[g % 3 + 1]",
    ),
    # Due times unrelated to the insertion order: every claimed row on its own heap page.
    "random": ("now() - interval '3 days'", "interval '1 day' + random() * interval '47 hours'"),
}


async def load_steps(connection: asyncpg.Connection, steps: int, leads: int, layout: str) -> None:
    """`steps` pending steps of `leads` leads, all due in the past."""
    created, delay = LAYOUTS[layout]
    await connection.execute("SELECT setseed(0.4)")
    await connection.execute(
        f"""
        INSERT INTO followup_steps (sequence, step, trigger_key, lead_id, contact_id, due_at,
                                    status, attempts, created_at)
        SELECT (ARRAY['reminder', 'materials'])[g % 2 + 1], g % 3, 't' || g,
               g % $2 + 1, g % $2 + 1, created + {delay}, 'pending', 0, created
        FROM generate_series(1, $1) g, LATERAL (SELECT {created} AS created) c
        """,
        steps,
        leads,
    )
    await connection.execute("VACUUM ANALYZE followup_steps")


async def prepare(dsn: str, steps: int, layout: str) -> float:
    started = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    try:
        await load_people(connection, LEADS)
        await load_steps(connection, steps, LEADS, layout)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def restore(dsn: str) -> None:
    """Claimed steps back to pending, so that each variant starts from the same table."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "UPDATE followup_steps SET status = 'pending', done_at = NULL WHERE status <> 'pending'"
        )
        await connection.execute("TRUNCATE outbox, lead_events")
        # Autovacuum would do it in production (it is off on the benchmark machine).
        await connection.execute("VACUUM ANALYZE followup_steps")
    finally:
        await connection.close()


async def reload(dsn: str, steps: int, layout: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("TRUNCATE followup_steps, outbox, lead_events")
        await load_steps(connection, steps, LEADS, layout)
    finally:
        await connection.close()


async def pending(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM followup_steps WHERE status = 'pending'"
        )
    finally:
        await connection.close()
