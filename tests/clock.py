"""Time that moves only when a test moves it: injected wherever code would read a clock or sleep."""

from __future__ import annotations

import threading
from datetime import UTC, datetime


class ManualClock:
    """Seconds since an epoch, as ``time.time`` or ``time.monotonic`` give them; sleeping is recorded, not done."""

    def __init__(self, start: float = 1_000_000.0):
        self.now = start
        self.slept: list[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(round(seconds, 6))

    def utcnow(self) -> datetime:
        """The same moment as an aware UTC datetime (for code that takes ``now=``)."""
        return datetime.fromtimestamp(self.now, UTC)
