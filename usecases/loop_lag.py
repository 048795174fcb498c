"""How late this process's event loop runs: a task sleeps a short interval and measures
how much longer than asked it took to wake. A handler that hogs the loop (a quadratic
parse, a blocking call) shows here as lag, and every request and timer waits that long.

Wall-clock lag also grows when the machine is busy and the OS runs other processes; the
"busy" lag counts only the part of the overshoot during which this loop's own thread was
on the CPU (thread CPU time), so that one can tell "our handler stalled the loop" from
"the machine was loaded" — a stall by our own code shows in both."""

from __future__ import annotations

import asyncio
import time
from collections import deque

INTERVAL = 0.05
WINDOW = 60.0


class WindowMax:
    """The largest value recorded over the last `window` seconds."""

    def __init__(self, window: float) -> None:
        self._window = window
        # (monotonic time, value), a new entry only when the value grew or the old max
        # aged out.
        self._peaks: deque[tuple[float, float]] = deque()

    def record(self, value: float, now: float) -> None:
        # Entries smaller than the new one can never be the window's max again.
        while self._peaks and self._peaks[-1][1] <= value:
            self._peaks.pop()
        self._peaks.append((now, value))
        self._forget(now)

    def _forget(self, now: float) -> None:
        while self._peaks and self._peaks[0][0] < now - self._window:
            self._peaks.popleft()

    def max(self, now: float | None = None) -> float:
        self._forget(time.monotonic() if now is None else now)
        return self._peaks[0][1] if self._peaks else 0.0

    def peaks(self) -> list[float]:
        return [value for _, value in self._peaks]


class LoopLag:
    """The last measured lag and the largest over the last WINDOW seconds (per process),
    in wall time and in this thread's own CPU time."""

    def __init__(self, interval: float = INTERVAL, window: float = WINDOW) -> None:
        self._interval = interval
        self.last = 0.0
        self.last_busy = 0.0
        self._wall = WindowMax(window)
        self._busy = WindowMax(window)

    def record(self, lag: float, now: float, busy: float | None = None) -> None:
        self.last = lag
        self.last_busy = lag if busy is None else min(lag, busy)
        self._wall.record(lag, now)
        self._busy.record(self.last_busy, now)

    def max(self) -> float:
        return self._wall.max()

    def busy_max(self) -> float:
        return self._busy.max()

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            started, cpu = time.monotonic(), time.thread_time()
            await asyncio.sleep(self._interval)
            woke, used = time.monotonic(), time.thread_time() - cpu
            self.record(max(0.0, woke - started - self._interval), woke, busy=used)
