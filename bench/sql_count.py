"""Bench hook: a Leadkeeper command run with its SQL statements and commits counted.

    LEADKEEPER_SQL_COUNT=/path/counts.json python -m bench.sql_count run --role all

The service itself knows nothing of this: the listeners are attached here, on SQLAlchemy's
`Engine` class, so they reach every engine the process makes, the sync engine inside each
AsyncEngine included. `before_cursor_execute` counts statements (an executemany counts
once: it is one round trip), `commit` counts commits. The door's own stdlib `sqlite3`
connection (storage/door.py, SQLite only) is outside SQLAlchemy: its statements are
counted through the connection's trace callback, from the door's writer thread.
SIGUSR1 writes the counts so far to the file (atomically), so a benchmark can read them
before and after the stretch it measures and leave start-up, migrations and warm-up out.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

ENV = "LEADKEEPER_SQL_COUNT"


class SqlCounter:
    """Statements by kind (verb and first table, e.g. `INSERT leads`) and commits."""

    def __init__(self) -> None:
        self.statements: Counter[str] = Counter()
        self.commits = 0
        self._kinds: dict[str, str] = {}
        # The door's writer thread counts too.
        self._lock = threading.Lock()

    def kind(self, statement: str) -> str:
        # The same few dozen statement strings repeat: classify each once.
        known = self._kinds.get(statement)
        if known is None:
            known = self._kinds[statement] = classify(statement)
        return known

    def attach(self) -> None:
        event.listen(Engine, "before_cursor_execute", self._on_execute)
        event.listen(Engine, "commit", self._on_commit)
        self._attach_door()

    def _attach_door(self) -> None:
        from storage import door

        connect = door._SqliteWriter._connect

        def traced(writer: Any) -> Any:
            connection = connect(writer)
            connection.set_trace_callback(self._on_raw)
            return connection

        self._door_connect = connect
        door._SqliteWriter._connect = traced  # type: ignore[method-assign]

    def detach(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._on_execute)
        event.remove(Engine, "commit", self._on_commit)
        from storage import door

        door._SqliteWriter._connect = self._door_connect  # type: ignore[method-assign]

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        with self._lock:
            self.statements[self.kind(statement)] += 1

    def _on_commit(self, _conn: Any) -> None:
        with self._lock:
            self.commits += 1

    def _on_raw(self, statement: str) -> None:
        kind = self.kind(statement)
        with self._lock:
            self.statements[kind] += 1
            if kind == "COMMIT":
                self.commits += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "statements": sum(self.statements.values()),
                "commits": self.commits,
                "by_kind": dict(self.statements),
            }

    def dump(self, path: Path) -> None:
        part = path.with_name(path.name + ".part")
        part.write_text(json.dumps(self.snapshot()))
        part.replace(path)


def classify(statement: str) -> str:
    words = statement.replace('"', " ").replace("(", " ").split()
    if not words:
        return "?"
    verb = words[0].upper()
    upper = [word.upper() for word in words]
    marker = {"INSERT": "INTO", "DELETE": "FROM", "SELECT": "FROM"}.get(verb)
    if verb == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    if marker and marker in upper:
        index = upper.index(marker)
        if index + 1 < len(words):
            return f"{verb} {words[index + 1]}"
    return verb


def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What happened between two snapshots."""
    kinds = Counter(after["by_kind"])
    kinds.subtract(before["by_kind"])
    return {
        "statements": after["statements"] - before["statements"],
        "commits": after["commits"] - before["commits"],
        "by_kind": {kind: count for kind, count in kinds.most_common() if count},
    }


async def take(process: subprocess.Popen[bytes], path: Path, wait: float = 10.0) -> dict:
    """Ask the hooked process for its counts so far (SIGUSR1) and read them."""
    _forget(path)
    process.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + wait
    while (counts := _read(path)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no SQL counts in {path} after {wait} s")
        await asyncio.sleep(0.05)
    return counts


def _forget(path: Path) -> None:
    path.unlink(missing_ok=True)


def _read(path: Path) -> dict[str, Any] | None:
    # The hook writes by rename: a file that exists is whole.
    return json.loads(path.read_text()) if path.exists() else None


def main() -> int:
    path = Path(os.environ[ENV])
    counter = SqlCounter()
    counter.attach()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        counter.dump(path)

    signal.signal(signal.SIGUSR1, on_signal)
    from app.cli import main as cli_main

    try:
        return cli_main(sys.argv[1:])
    finally:
        counter.dump(path)


if __name__ == "__main__":
    sys.exit(main())
