"""What a worker read a moment ago and may trust for a few seconds instead of reading it again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """Values read within the last ``seconds``, at most ``capacity`` of them (the oldest go first).

    ``seconds`` of 0 keeps nothing. Safe to share between a worker's threads.
    """

    def __init__(self, seconds: float, *, capacity: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.capacity = capacity
        self.clock = clock
        self._held: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """What was read under this key, if it was read within the last ``seconds``."""
        entry = self._held.get(key)
        if entry is None:
            return None
        until, value = entry
        if until <= self.clock():
            with self._lock:
                if self._held.get(key) is entry:
                    del self._held[key]
            return None
        return value

    def keep(self, key: K, value: V) -> None:
        """Remember what was just read."""
        if self.seconds <= 0:
            return
        with self._lock:
            self._held.pop(key, None)
            while len(self._held) >= self.capacity:
                del self._held[next(iter(self._held))]
            self._held[key] = (self.clock() + self.seconds, value)

    def forget(self, key: K) -> None:
        """Forget one key (what it stood for changed here)."""
        with self._lock:
            self._held.pop(key, None)

    def forget_where(self, stale: Callable[[V], bool]) -> None:
        """Forget every value for which ``stale`` is true."""
        with self._lock:
            for key in [key for key, (_until, value) in self._held.items() if stale(value)]:
                del self._held[key]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._held.clear()

    def __len__(self) -> int:
        return len(self._held)
