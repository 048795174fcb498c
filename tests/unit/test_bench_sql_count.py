"""The bench hook that counts a process's SQL: statements by kind and commits, through an
AsyncEngine on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.sql_count import SqlCounter, classify, delta


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ('INSERT INTO "leads" (contact_id) VALUES (?)', "INSERT leads"),
        ("SELECT leads.id FROM leads JOIN contacts ON 1 = 1", "SELECT leads"),
        ("UPDATE outbox SET status=? WHERE outbox.id IN (?)", "UPDATE outbox"),
        ("DELETE FROM channel_receipts WHERE 1", "DELETE channel_receipts"),
        ("BEGIN IMMEDIATE", "BEGIN"),
        ("SELECT 1", "SELECT"),
    ],
)
def test_classify(statement: str, kind: str) -> None:
    assert classify(statement) == kind


async def test_counts_statements_and_commits_of_an_async_engine(tmp_path: Path) -> None:
    counter = SqlCounter()
    counter.attach()
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'count.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE raw (id INTEGER PRIMARY KEY)"))
        before = counter.snapshot()
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO raw (id) VALUES (1)"))
            await connection.execute(text("INSERT INTO raw (id) VALUES (2)"))
        async with engine.connect() as connection:
            await connection.execute(text("SELECT id FROM raw"))
            await connection.rollback()
        change = delta(before, counter.snapshot())
    finally:
        await engine.dispose()
        counter.detach()
    assert change == {
        "statements": 3,
        "commits": 1,
        "by_kind": {"INSERT raw": 2, "SELECT raw": 1},
    }


async def test_dump_is_read_back(tmp_path: Path) -> None:
    counter = SqlCounter()
    counter.statements["INSERT leads"] = 2
    counter.commits = 1
    counter.dump(tmp_path / "counts.json")
    assert (tmp_path / "counts.json").read_text() == (
        '{"statements": 2, "commits": 1, "by_kind": {"INSERT leads": 2}}'
    )


async def test_counts_the_doors_own_sqlite_connection(tmp_path: Path) -> None:
    """The door writes webhook payloads through the stdlib driver, outside SQLAlchemy:
    its one INSERT and one COMMIT a batch are counted all the same."""
    from datetime import UTC, datetime

    from storage.door import DoorRow, DoorWriter
    from tests.support.templates import migrated_sqlite

    url = await migrated_sqlite(tmp_path / "door.db")
    counter = SqlCounter()
    counter.attach()
    engine = create_async_engine(url)
    door = DoorWriter(engine, window=0.05)
    try:
        door.start()
        before = counter.snapshot()
        now = datetime(2026, 12, 3, tzinfo=UTC)
        stored = [await door.store(DoorRow("telegram", str(key), "{}", now)) for key in (1, 2)]
        await door.stop()
        change = delta(before, counter.snapshot())
    finally:
        await engine.dispose()
        counter.detach()
    assert stored == [True, True]
    assert change["by_kind"].get("INSERT inbound_updates") == 2
    assert change["by_kind"].get("COMMIT") == 2
    assert change["commits"] == 2
