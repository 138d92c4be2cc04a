"""Tokens a worker verified a moment ago, so that a client's every request does not read its token again.

A buyer's order or a host's click in a live stream is one request, and reading the token behind it
was a round trip to the database on each of them. As OAuth's token introspection allows its
resource servers (RFC 7662, section 4), a worker trusts what it read of a token for a few seconds
(``COMMERCE_TOKEN_CACHE_SECONDS``; 0 turns this off). Expiry is still checked on every request.
Signing out, changing a password or disabling a user forgets at once what this worker holds of
that user; the deployment's other workers see it when their entry lapses, within those seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from commerce.actors import Actor


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """Who a known, unrevoked token of an active user stands for, and until when it is valid."""

    actor: Actor
    expires_at: datetime


class RecentTokens:
    """Token digests verified within the last ``seconds``, at most ``capacity`` of them (the oldest go first)."""

    def __init__(self, seconds: float, *, capacity: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.capacity = capacity
        self.clock = clock
        self._held: dict[str, tuple[float, TokenHolder]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> TokenHolder | None:
        """What was read of this token, if it was read within the last ``seconds``."""
        entry = self._held.get(digest)
        if entry is None:
            return None
        until, holder = entry
        if until <= self.clock():
            with self._lock:
                if self._held.get(digest) is entry:
                    del self._held[digest]
            return None
        return holder

    def keep(self, digest: str, holder: TokenHolder) -> None:
        """Remember what was just read of a token."""
        if self.seconds <= 0:
            return
        with self._lock:
            self._held.pop(digest, None)
            while len(self._held) >= self.capacity:
                del self._held[next(iter(self._held))]
            self._held[digest] = (self.clock() + self.seconds, holder)

    def forget(self, digest: str) -> None:
        """Forget one token (it was revoked here)."""
        with self._lock:
            self._held.pop(digest, None)

    def forget_user(self, user_id: int) -> None:
        """Forget every token of a user (their sessions ended, or the user was disabled)."""
        with self._lock:
            for digest in [key for key, (_until, holder) in self._held.items() if holder.actor.user_id == user_id]:
                del self._held[digest]

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._held.clear()

    def __len__(self) -> int:
        return len(self._held)
