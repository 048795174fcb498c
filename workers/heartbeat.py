"""The heartbeat loop of a claiming process, and how it knows processes on its host."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from pathlib import Path

from usecases.claims import ClaimKeeper, Holder
from usecases.outage import is_outage

log = logging.getLogger(__name__)


def _boot_id() -> str:
    with contextlib.suppress(OSError):
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    return ""


def process_started(pid: int) -> str | None:
    """The kernel's start time of a process (Linux), so that a reused pid is told apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from its end.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def process_alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process, but alive
    if started is None:
        return True
    now_started = process_started(pid)
    return now_started is None or now_started == started


def this_process(role: str) -> Holder:
    boot = _boot_id()
    host = f"{socket.gethostname()}:{boot}" if boot else socket.gethostname()
    pid = os.getpid()
    return Holder(
        id=uuid.uuid4().hex,
        host=host[:255],
        pid=pid,
        pid_started=process_started(pid),
        role=role,
    )


class HeartbeatLoop:
    def __init__(self, keeper: ClaimKeeper, every: float) -> None:
        self._keeper = keeper
        self._every = every

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self._keeper.beat()
            except Exception as exc:
                if is_outage(exc):
                    log.warning("heartbeat: database unavailable (%s)", type(exc).__name__)
                else:
                    log.exception("heartbeat failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=self._every)
