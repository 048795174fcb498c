"""How late this process's event loop runs: a task sleeps a short interval and measures
how much longer than asked it took to wake. A handler that hogs the loop (a quadratic
parse, a blocking call) shows here as lag, and every request and timer waits that long."""

from __future__ import annotations

import asyncio
import time
from collections import deque

INTERVAL = 0.05
WINDOW = 60.0


class LoopLag:
    """The last measured lag and the largest over the last WINDOW seconds (per process)."""

    def __init__(self, interval: float = INTERVAL, window: float = WINDOW) -> None:
        self._interval = interval
        self._window = window
        self.last = 0.0
        # (monotonic time, lag), a new entry only when the lag grew or the old max aged out.
        self._peaks: deque[tuple[float, float]] = deque()

    def record(self, lag: float, now: float) -> None:
        self.last = lag
        # Entries smaller than the new one can never be the window's max again.
        while self._peaks and self._peaks[-1][1] <= lag:
            self._peaks.pop()
        self._peaks.append((now, lag))
        self._forget(now)

    def _forget(self, now: float) -> None:
        while self._peaks and self._peaks[0][0] < now - self._window:
            self._peaks.popleft()

    def max(self) -> float:
        self._forget(time.monotonic())
        return self._peaks[0][1] if self._peaks else 0.0

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            started = time.monotonic()
            await asyncio.sleep(self._interval)
            woke = time.monotonic()
            self.record(max(0.0, woke - started - self._interval), woke)
