"""CPU accounting from /proc for the benchmarks: per process group, PostgreSQL's processes
of one database, interrupts and the rest of the machine, as shares of all cores."""

from __future__ import annotations

import asyncio
import os
import resource
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _postgres_pids(database: str) -> list[int]:
    """The server's shared processes (WAL writer, checkpointer, …) and the backends of the
    benchmark's own database; backends of other databases (other work on the machine)
    are left out, they count as "other"."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() not in ("postgres", "postmaster"):
                continue
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().split()
        except OSError:
            continue
        # A client backend's title: "postgres: [15/main:] <user> <database> <client> <state>",
        # the client being "host(port)" or "[local]".
        where = next(
            (i for i, token in enumerate(title) if token.endswith(")") or token == "[local]"),
            None,
        )
        if where is None or title[where - 1] == database:
            pids.append(int(entry.name))
    return pids


def children_ticks() -> int:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((usage.ru_utime + usage.ru_stime) * CLOCK_TICKS)


def _machine_ticks() -> tuple[int, int, int]:
    """(all, busy, interrupt) ticks of the whole machine, every core. Interrupt time
    (irq + softirq) is mostly the kernel moving loopback TCP: no process is charged."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values), sum(values) - idle, values[5] + values[6]


class CpuSampler:
    """CPU shares of the web processes, the workers, PostgreSQL and the load generator,
    as fractions of the whole machine (all cores) over the measured interval.

    PostgreSQL backends come and go (a pool's overflow connections are closed after use),
    so they are looked at ten times a second and each one's CPU is counted from when it
    was first seen; the CPU of a backend that lived less than that is missed ("other")."""

    def __init__(self, groups: dict[str, list[int]], database: str) -> None:
        self.groups = groups
        self.database = database
        self._first: dict[int, int] = {}
        self._last: dict[int, int] = {}
        self._task: asyncio.Task[None] | None = None

    def _look_at_postgres(self, initial: bool) -> None:
        for pid in _postgres_pids(self.database):
            ticks = _ticks(pid)
            if pid not in self._first:
                self._first[pid] = ticks if initial else 0
            self._last[pid] = max(ticks, self._last.get(pid, 0))

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            self._look_at_postgres(initial=False)

    def snapshot(self) -> dict[str, int]:
        values = {name: sum(_ticks(pid) for pid in pids) for name, pids in self.groups.items()}
        values["machine"], values["busy"], values["irq"] = _machine_ticks()
        if self._task is None:
            self._look_at_postgres(initial=True)
            self._task = asyncio.ensure_future(self._watch())
        else:
            self._task.cancel()
            self._look_at_postgres(initial=False)
            values["postgres"] = sum(self._last[pid] - self._first[pid] for pid in self._last)
        return values

    @staticmethod
    def shares(before: dict[str, int], after: dict[str, int]) -> dict[str, float]:
        """Shares of the machine (1.0 = every core busy) per group, PostgreSQL, interrupts,
        the rest ("other": other programs, kernel threads) and everything ("busy")."""
        machine = max(1, after["machine"] - before["machine"])
        result: dict[str, float] = {}
        for name in after:
            if name not in ("machine", "busy"):
                result[name] = (after[name] - before.get(name, 0)) / machine
        busy = (after["busy"] - before["busy"]) / machine
        result["other"] = max(0.0, busy - sum(result.values()))
        result["busy"] = busy
        return result
